"""Faults inside a call (issue 11 item 5): whatever breaks, the caller gets a safe outcome and
the record keeps everything.

In-process through the real app (tests/inprocess.py), with fakes only where the real part
cannot be made to fail on demand: a recognizer that raises or never returns, a voice that
hangs. A crashing recognizer and matcher are in tests/test_calls_inprocess.py; the database
outage and dropped connections over a real server are in tests/test_faults_server.py.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from asr.base import Transcript
from dialog.kbholder import KnowledgeBaseHolder
from ivr.config import FALLBACK_AUDIO
from ivr.prompt_cache import PromptCache
from ivr.prompt_timeout import apology
from ivr.services import speech_for
from ivr.store import CallStore
from ivr.voices.chain import VoiceChain
from ivr.voices.client import WorkerVoiceClient
from tests.fakes import ScriptedEngine, ScriptedRecognizer, ToneTts
from tests.inprocess import (
    TwilioCaller,
    app_with_fakes,
    caller_speech,
    shared_kb_holder,
)

LOST_CARD = "社保卡丢了怎么补办"


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


def _record(client: TestClient, sid: str) -> dict[str, Any]:
    response = client.get(f"/api/calls/{sid}")
    assert response.status_code == 200
    record: dict[str, Any] = response.json()
    return record


# ---- the recognizer ---------------------------------------------------------------------------


class BreakingRecognizer(ScriptedRecognizer):
    """Streams like Vosk (audio fed as the caller speaks); breaks on the second utterance."""

    def __init__(self, engine: ScriptedEngine) -> None:
        super().__init__(engine)
        self.finished = 0

    def accept_audio(self, samples: np.ndarray) -> str | None:
        if self.finished >= 1:
            raise MemoryError("native recognizer ran out of memory")
        return super().accept_audio(samples)

    def finish(self) -> Transcript:
        self.finished += 1
        return super().finish()


class StreamingCrash(ScriptedEngine):
    def new_recognizer(self, phrases: list[str] | None = None) -> BreakingRecognizer:
        return BreakingRecognizer(self)


def test_a_recognizer_raising_mid_call_reaches_a_person_with_the_reason_recorded(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    engine = StreamingCrash([LOST_CARD])
    with app_with_fakes(tmp_path, holder, engine=engine) as (client, world):
        kb = holder.current.kb
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAmidcrash")
            caller.dial()
            caller.speak(caller_speech(seconds=2.0))
            assert caller.hear() == kb.intents["sbk_reissue"].answer  # the first turn works
            caller.hear()
            caller.speak(caller_speech(seconds=2.0))  # the recognizer breaks on this one
            assert caller.hear() == kb.prompts["error"]  # the apology
            assert caller.hear().startswith(kb.prompts["transfer"].split("{")[0])
            caller.expect_hang_up()
        record = _record(client, "CAmidcrash")
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "error")
    errors = [e["detail"] for e in record["events"] if e["kind"] == "asr_error"]
    assert errors == ["MemoryError: native recognizer ran out of memory"]
    assert [t["intent"] for t in record["turns"] if t["caller_text"]] == ["sbk_reissue"]
    assert record["events"][-1]["kind"] == "closed"


def test_a_hung_recognizer_times_out_into_an_apology_and_a_transfer(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    engine = ScriptedEngine([ScriptedEngine.HANG])
    try:
        with app_with_fakes(tmp_path, holder, engine=engine, asr_timeout_s=5.0) as (
                client, world):
            prompts = holder.current.kb.prompts
            with client.websocket_connect("/twilio/media") as ws:
                caller = TwilioCaller(ws, world, "CAhung")
                caller.dial()
                caller.speak(caller_speech(seconds=2.0))  # its decode never returns
                # The streamed partials set 5 s deadlines of their own while they run; once
                # the final decode hangs (jobs run one at a time) the only one left is its own.
                assert engine.hanging.wait(10.0), "the final decode never started"
                world.clock.wait_for_timer(5.0)  # the stream's deadline, on the call's clock
                world.clock.advance(5.0)
                assert caller.hear() == prompts["error"]
                caller.hear()  # the transfer announcement
                caller.expect_hang_up()
            record = _record(client, "CAhung")
    finally:
        engine.release()
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "error")
    errors = [e["detail"] for e in record["events"] if e["kind"] == "asr_error"]
    assert errors == ["scripted recognizer gave no result within 5 s"]
    assert record["events"][-1]["kind"] == "closed"


def test_a_hang_up_while_the_recognizer_hangs_still_closes_the_call(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    engine = ScriptedEngine([ScriptedEngine.HANG])
    try:
        with app_with_fakes(tmp_path, holder, engine=engine) as (client, world):
            with client.websocket_connect("/twilio/media") as ws:
                caller = TwilioCaller(ws, world, "CAgonehung")
                caller.dial()
                caller.speak(caller_speech(seconds=1.5), then_silence_s=0.0)  # mid-sentence
                ws.close(1000)  # the line drops; the last words' decode never returns
                world.clock.wait_for_timer(10.0)  # the wait for the last words
                world.clock.advance(10.0)
                world.wait_until_calls_served()
            record = _record(client, "CAgonehung")
    finally:
        engine.release()
    assert record["outcome"] == "abandoned" and record["ended_at"] is not None
    kinds = [e["kind"] for e in record["events"]]
    assert kinds[-2:] == ["asr_unfinished", "closed"]
    assert record["events"][-1]["detail"] == "caller hung up"


# ---- the database -----------------------------------------------------------------------------


class FlakyCallStore(CallStore):
    """The real SQLite store, except that every write fails as a locked or unreachable
    database does while `down` is set (reads still work: the test looks at what arrived)."""

    down = False

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        if self.down:
            raise OperationalError("BEGIN IMMEDIATE", {},
                                   sqlite3.OperationalError("database is locked"))
        with super()._tx() as conn:
            yield conn


def _database(client: TestClient) -> dict[str, Any]:
    health: dict[str, Any] = client.get("/healthz").json()["database"]
    return health


def _wait_for_backlog_to_empty(client: TestClient, timeout_s: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (health := _database(client))["backlog"]:
        assert time.monotonic() < deadline, f"still waiting: {health}"
        time.sleep(0.01)
    return health


def test_a_database_outage_keeps_every_turn_and_the_outcome_for_later(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    store = FlakyCallStore(tmp_path / "calls.sqlite3")
    with app_with_fakes(tmp_path, holder, call_store=store, db_retry_s=2.0) as (client, world):
        kb = holder.current.kb
        prompts = kb.prompts
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAdbdown")
            caller.dial()
            store.down = True  # mid-call: nothing more reaches the database for a while
            caller.ask(LOST_CARD)
            assert caller.hear() == kb.intents["sbk_reissue"].answer  # the call goes on
            assert caller.hear() == prompts["anything_else"]
            caller.ask("转人工", seconds=1.5)
            department = kb.departments[kb.intents["sbk_reissue"].department]
            assert caller.hear() == prompts["transfer"].format(department=department.name)
            caller.expect_hang_up()
        during = _database(client)
        assert not during["available"] and during["backlog"] >= 5 and during["outages"] == 1
        assert "ivr_db_backlog " in client.get("/metrics").text
        waiting = store.get_call("CAdbdown")
        assert waiting is not None and waiting["turns"] == [] and waiting["outcome"] is None
        # the platform asks where the caller goes before the database is back
        twiml = client.post("/twilio/after-stream", data={"CallSid": "CAdbdown"}).text
        assert f"<Enqueue>{department.queue}</Enqueue>" in twiml

        world.clock.advance(2.0)  # a retry while still down: everything stays queued
        time.sleep(0.05)
        assert _database(client)["backlog"] == during["backlog"]
        store.down = False
        world.clock.advance(2.0)  # the next retry gets through
        after = _wait_for_backlog_to_empty(client)
        record = client.get("/api/calls/CAdbdown").json()
    assert after["available"] and after["dropped"] == 0
    assert after["written_late"] == after["buffered"] >= during["backlog"]
    assert [(t["caller_text"], t["intent"]) for t in record["turns"] if t["caller_text"]] == [
        (LOST_CARD, "sbk_reissue"), ("转人工", "human_agent")]
    answered = record["turns"][0]
    assert answered["bot_text"].startswith(kb.intents["sbk_reissue"].answer)
    assert answered["reply_started_at"] is not None  # its rewrite, made in the outage too
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "caller_request")
    assert record["events"][-1]["kind"] == "closed"
    assert [e["seq"] for e in record["events"]] == list(range(len(record["events"])))


def test_a_locked_sqlite_file_does_not_hold_up_the_call(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    """A real lock (another process's exclusive transaction): each write would wait out
    SQLite's 30 s busy timeout; the call waits `db_write_wait_s` for the first, and not at
    all for the writes behind it while it is stuck."""
    kb = holder.current.kb
    db = tmp_path / "calls.sqlite3"
    with app_with_fakes(tmp_path, holder, db_write_wait_s=0.5) as (client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAlocked")
            caller.dial()
            locker = sqlite3.connect(db, timeout=0, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")  # e.g. a backup tool holding the file
            began = time.monotonic()
            caller.ask(LOST_CARD)
            assert caller.hear() == kb.intents["sbk_reissue"].answer
            caller.hear()
            caller.press("0")
            caller.hear()
            caller.expect_hang_up()
            took = time.monotonic() - began
            reader = sqlite3.connect(db)
            written = reader.execute("SELECT count(*) FROM turns WHERE call_sid = 'CAlocked'"
                                     ).fetchone()[0]
            reader.close()
            locker.execute("ROLLBACK")
            locker.close()
        record = client.get("/api/calls/CAlocked").json()  # after the writes, in order
    assert took < 3.0, f"the call waited {took:.1f} s on a locked database"
    assert written == 0  # nothing could be written while the lock was held
    assert [t["intent"] for t in record["turns"]] == ["sbk_reissue", None]
    assert record["turns"][1]["dtmf"] == "0"
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "dtmf")
    assert record["events"][-1]["kind"] == "closed"


def test_a_full_backlog_drops_and_counts_instead_of_growing(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    store = FlakyCallStore(tmp_path / "calls.sqlite3")
    with app_with_fakes(tmp_path, holder, call_store=store, db_backlog_max=3) as (
            client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAfull")
            caller.dial()
            store.down = True
            for digit in "123456":
                caller.press(digit)
            caller.press("0")  # to a person: the call still ends properly
            caller.hear()
            caller.expect_hang_up()
        health = _database(client)
        assert health["backlog"] == 3 and health["dropped"] > 0
        assert world.app is not None
        assert "ivr_db_delayed_writes_total{state=\"dropped\"}" in client.get("/metrics").text
        store.down = False
        world.clock.advance(2.0)
        _wait_for_backlog_to_empty(client)
    record = store.get_call("CAfull")
    assert record is not None
    assert [e["detail"] for e in record["events"] if e["kind"] == "dtmf"] == [
        "1 (out-of-band)", "2 (out-of-band)", "3 (out-of-band)"]  # the oldest are kept


# ---- the voice --------------------------------------------------------------------------------

# A voice worker that loads, then never answers a clause (a wedged native library).
HUNG_WORKER = """
import json, sys, time
for line in sys.stdin:
    request = json.loads(line)
    if request.get("op") == "describe":
        print(json.dumps({"id": request["id"], "ok": True, "identity": "hung/1",
                          "rate": 8000}), flush=True)
    else:
        time.sleep(3600)
"""


class ToneVoice:
    """A voice that always answers: a short tone per clause."""

    name = "tone"
    identity = "tone/1"
    peak_rss_mb = 0.0
    restarts = 0

    def start(self) -> None:
        pass

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        t = np.arange(2000) / 8000
        return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), 8000

    def close(self) -> None:
        pass


def _hung_voice(tmp_path: Path) -> WorkerVoiceClient:
    voice = WorkerVoiceClient("hung", tmp_path, timeout_s=0.3,
                              worker_cmd=[sys.executable, "-c", HUNG_WORKER])
    voice.start()
    return voice


def _prompts(cache_dir: Path, chain: VoiceChain) -> PromptCache:
    return PromptCache(cache_dir, chain, chain.identity, 0, speak=speech_for(""),
                       fallback_audio=FALLBACK_AUDIO)


@pytest.mark.parametrize("fallback", ["next voice", "recorded apology"])
def test_a_hung_voice_falls_back_and_the_call_goes_on(
        tmp_path: Path, holder: KnowledgeBaseHolder, fallback: str) -> None:
    """The chain's own timeout: the hung worker is killed after 0.3 s (real time) and the
    clause goes to the next voice, or, with none left, the recorded apology plays."""
    chain = VoiceChain([_hung_voice(tmp_path), *([ToneVoice()] if fallback == "next voice"
                                                 else [])], "test")
    prompts = _prompts(tmp_path / "prompts", chain)
    kb = holder.current.kb
    reference = _prompts(tmp_path / "ref", VoiceChain([ToneVoice()], "ref"))

    def expected(text: str) -> int:
        if fallback == "next voice":
            return len(reference.get_samples(text))
        return len(apology(FALLBACK_AUDIO))

    transfer = kb.prompts["transfer"].format(
        department=kb.departments[kb.default_department].name)
    try:
        with app_with_fakes(tmp_path, holder, tts=prompts) as (client, world):  # type: ignore[arg-type]
            with client.websocket_connect("/twilio/media") as ws:
                caller = TwilioCaller(ws, world, "CAvoice")
                caller.start()
                heard = caller.hear_audio(expected(kb.prompts["greeting"]))
                assert np.abs(heard).max() > 1000  # never silence
                caller.press("0")  # the dialog goes on: to a person
                caller.hear_audio(expected(transfer))
                caller.expect_hang_up()
            record = _record(client, "CAvoice")
    finally:
        chain.close()
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "dtmf")
    assert chain.voices[0].restarts >= 2  # killed on every clause it was given
    if fallback == "next voice":
        assert chain.fallbacks_used >= 2


class HangingGreeting(ToneTts):
    """The tone voice, except that the greeting's audio never comes (a prompt source that
    hangs outside the voice chain's timeouts)."""

    def __init__(self, greeting: str) -> None:
        super().__init__()
        self.greeting = greeting
        self.released = threading.Event()

    def stream_samples(self, text: str) -> Iterator[np.ndarray]:
        if text == self.greeting:
            self.released.wait(30.0)
        yield self.get_samples(text)


def test_a_prompt_that_never_comes_plays_the_apology_and_the_call_goes_on(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    kb = holder.current.kb
    tts = HangingGreeting(kb.prompts["greeting"])
    with app_with_fakes(tmp_path, holder, tts=tts, tts_prompt_timeout_s=5.0) as (
            client, world):
        try:
            with client.websocket_connect("/twilio/media") as ws:
                caller = TwilioCaller(ws, world, "CAmute")
                caller.start()
                world.clock.wait_for_timer(5.0)
                world.clock.advance(5.0)
                caller.hear_audio(len(apology(FALLBACK_AUDIO)))  # the apology, not silence
                caller.ask(LOST_CARD)  # the dialog listens after it, as after the greeting
                assert caller.hear() == kb.intents["sbk_reissue"].answer
                caller.hang_up()
            record = _record(client, "CAmute")
        finally:
            tts.released.set()  # the stuck thread ends before the app's executor shuts down
    assert [e["detail"] for e in record["events"] if e["kind"] == "tts_error"] == [
        "greeting: no audio within 5 s"]
    assert [t["intent"] for t in record["turns"] if t["caller_text"]] == ["sbk_reissue"]
    assert record["outcome"] == "answered" and record["events"][-1]["kind"] == "closed"
