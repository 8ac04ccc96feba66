"""The survey (dialog/survey.py, the policy's `survey` step): a caller who is done rates the
service by key or in words, and the rating reaches the call record."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dialog.intents import KnowledgeBase, load_knowledge_base
from dialog.kbholder import KnowledgeBaseHolder
from dialog.policy import (
    CallerSpoke,
    DialogPolicy,
    Event,
    KeyPressed,
    PolicyConfig,
    RecordRating,
    TimerFired,
)
from dialog.survey import read_rating
from dialog.types import MatchResult
from tests.inprocess import REPO, TwilioCaller, app_with_fakes
from tests.test_policy import ANSWERED, BEGIN, CANCEL, KB, brief, done, faq, run, system

RATING_CASES = [  # written for this test, not lines of the blind sets
    ("满意", "1"), ("挺满意的，谢谢", "1"), ("非常好", "1"), ("按1", "1"), ("一", "1"),
    ("一般吧", "2"), ("还行", "2"), ("马马虎虎", "2"), ("选二", "2"), ("还可以吧", "2"),
    ("不满意", "3"), ("不太满意", "3"), ("太差了", "3"), ("问题没解决", "3"), ("按三", "3"),
    ("就那样吧，2", "2"), ("一般般", "2"), ("烂得很", "3"), ("给个3吧", "3"),
    ("我想问个别的", None), ("", None), ("嗯", None), ("1和2之间吧", None),
]


@pytest.mark.parametrize(("text", "rating"), RATING_CASES)
def test_read_rating(text: str, rating: str | None) -> None:
    assert read_rating(text) == rating


SURVEY_KB = KnowledgeBase(KB.departments, KB.intents,
                          {**KB.prompts, "survey": "满意请按1，一般请按2，不满意请按3。"},
                          default_department=KB.default_department)
SURVEYING = DialogPolicy(SURVEY_KB, PolicyConfig(survey=True))
DONE: list[Event] = [*ANSWERED, system("no", "没有了"), done("survey")]


def _last(events: list[Event], policy: DialogPolicy = SURVEYING) -> list[object]:
    return run(events, policy)[1][-1]


def test_a_caller_who_is_done_is_asked_to_rate_then_thanked() -> None:
    assert [brief(a) for a in _last([*ANSWERED, system("no", "没有了")])] == [
        CANCEL, ("say", "survey")]


@pytest.mark.parametrize(("event", "rating"), [
    (KeyPressed("2"), RecordRating("2", "key")),
    (system("yes", "满意满意"), RecordRating("1", "voice")),
    (system("no", "不满意"), RecordRating("3", "voice")),
])
def test_a_rating_is_recorded_and_the_call_ends(event: Event, rating: RecordRating) -> None:
    actions = _last([*DONE, event])
    assert rating in actions
    assert ("say", "goodbye") in [brief(a) for a in actions if not isinstance(a, RecordRating)]


@pytest.mark.parametrize("event", [TimerFired("no_input"), system("no", "嗯那个")])
def test_no_rating_ends_the_call_without_one_and_never_asks_twice(event: Event) -> None:
    actions = _last([*DONE, event])
    assert not any(isinstance(a, RecordRating) for a in actions)
    assert ("say", "goodbye") in [brief(a) for a in actions if not isinstance(a, RecordRating)]


def test_a_new_question_instead_of_a_rating_is_served_and_the_survey_not_asked_again() -> None:
    """不是，我还想问…: the 没有 before the survey may have been misheard; the question is
    answered, and when the caller is done the call ends without a second survey."""
    _state, steps = run([*DONE, faq("social_card", "我还想问社保卡丢了怎么办"),
                         done("anything_else"), system("no", "没有了")], SURVEYING)
    served, closed = steps[-3], steps[-1]
    assert not any(isinstance(a, RecordRating) for a in served)
    assert [brief(a) for a in served][-2:] == [("say", "answer:social_card"),
                                                ("say", "anything_else")]
    assert [brief(a) for a in closed] == [CANCEL, ("say", "goodbye")]


def test_a_problem_routed_after_the_survey_reaches_its_department() -> None:
    routed = CallerSpoke(MatchResult(None, 0.8, "tax", "transfer", text="我要反映发票的问题"))
    actions = [brief(a) for a in _last([*DONE, routed])]
    assert ("say", "route") in actions and ("say", "goodbye") not in actions


@pytest.mark.parametrize("event", [
    system("goodbye", "再见"),  # a system intent is no request
    CallerSpoke(MatchResult("social_card", 0.5, "social", "clarify", text="社保什么")),
])
def test_after_the_survey_only_a_decided_request_keeps_the_call(event: Event) -> None:
    assert ("say", "goodbye") in [brief(a) for a in _last([*DONE, event])]


def test_the_way_to_a_person_stays_open_during_the_survey() -> None:
    actions = [brief(a) for a in _last([*DONE, system("human_agent", "转人工")])
               if not isinstance(a, RecordRating)]
    assert ("say", "transfer") in actions


def test_off_by_default_and_never_after_a_call_without_an_answer() -> None:
    assert [brief(a) for a in _last([*ANSWERED, system("no", "没有了")], DialogPolicy(
        SURVEY_KB))] == [CANCEL, ("say", "goodbye")]
    assert [brief(a) for a in _last([*BEGIN, system("goodbye", "再见")])] == [
        CANCEL, ("say", "goodbye")]


@contextlib.contextmanager
def _at_the_survey(tmp_path: Path, sid: str
                   ) -> Iterator[tuple[TwilioCaller, dict[str, str], str, dict[str, Any]]]:
    """A call that asked one question, said that is all and heard the survey: the caller,
    the prompts, the answer heard, and the call record (filled in once the call is over)."""
    holder = KnowledgeBaseHolder(REPO / "intents.yaml", PolicyConfig(survey=True))
    record: dict[str, Any] = {}
    with app_with_fakes(tmp_path, holder, survey=True) as (client, world):
        prompts = holder.current.kb.prompts
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, sid)
            caller.dial()
            caller.ask("社保卡丢了怎么补办")
            answer = caller.hear()
            assert caller.hear() == prompts["anything_else"]
            caller.ask("没有了，谢谢")
            assert caller.hear() == prompts["survey"]
            yield caller, prompts, answer, record
        record.update(client.get(f"/api/calls/{sid}").json())


def test_a_keyed_rating_reaches_the_call_record(tmp_path: Path) -> None:
    with _at_the_survey(tmp_path, "CArating") as (caller, prompts, _answer, record):
        caller.press("1")
        assert caller.hear() == prompts["goodbye"]
        caller.expect_hang_up()
    assert record["outcome"] == "answered"
    assert [e["detail"] for e in record["events"] if e["kind"] == "rating"] == ["1 (key)"]


def test_a_question_at_the_survey_is_answered_in_a_call(tmp_path: Path) -> None:
    with _at_the_survey(tmp_path, "CAlater") as (caller, prompts, card_answer, record):
        caller.ask("不对，社保卡丢了到底怎么补办")
        assert caller.hear() == card_answer
        assert caller.hear() == prompts["anything_else"]
        caller.ask("没有了，谢谢")
        assert caller.hear() == prompts["goodbye"]
        caller.expect_hang_up()
    assert record["outcome"] == "answered"
    assert not [e for e in record["events"] if e["kind"] == "rating"]


def test_after_the_survey_a_rating_is_an_answer_and_comes_first() -> None:
    """The call's reading order asks the policy: after the survey a rating (一般, 差评) is
    the caller's answer, and it is looked for before anything the matcher finds."""
    policy = DialogPolicy(load_knowledge_base(REPO / "intents.yaml"), PolicyConfig(survey=True))
    state = replace(policy.initial_state(), last_say_key="survey")
    assert policy.own_reading_first(state)
    assert policy.reads_as_answer(state, "一般") and policy.reads_as_answer(state, "差评")
    assert not policy.reads_as_answer(state, "社保卡丢了")
    asked_else = replace(state, last_say_key="anything_else")
    assert not policy.own_reading_first(asked_else)
    assert not policy.reads_as_answer(asked_else, "一般")
