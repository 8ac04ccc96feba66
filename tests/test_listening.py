"""Listening profiles: a yes/no grammar after a confirmation, open decoding elsewhere."""

from __future__ import annotations

from dialog.intents import load_knowledge_base
from ivr.listening import OPEN, profile_for
from tests.conftest import REPO


def test_confirmation_listens_for_yes_and_no_only() -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    profile = profile_for("confirm", kb)
    assert profile.phrases is not None
    assert "是的" in profile.phrases and "不是" in profile.phrases
    assert "转人工" in profile.phrases  # the way out stays open in every state


def test_open_questions_decode_freely() -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    for key in ("greeting", "anything_else", "no_match", "clarification"):
        assert profile_for(key, kb) == OPEN
