"""Tests for ivr.turns: when the caller stopped speaking, with and without an early decode."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from asr.base import Transcript
from dialog.intents import load_knowledge_base
from dialog.matcher import Matcher
from ivr.store_async import AsyncCallStore
from ivr.turns import TurnTracker

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base(REPO / "intents.yaml"))


@pytest.mark.parametrize(("wait_s", "expected_back_s"), [(None, 1.0 + 0.6), (0.3, 0.3 + 0.6)])
def test_speech_end_counts_back_the_wait_after_the_endpoint(
    matcher: Matcher, tmp_path: Path, wait_s: float | None, expected_back_s: float
) -> None:
    # A decode of 1.0 s that started 0.7 s early (speculation) leaves the caller waiting 0.3 s.
    tracker = TurnTracker(AsyncCallStore(tmp_path / "calls.sqlite3"), "CA1", end_silence_s=0.6)
    transcript = Transcript("社保卡丢了怎么补办", 0.9, 2.0, decode_s=1.0, engine="whisper")
    before = time.time()
    tracker.recognized(transcript, matcher.match(transcript.text), wait_s)
    turn = tracker._pending
    assert turn is not None and turn.speech_end_at is not None
    assert turn.recognized_at is not None
    assert turn.recognized_at - turn.speech_end_at == pytest.approx(expected_back_s)
    assert turn.speech_end_at <= before
