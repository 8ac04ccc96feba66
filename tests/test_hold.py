"""The hold machine (ivr.contact.hold) and the words a holding caller uses: table tests."""

from __future__ import annotations

import pytest

from ivr.contact import hold
from ivr.contact.hold import (
    ANNOUNCE,
    Announce,
    Began,
    HoldState,
    Key,
    QueueView,
    Say,
    StartTimer,
    step,
)
from ivr.contact.hold_words import HoldWord, hold_word

WAITING = HoldState("社保", "+8613800001111")
OPEN_3 = QueueView(position=3, wait_s=200.0)
NEXT = QueueView(position=1, wait_s=50.0)


def _said(actions: list[hold.HoldAction]) -> list[str]:
    return [a.key for a in actions if isinstance(a, Say)]


def _kinds(actions: list[hold.HoldAction]) -> list[str]:
    return [type(a).__name__ for a in actions]


def test_a_queued_caller_hears_position_wait_and_a_callback_offer_when_the_wait_is_long() -> None:
    state, actions = step(WAITING, Began(OPEN_3))
    text = " ".join(a.text for a in actions if isinstance(a, Say))
    assert "前面还有2位" in text and "约4分钟" in text and "按1" in text
    assert _said(actions) == ["hold-queued", "hold-busy"]  # 200 s > the 120 s threshold
    assert StartTimer(ANNOUNCE, 30.0) in actions
    assert state.phase == "waiting" and not state.unstaffed


def test_the_next_caller_with_a_short_wait_is_not_pushed_to_a_callback() -> None:
    _, actions = step(WAITING, Began(NEXT))
    assert _said(actions) == ["hold-queued"]
    assert "您是下一位" in actions[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(("view", "why"), [
    (QueueView(1, None), "无人值守"), (QueueView(1, 60.0, is_open=False), "不在服务时间")])
def test_nobody_on_duty_or_closed_offers_callback_or_message(view: QueueView, why: str) -> None:
    state, actions = step(WAITING, Began(view))
    assert state.unstaffed and _said(actions) == ["hold-unstaffed"]
    assert why in actions[0].text and "留言请按2" in actions[0].text  # type: ignore[union-attr]
    assert hold.prompt_finished(state) == []  # no hold music when nobody will come


def test_hold_audio_follows_each_prompt_while_waiting() -> None:
    state, _ = step(WAITING, Began(NEXT))
    assert hold.prompt_finished(state) == [hold.PlayHoldAudio()]


def test_the_announcement_repeats_with_the_current_position() -> None:
    state, _ = step(WAITING, Began(OPEN_3))
    state, actions = step(state, Announce(NEXT))
    assert _kinds(actions) == ["StopAudio", "Say", "StartTimer"]
    assert "您是下一位" in actions[1].text  # type: ignore[union-attr]


def test_an_announcement_when_the_last_agent_left_says_so() -> None:
    state, _ = step(WAITING, Began(NEXT))
    state, actions = step(state, Announce(QueueView(1, None)))
    assert state.unstaffed and _said(actions) == ["hold-unstaffed"]


@pytest.mark.parametrize("how", [Key("1"), hold.Heard("不等了，回电话给我吧")])
def test_a_callback_reads_back_the_caller_id_then_takes_it_on_yes(how: hold.HoldEvent) -> None:
    state, _ = step(WAITING, Began(OPEN_3))
    state, actions = step(state, how)
    assert state.phase == "confirm" and state.number == "13800001111"
    assert "13800001111" in actions[-1].text  # type: ignore[union-attr]
    state, actions = step(state, hold.Heard("对的"))
    assert state.phase == "done"
    assert _kinds(actions) == ["CancelTimer", "LeaveQueue", "TakeCallback", "Say", "EndCall"]
    assert hold.TakeCallback("13800001111") in actions
    assert hold.EndCall("callback") in actions


def test_another_number_keyed_with_hash_is_confirmed_before_it_is_taken() -> None:
    state, _ = step(WAITING, Began(OPEN_3))
    state, _ = step(state, Key("1"))
    state, actions = step(state, Key("2"))
    assert state.phase == "keying" and _said(actions) == ["hold-ask-number"]
    for digit in "13912345678":
        state, actions = step(state, Key(digit))
    assert state.phase == "keying" and state.keyed == "13912345678"
    state, actions = step(state, Key("#"))
    assert state.phase == "confirm" and "13912345678" in actions[0].text  # type: ignore[union-attr]
    state, actions = step(state, Key("1"))
    assert hold.TakeCallback("13912345678") in actions


def test_a_withheld_number_is_asked_for_and_a_short_one_refused() -> None:
    state, actions = step(HoldState("社保", "anonymous"), Key("1"))
    assert state.phase == "keying" and _said(actions) == ["hold-ask-number"]
    for digit in "123#":
        state, actions = step(state, Key(digit))
    assert state.phase == "keying" and _said(actions) == ["hold-bad-number"]


def test_no_to_the_read_back_number_asks_for_another() -> None:
    state, _ = step(WAITING, Key("1"))
    state, actions = step(state, hold.Heard("不对"))
    assert state.phase == "keying" and _said(actions) == ["hold-ask-number"]


def test_zero_or_words_keep_waiting_and_unknown_words_change_nothing() -> None:
    state, _ = step(WAITING, Began(NEXT))
    assert _said(step(state, Key("0"))[1]) == ["hold-keep-waiting"]
    assert _said(step(state, hold.Heard("好的我再等等"))[1]) == ["hold-keep-waiting"]
    assert step(state, hold.Heard("今天天气不错"))[1] == []
    assert step(state, Key("2"))[1] == []  # messages only when nobody is on duty


def test_a_message_is_recorded_when_nobody_is_on_duty() -> None:
    state, _ = step(WAITING, Began(QueueView(1, None)))
    state, actions = step(state, Key("2"))
    assert state.phase == "recording" and _said(actions) == ["hold-record"]
    state, actions = step(state, hold.Heard("我家楼下的路灯坏了一个星期了"))
    assert hold.TakeMessage("我家楼下的路灯坏了一个星期了") in actions
    assert hold.EndCall("message") in actions


def test_a_silent_message_still_ends_the_call_with_what_there_is() -> None:
    state, _ = step(WAITING, Began(QueueView(1, None)))
    state, _ = step(state, hold.Heard("我要留言"))
    state, actions = step(state, hold.MessageTimeout())
    assert hold.TakeMessage("") in actions and state.phase == "done"


def test_an_agent_connecting_stops_the_hold_and_bridges() -> None:
    state, _ = step(WAITING, Began(OPEN_3))
    state, actions = step(state, hold.AgentConnected())
    assert state.phase == "connected"
    assert _kinds(actions) == ["CancelTimer", "StopAudio", "Say", "Bridge"]
    assert step(state, Key("1"))[1] == []  # keys go to the agent's conversation now


def test_in_dial_mode_the_platform_dials_the_agent_instead_of_a_bridge() -> None:
    state, _ = step(WAITING, Began(OPEN_3))
    state, actions = step(state, hold.AgentConnected("sip:li@pbx.example"))
    assert state.phase == "connected" and actions[-1] == hold.DialAgent("sip:li@pbx.example")
    assert "请稍候" in actions[-2].text  # type: ignore[union-attr]


@pytest.mark.parametrize(("caller_id", "number"), [
    ("+8613800001111", "13800001111"), ("008602512345678", "02512345678"),
    ("13800001111", "13800001111"), ("+14155550100", "14155550100"), ("anonymous", "")])
def test_the_callback_number_is_the_one_callers_know(caller_id: str, number: str) -> None:
    assert hold.callback_number(caller_id) == number


@pytest.mark.parametrize(("text", "word"), [
    ("不等了", HoldWord.CALLBACK), ("回电话给我", HoldWord.CALLBACK),
    ("你们给我打回来吧", HoldWord.CALLBACK), ("算了，太久了", HoldWord.CALLBACK),
    ("我要留言", HoldWord.MESSAGE), ("继续等", HoldWord.WAIT), ("我等着", HoldWord.WAIT),
    ("对", HoldWord.YES), ("是的，没错", HoldWord.YES), ("不对", HoldWord.NO),
    ("不是这个号", HoldWord.NO), ("换一个号码", HoldWord.NO), ("", None), ("嗯嗯", HoldWord.YES),
    ("你好请问社保怎么交", None), ("好的，就这个号", HoldWord.YES),
])
def test_hold_words(text: str, word: HoldWord | None) -> None:
    assert hold_word(text) is word
