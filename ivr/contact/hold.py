"""A caller waiting for a person: what the bot says and does while they hold. Pure.

`step(state, event, texts, config)` returns the new state and the actions to carry out. The
caller hears where they are in the queue and about how long it will take, hold audio between
announcements, and the announcement again every `announce_every_s`; they can ask for a
callback at any time (DTMF 1, "不等了", "回电话给我"), keep waiting (0), or leave a message
(DTMF 2, "留言") when nobody is on duty. A callback confirms the number first: the caller ID
read back digit by digit (1 confirms), or another number (2, then the digits and `#`).
Nothing here knows about sockets, the dispatcher or the database: the session feeds it
events and carries out the actions.

Phases: waiting → (confirm → [keying → confirm] →) done with a callback, or recording → done
with a message, or connected (an agent took the call), or done when the caller left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ivr.contact.hold_words import HoldWord, hold_word
from ivr.contact.wait_estimate import spoken_minutes

Phase = Literal["waiting", "confirm", "keying", "recording", "connected", "done"]
MAX_NUMBER_DIGITS = 15  # E.164 allows no more
MIN_NUMBER_DIGITS = 5  # short numbers (extensions) are not numbers a callback can dial


@dataclass(frozen=True)
class HoldTexts:
    """What the bot says while a caller holds; `{…}` are filled in per call."""

    queued: str = "{where}请不要挂机。等待中按1或说“回电话给我”，可以登记回电。"
    where_next: str = "您是下一位，预计等待约{minutes}分钟。"
    where_behind: str = "您前面还有{ahead}位，预计等待约{minutes}分钟。"
    busy: str = "当前等待时间较长，建议您登记回电：按1或说“回电话给我”。继续等待请按0。"
    unstaffed: str = ("{department}人工服务{why}。需要回电请按1或说“回电话给我”，"
                      "留言请按2。")
    closed_why: str = "现在不在服务时间"
    nobody_why: str = "现在暂时无人值守"
    confirm_number: str = "我们将回拨号码{number}。确认请按1或说“对”，换一个号码请按2。"
    ask_number: str = "请输入您的回电号码，以井号键结束。"
    bad_number: str = "号码不完整，请重新输入，以井号键结束。"
    callback_taken: str = "已为您登记回电，工作人员会尽快给您回电。感谢您的来电，再见。"
    keep_waiting: str = "好的，请继续等待。"
    record_message: str = "请在提示音后说出您的问题和联系方式，说完请停顿。"
    message_taken: str = "您的留言已记录，我们会尽快处理并回复您。感谢您的来电，再见。"
    connecting: str = "已为您接通人工服务，请讲。"
    dialling: str = "正在为您接通人工服务，请稍候。"


@dataclass(frozen=True)
class HoldConfig:
    announce_every_s: float = 30.0
    offer_callback_after_s: float = 120.0  # an estimated wait this long offers a callback
    message_timeout_s: float = 30.0  # longest wait for a spoken message


@dataclass(frozen=True)
class QueueView:
    """Where the caller stands now (from the dispatcher and the wait estimate)."""

    position: int  # 1 = next
    wait_s: float | None  # None: nobody on duty, no estimate
    is_open: bool = True


@dataclass(frozen=True)
class HoldState:
    department: str  # the spoken name
    caller_number: str
    phase: Phase = "waiting"
    number: str = ""  # the number a callback will dial (confirmed in phase confirm)
    keyed: str = ""  # digits keyed so far in phase keying
    unstaffed: bool = False  # nobody on duty or closed: waiting is not offered


# ---- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Began:
    view: QueueView


@dataclass(frozen=True)
class Announce:
    """The announcement timer fired; `view` is the queue as it is now."""

    view: QueueView


@dataclass(frozen=True)
class Heard:
    text: str


@dataclass(frozen=True)
class Key:
    digit: str


@dataclass(frozen=True)
class AgentConnected:
    """An agent accepted; `dial_target` set when the platform must dial them (dial mode)."""

    dial_target: str = ""


@dataclass(frozen=True)
class MessageTimeout:
    pass


HoldEvent = Began | Announce | Heard | Key | AgentConnected | MessageTimeout


# ---- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    key: str
    text: str


@dataclass(frozen=True)
class PlayHoldAudio:
    """Hold audio until the next announcement (cut when anything else must be said)."""


@dataclass(frozen=True)
class StopAudio:
    pass


@dataclass(frozen=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class LeaveQueue:
    reason: str  # callback | message


@dataclass(frozen=True)
class TakeCallback:
    number: str


@dataclass(frozen=True)
class TakeMessage:
    text: str


@dataclass(frozen=True)
class Bridge:
    """Connect the caller's audio to the agent's."""


@dataclass(frozen=True)
class DialAgent:
    """Hand the call to the platform, to dial the agent who accepted it."""

    target: str


@dataclass(frozen=True)
class EndCall:
    outcome: str  # callback | message


HoldAction = (Say | PlayHoldAudio | StopAudio | StartTimer | CancelTimer | LeaveQueue
              | TakeCallback | TakeMessage | Bridge | DialAgent | EndCall)
Step = tuple[HoldState, list[HoldAction]]
ANNOUNCE = "hold-announce"
MESSAGE = "hold-message"


def step(state: HoldState, event: HoldEvent, texts: HoldTexts = HoldTexts(),
         config: HoldConfig = HoldConfig()) -> Step:
    if state.phase in ("done", "connected"):
        return state, []
    match event:
        case Began(view):
            return _began(state, view, texts, config)
        case Announce(view):
            return _announce(state, view, texts, config)
        case AgentConnected(dial_target):
            last: HoldAction = DialAgent(dial_target) if dial_target else Bridge()
            return replace(state, phase="connected"), [
                CancelTimer(ANNOUNCE), StopAudio(),
                Say("hold-connected", texts.dialling if dial_target else texts.connecting), last]
        case Key(digit):
            return _key(state, digit, texts, config)
        case Heard(text):
            return _heard(state, text, texts, config)
        case MessageTimeout():
            if state.phase == "recording":
                return _message(state, "", texts)
            return state, []
    return state, []


def _where(view: QueueView, texts: HoldTexts) -> str:
    if view.wait_s is None:
        return ""
    minutes = spoken_minutes(view.wait_s)
    if view.position <= 1:
        return texts.where_next.format(minutes=minutes)
    return texts.where_behind.format(ahead=view.position - 1, minutes=minutes)


def _began(state: HoldState, view: QueueView, texts: HoldTexts, config: HoldConfig) -> Step:
    if not view.is_open or view.wait_s is None:
        why = texts.closed_why if not view.is_open else texts.nobody_why
        state = replace(state, unstaffed=True)
        return state, [Say("hold-unstaffed", texts.unstaffed.format(
            department=state.department, why=why))]
    said = texts.queued.format(department=state.department, where=_where(view, texts))
    actions: list[HoldAction] = [Say("hold-queued", said)]
    if view.wait_s >= config.offer_callback_after_s:
        actions.append(Say("hold-busy", texts.busy))
    return state, [*actions, StartTimer(ANNOUNCE, config.announce_every_s)]


def _announce(state: HoldState, view: QueueView, texts: HoldTexts, config: HoldConfig) -> Step:
    if state.phase != "waiting":
        return state, [StartTimer(ANNOUNCE, config.announce_every_s)]
    if not view.is_open or view.wait_s is None:  # the last agent left while the caller waited
        return _began(state, view, texts, config)
    said = _where(view, texts)
    if view.wait_s >= config.offer_callback_after_s:
        said += texts.busy
    return state, [StopAudio(), Say("hold-announce", said),
                   StartTimer(ANNOUNCE, config.announce_every_s)]


def prompt_finished(state: HoldState) -> list[HoldAction]:
    """What follows a finished prompt: hold audio while the caller waits in the queue."""
    if state.phase == "waiting" and not state.unstaffed:
        return [PlayHoldAudio()]
    return []


def callback_number(caller_id: str) -> str:
    """The number to read back and dial: digits only, without China's +86 before a mobile
    or area-code number (callers know their number as 139…, not 86139…)."""
    digits = "".join(ch for ch in caller_id if ch.isdigit())
    if caller_id.lstrip().startswith(("+86", "0086")):
        digits = digits.removeprefix("00").removeprefix("86")
    return digits


def _ask_callback(state: HoldState, texts: HoldTexts) -> Step:
    digits = callback_number(state.caller_number)
    if MIN_NUMBER_DIGITS <= len(digits) <= MAX_NUMBER_DIGITS:
        return replace(state, phase="confirm", number=digits), [
            StopAudio(), Say("hold-confirm", texts.confirm_number.format(number=digits))]
    return replace(state, phase="keying", keyed=""), [
        StopAudio(), Say("hold-ask-number", texts.ask_number)]


def _take_callback(state: HoldState, texts: HoldTexts) -> Step:
    return replace(state, phase="done"), [
        CancelTimer(ANNOUNCE), LeaveQueue("callback"), TakeCallback(state.number),
        Say("hold-callback-taken", texts.callback_taken), EndCall("callback")]


def _message(state: HoldState, text: str, texts: HoldTexts) -> Step:
    return replace(state, phase="done"), [
        CancelTimer(MESSAGE), CancelTimer(ANNOUNCE), LeaveQueue("message"), TakeMessage(text),
        Say("hold-message-taken", texts.message_taken), EndCall("message")]


def _start_message(state: HoldState, texts: HoldTexts, config: HoldConfig) -> Step:
    return replace(state, phase="recording"), [
        StopAudio(), CancelTimer(ANNOUNCE), Say("hold-record", texts.record_message),
        StartTimer(MESSAGE, config.message_timeout_s)]


def _key(state: HoldState, digit: str, texts: HoldTexts, config: HoldConfig) -> Step:
    if state.phase == "keying":
        if digit == "#":
            if MIN_NUMBER_DIGITS <= len(state.keyed) <= MAX_NUMBER_DIGITS:
                return replace(state, phase="confirm", number=state.keyed), [
                    Say("hold-confirm", texts.confirm_number.format(number=state.keyed))]
            return replace(state, keyed=""), [Say("hold-bad-number", texts.bad_number)]
        if digit.isdigit() and len(state.keyed) < MAX_NUMBER_DIGITS:
            return replace(state, keyed=state.keyed + digit), []
        return state, []
    if state.phase == "confirm":
        if digit == "1":
            return _take_callback(state, texts)
        if digit == "2":
            return replace(state, phase="keying", keyed=""), [
                StopAudio(), Say("hold-ask-number", texts.ask_number)]
        return state, []
    if state.phase == "waiting":
        if digit == "1":
            return _ask_callback(state, texts)
        if digit == "2" and state.unstaffed:
            return _start_message(state, texts, config)
        if digit == "0" and not state.unstaffed:
            return state, [StopAudio(), Say("hold-keep-waiting", texts.keep_waiting)]
    return state, []


def _heard(state: HoldState, text: str, texts: HoldTexts, config: HoldConfig) -> Step:
    if state.phase == "recording":
        return _message(state, text, texts)
    word = hold_word(text)
    if state.phase == "confirm":
        if word is HoldWord.YES:
            return _take_callback(state, texts)
        if word is HoldWord.NO:
            return replace(state, phase="keying", keyed=""), [
                Say("hold-ask-number", texts.ask_number)]
        return state, []
    if state.phase == "waiting":
        if word is HoldWord.CALLBACK:
            return _ask_callback(state, texts)
        if word is HoldWord.MESSAGE and state.unstaffed:
            return _start_message(state, texts, config)
        if word is HoldWord.WAIT and not state.unstaffed:
            return state, [StopAudio(), Say("hold-keep-waiting", texts.keep_waiting)]
    return state, []
