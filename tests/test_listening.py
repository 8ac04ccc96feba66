"""Listening profiles: a yes/no grammar after a confirmation, open decoding elsewhere, and
the bot's question as the recognizer's context for the answer."""

from __future__ import annotations

from dialog.intents import load_knowledge_base
from ivr.listening import OPEN, REPLY_CHOICES, profile_for
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
        assert profile_for(key, kb).phrases is None
    for key in ("greeting", "no_match", "clarification", "answer:sbk_reissue"):
        assert profile_for(key, kb) == OPEN


def test_the_question_is_the_context_of_the_answer() -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    asked = "还有其他问题吗？"
    assert profile_for("anything_else", kb, asked).context == asked
    asked_two = "您是想咨询社保卡挂失补办，还是公积金提取？"
    assert profile_for("clarification", kb, asked_two).context == asked_two
    # not after a confirmation or the survey: their words came back as transcripts
    assert profile_for("confirm", kb, "您是想咨询社保卡挂失补办吗？").context is None
    assert profile_for("survey", kb, "满意请按1。").context is None
    assert profile_for("department_choice", kb, "请问您的问题属于哪个方面：税务，还是别的"
                       "方面？都不是的话请说“人工”。") == OPEN  # not measured yet
    # not after the greeting or an answer: an open request decodes without context
    assert profile_for("greeting", kb, "您好，这里是政务服务热线。") == OPEN
    assert profile_for("answer:sbk_reissue", kb, "社保卡丢了请先挂失。") == OPEN
    # switched off (IVR_ASR_QUESTION_CONTEXT=0)
    assert profile_for("anything_else", kb, asked, question_context=False).context is None


def test_closed_questions_expect_their_short_replies() -> None:
    """A confirmation, 还有其他问题吗 and the survey each expect a few short replies (scored
    against the audio by engines that can: asr.whisper_choices); open questions none."""
    kb = load_knowledge_base(REPO / "intents.yaml")
    confirm = profile_for("confirm", kb, "您是想咨询社保卡挂失补办吗？")
    assert {"是的", "不是", "不对"} <= set(confirm.choices)
    assert {"没有", "就这些"} <= set(profile_for("anything_else", kb, "还有其他问题吗？").choices)
    assert {"满意", "一般", "不满意", "1"} <= set(profile_for("survey", kb).choices)
    for key in ("greeting", "clarification", "department_choice", "answer:sbk_reissue"):
        assert profile_for(key, kb).choices == ()
    # switched off (IVR_ASR_REPLY_CHOICES=0)
    assert profile_for("survey", kb, reply_choices=False) == OPEN
    assert profile_for("anything_else", kb, "还有其他问题吗？", question_context=False,
                       reply_choices=False) == OPEN


def test_every_expected_reply_is_read_as_an_answer_to_its_question() -> None:
    """A scored reply is worth offering only if the reply readers understand it."""
    from dialog.answers import understand
    from dialog.matcher import Matcher
    from dialog.survey import read_rating

    kb = load_knowledge_base(REPO / "intents.yaml")
    matcher = Matcher(kb)
    for key in ("confirm", "anything_else"):
        for text in REPLY_CHOICES[key]:
            _found, reply = understand(matcher.match, key, text)
            assert reply is not None, (key, text)
    for text in REPLY_CHOICES["survey"]:
        assert read_rating(text) is not None, text
