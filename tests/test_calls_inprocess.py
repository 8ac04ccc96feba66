"""Whole calls in-process, in milliseconds: the real app driven through Starlette's TestClient.

What is real: the FastAPI routers, the Twilio media adapter, the call session and its task
group, VAD endpointing of recorded human speech, the matcher and policy on the shipped
knowledge base, playback with marks, and the SQLite record. What is fake (tests/fakes.py):
the words the recognizer hears (scripted), the bot's voice (tones) and time (a clock the
test advances). The same calls over a real server with Whisper and espeak-ng are in
tests/test_e2e.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from dialog.intents import KnowledgeBase
from dialog.kbholder import KnowledgeBaseHolder
from dialog.matcher import Matcher
from dialog.routing_models import RoutingModels
from ivr.listening import REPLY_CHOICES
from tests.fakes import ScriptedEngine, ToneTts
from tests.inprocess import (
    FakeWorld,
    TwilioCaller,
    app_with_fakes,
    caller_speech,
    shared_kb_holder,
)

LOST_CARD = "社保卡丢了怎么补办"


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder) as running:
        yield running


@contextmanager
def _dialled(app: tuple[TestClient, FakeWorld], sid: str) -> Iterator[TwilioCaller]:
    """A Twilio stream the caller has opened and heard the greeting on."""
    client, world = app
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, sid)
        caller.dial()
        yield caller


def _prompts(holder: KnowledgeBaseHolder) -> dict[str, str]:
    return holder.current.kb.prompts


def _record(client: TestClient, sid: str) -> dict[str, Any]:
    response = client.get(f"/api/calls/{sid}")
    assert response.status_code == 200
    record: dict[str, Any] = response.json()
    return record


def _answer_of(kb: KnowledgeBase, intent: str) -> str:
    return kb.intents[intent].answer


def test_question_answer_then_two_reprompts_then_goodbye(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client, world = app
    prompts, kb = _prompts(holder), holder.current.kb
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, "CAanswer")
        assert caller.dial() == prompts["greeting"]
        caller.ask(LOST_CARD)
        assert caller.hear() == _answer_of(kb, "sbk_reissue")
        assert caller.hear() == prompts["anything_else"]
        for _ in range(2):  # 8 s of silence, twice: "are you still there?"
            caller.wait_for_silence_timer(8.0)
            assert caller.hear() == prompts["no_input"]
        caller.wait_for_silence_timer(8.0)  # the third time: goodbye, and the bot hangs up
        assert caller.hear() == prompts["goodbye"]
        caller.expect_hang_up()
    record = _record(client, "CAanswer")
    assert record["outcome"] == "no-input"
    assert record["from_number"] == "+8613800000000"
    turns = [t for t in record["turns"] if t["caller_text"]]
    assert [(t["caller_text"], t["intent"], t["action"]) for t in turns] == [
        (LOST_CARD, "sbk_reissue", "answer")]
    kinds = [e["kind"] for e in record["events"]]
    assert kinds[-1] == "closed" and "bot closed the call" in record["events"][-1]["detail"]
    assert world.engine.heard == [LOST_CARD]


def _answered_then_asked(caller: TwilioCaller, holder: KnowledgeBaseHolder) -> TwilioCaller:
    """Dial, ask about a lost card, hear its answer and 还有其他问题吗."""
    caller.dial()
    caller.ask(LOST_CARD)
    assert caller.hear() == _answer_of(holder.current.kb, "sbk_reissue")
    assert caller.hear() == _prompts(holder)["anything_else"]
    return caller


def test_the_answer_to_a_question_is_decoded_after_the_question_s_words(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    """The first request is decoded without context; the reply to 还有其他问题吗 with the
    question as context (ivr.listening), as Whisper's prompt would carry it."""
    client, world = app
    prompts = _prompts(holder)
    with client.websocket_connect("/twilio/media") as ws:
        caller = _answered_then_asked(TwilioCaller(ws, world, "CAcontext"), holder)
        caller.ask("没有了，谢谢")
        assert caller.hear() == prompts["goodbye"]
    assert world.engine.contexts == [None, prompts["anything_else"]]


def test_the_answer_to_a_question_is_decoded_with_the_replies_it_expects(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    """The request is decoded expecting nothing in particular; the reply to 还有其他问题吗
    with that question's expected replies (ivr.listening.REPLY_CHOICES), and the one the
    recognizer scored likeliest (its last reading) is what the bot goes by when the
    transcript itself means nothing."""
    client, world = app
    prompts = _prompts(holder)
    with client.websocket_connect("/twilio/media") as ws:
        caller = _answered_then_asked(TwilioCaller(ws, world, "CAchoices"), holder)
        world.engine.say(f"美辣美辣{ScriptedEngine.OR}没了")  # 没了没了 through the band
        caller.speak(caller_speech(seconds=1.0))
        assert caller.hear() == prompts["goodbye"]
    assert world.engine.choices == [(), REPLY_CHOICES["anything_else"]]
    record = client.get("/api/calls/CAchoices").json()
    assert "美辣美辣 → 没了" in [e["detail"] for e in record["events"]
                                 if e["kind"] == "asr_reading"]


def test_a_line_in_another_language_expects_no_mandarin_replies(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    """The expected replies are Mandarin words: a recognizer set to another language is
    never handed them."""
    with app_with_fakes(tmp_path, holder, asr_language="en") as (client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = _answered_then_asked(TwilioCaller(ws, world, "CAenglish"), holder)
            caller.ask("没有了，谢谢")
            assert caller.hear() == _prompts(holder)["goodbye"]
    assert world.engine.choices == [(), ()]


def test_a_doubtful_transcript_that_matches_nothing_is_asked_again_shorter(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client, world = app
    prompts, kb = _prompts(holder), holder.current.kb
    with _dialled(app, "CAreask") as caller:
        world.engine.confidence = 0.3  # the recognizer doubts what it heard
        caller.ask("吃饱咖啡偷了先帮我饭吃一下")
        assert caller.hear() == prompts["reask"] == "请您简短地再说一遍。"
        world.engine.confidence = 0.9
        caller.ask(LOST_CARD)
        assert caller.hear() == _answer_of(kb, "sbk_reissue")
    turns = [t for t in _record(client, "CAreask")["turns"] if t["caller_text"]]
    assert [(t["intent"], t["confidence"]) for t in turns] == [(None, 0.3),
                                                               ("sbk_reissue", 0.9)]


def test_an_alternative_reading_is_understood_when_the_best_one_means_nothing(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    """Vosk's n-best (IVR_VOSK_ALTERNATIVES): the first reading the bot understands wins,
    and the record says which one it was."""
    client, _ = app
    kb = holder.current.kb
    with _dialled(app, "CAnbest") as caller:
        caller.ask(f"吃饱咖啡偷了先帮我饭吃一下{ScriptedEngine.OR}嗯嗯那个"
                   f"{ScriptedEngine.OR}{LOST_CARD}")
        assert caller.hear() == _answer_of(kb, "sbk_reissue")
    turns = [t for t in _record(client, "CAnbest")["turns"] if t["caller_text"]]
    assert [t["intent"] for t in turns] == ["sbk_reissue"]
    events = [(e["kind"], e["detail"]) for e in _record(client, "CAnbest")["events"]]
    assert ("asr_reading", f"吃饱咖啡偷了先帮我饭吃一下 → {LOST_CARD}") in events


def test_asking_for_a_person_transfers_to_the_department_of_the_last_question(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client = app[0]
    prompts, kb = _prompts(holder), holder.current.kb
    with _dialled(app, "CAhuman") as caller:
        caller.ask(LOST_CARD)
        caller.hear(), caller.hear()  # the answer, then "anything else?"
        caller.ask("转人工", seconds=1.5)
        department = kb.departments[kb.intents["sbk_reissue"].department]
        assert caller.hear() == prompts["transfer"].format(department=department.name)
        caller.expect_hang_up()
    record = _record(client, "CAhuman")
    assert record["outcome"] == "transferred"
    assert record["transfer_department"] == department.id
    assert record["transfer_queue"] == department.queue
    assert record["transfer_reason"] == "caller_request"
    # the platform asks what next once the stream closed: the department's queue
    twiml = client.post("/twilio/after-stream", data={"CallSid": "CAhuman"}).text
    assert f"<Enqueue>{department.queue}</Enqueue>" in twiml
    # a dial report for a call no agent is on, or for no call at all, is recorded or ignored
    for sid in ("CAhuman", "CAnever-seen", ""):
        reply = client.post("/twilio/dial-ended", data={"CallSid": sid,
                                                        "DialCallStatus": "no-answer"})
        assert reply.status_code == 200 and "<Hangup" in reply.text


def test_key_zero_transfers_and_the_key_is_recorded(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client, world = app
    prompts, kb = _prompts(holder), holder.current.kb
    with _dialled(app, "CAkey") as caller:
        caller.press("5")  # not a menu key: ignored
        caller.press("0")
        default = kb.departments[kb.default_department]
        assert caller.hear() == prompts["transfer"].format(department=default.name)
        caller.expect_hang_up()
    record = _record(client, "CAkey")
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "dtmf")
    keys = [e["detail"] for e in record["events"] if e["kind"] == "dtmf"]
    assert keys == ["5 (out-of-band)", "0 (out-of-band)"]
    assert world.engine.heard == []  # nothing was said: the recognizer never ran


def test_caller_speech_cuts_the_greeting_short(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    # A voice slow enough that the greeting spans several seconds.
    with app_with_fakes(tmp_path, holder, tts=ToneTts(seconds_per_char=0.1)) as (client, world):
        prompts, kb = _prompts(holder), holder.current.kb
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAbarge")
            caller.start()
            # The platform has the greeting's first 0.3 s (pacing holds the rest back, the
            # clock does not move) when the caller starts talking over it.
            assert caller.hear_start(seconds=0.3) == prompts["greeting"]
            caller.ask(LOST_CARD)
            caller.expect_clear()
            assert caller.hear() == _answer_of(kb, "sbk_reissue")
            caller.stop()
        record = _record(client, "CAbarge")
        assert any(e["kind"] == "barge_in" and "greeting" in e["detail"] for e in record["events"])
        turns = [t for t in record["turns"] if t["caller_text"]]
        assert turns[0]["intent"] == "sbk_reissue" and turns[0]["barged_in"]
        assert record["outcome"] == "answered"
        assert record["events"][-1]["detail"] == "platform stop"


def test_a_crashing_recognizer_reaches_a_person_and_keeps_the_record(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    engine = ScriptedEngine([ScriptedEngine.CRASH])
    with app_with_fakes(tmp_path, holder, engine=engine) as (client, world):
        prompts = _prompts(holder)
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAcrash")
            caller.dial()
            caller.speak(caller_speech(seconds=2.0))
            assert caller.hear() == prompts["error"]
            caller.hear()  # the transfer announcement
            caller.expect_hang_up()
        record = _record(client, "CAcrash")
        assert (record["outcome"], record["transfer_reason"]) == ("transferred", "error")
        assert any(e["kind"] == "asr_error" and "exploded" in e["detail"] for e in record["events"])


def test_hanging_up_mid_sentence_keeps_the_last_words(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client = app[0]
    with _dialled(app, "CAgone") as caller:
        caller.ask(LOST_CARD, then_silence_s=0.0)
        caller.hang_up()  # mid-sentence: the endpointer never saw the end of it
    record = _record(client, "CAgone")
    assert [t["caller_text"] for t in record["turns"] if t["caller_text"]] == [LOST_CARD]
    assert record["outcome"] == "abandoned"
    assert record["events"][-1]["detail"] == "caller hung up"


def test_a_crashing_matcher_reaches_a_person_and_keeps_the_words(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: Matcher, text: str, prior: object = None) -> None:
        raise ValueError("matcher exploded")

    monkeypatch.setattr(Matcher, "match", explode)
    client = app[0]
    with _dialled(app, "CAmatch") as caller:
        caller.ask(LOST_CARD)
        assert caller.hear() == _prompts(holder)["error"]
        caller.hear()  # the transfer announcement
        caller.expect_hang_up()
    record = _record(client, "CAmatch")
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "error")
    errors = [e["detail"] for e in record["events"] if e["kind"] == "match_error"]
    assert errors and "matcher exploded" in errors[0] and LOST_CARD in errors[0]


def test_an_unreadable_router_model_leaves_calls_to_the_knowledge_base(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(self: RoutingModels, kb: object) -> None:
        raise OSError("model file vanished mid-read")

    monkeypatch.setattr(RoutingModels, "phone_prior", unavailable)
    client = app[0]
    with _dialled(app, "CAmodel") as caller:
        caller.ask(LOST_CARD)
        assert caller.hear() == _answer_of(holder.current.kb, "sbk_reissue")
        caller.hang_up()
    record = _record(client, "CAmodel")
    assert [t["intent"] for t in record["turns"] if t["intent"]] == ["sbk_reissue"]
    assert not any(e["kind"] == "match_error" for e in record["events"])


def test_a_declined_problem_asks_which_area_and_transfers_to_the_one_chosen(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    """Issue 10 item 4: no blind "say it again" after a problem the matcher could not route;
    the question names the router's guesses and the caller's choice is where they go."""
    client = app[0]
    prompts, kb = _prompts(holder), holder.current.kb
    problem = "请求整顿步行街的商户"
    guesses = holder.current.matcher.match(problem).guesses
    options = [kb.departments[g.department] for g in guesses]
    assert len(options) == 3
    chosen = options[1]
    with _dialled(app, "CAchoice") as caller:
        caller.ask(problem)
        areas = "、".join(d.spoken_area for d in options[:2]) + "，还是" + options[2].spoken_area
        assert caller.hear() == prompts["department_choice"].format(options=areas)
        caller.ask("第二个", seconds=1.0)
        assert caller.hear() == prompts["route"].format(department=chosen.name)
        caller.expect_hang_up()
    record = _record(client, "CAchoice")
    assert (record["outcome"], record["transfer_department"], record["transfer_queue"],
            record["transfer_reason"]) == ("transferred", chosen.id, chosen.queue,
                                           "caller_choice")
    turns = [(t["caller_text"], t["intent"], t["action"]) for t in record["turns"]
             if t["caller_text"]]
    assert turns == [(problem, None, "none"), ("第二个", None, "none")]
