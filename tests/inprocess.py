"""Whole calls in-process: the real app behind Starlette's TestClient, fakes for time and voice.

`app_with_fakes` builds the real FastAPI app (routers, media adapters, call session, VAD
endpointing, matcher, policy, playback, SQLite store) around a `ScriptedEngine`, a `ToneTts`
and a `FakeClock`, and `TwilioCaller` plays the platform's side of one Twilio media stream:
it sends the caller's audio and keys, receives the bot's frames, echoes marks as a platform
that plays audio instantly would, and advances the clock by the audio it received. Nothing
waits in real time, so a whole call takes milliseconds.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI
from starlette.testclient import TestClient, WebSocketTestSession

from asr.stream import make_executor
from dialog.kbholder import KnowledgeBaseHolder
from dialog.policy import PolicyConfig
from dialog.routing_models import RoutingModels
from ivr.config import ServerConfig
from ivr.media.codecs import mulaw_decode, mulaw_encode
from ivr.services import Services
from ivr.store import CallStore
from ivr.store_async import AsyncCallStore
from ivr.web.app import create_app
from pcm.files import read_audio
from pcm.resample import resample
from tests.conftest import ADMIN_HEADERS, FIXTURES, REPO, TEST_ADMIN_KEY
from tests.fakes import FakeClock, ScriptedEngine, ToneTts

RATE = 8000
FRAME = 160  # 20 ms at 8 kHz, as Twilio sends
SPEECH = FIXTURES / "hotline" / "A10_tel8k.wav"  # any real caller speech: VAD decides the turns


@functools.cache
def _recording(path: Path) -> np.ndarray:
    samples, rate = read_audio(path)
    return resample(samples, rate, RATE) if rate != RATE else samples


def caller_speech(path: Path = SPEECH, seconds: float | None = None) -> np.ndarray:
    """Real recorded speech at 8 kHz (the words do not matter: the engine is scripted)."""
    audio = _recording(path)
    return audio if seconds is None else audio[: int(seconds * RATE)]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


@dataclass
class FakeWorld:
    """What a test controls and inspects: time, what the caller is heard saying, the bot's
    voice (which texts it rendered) and the services the app runs on."""

    clock: FakeClock
    engine: ScriptedEngine
    tts: ToneTts
    services: Services
    app: FastAPI | None = None

    def wait_until_calls_served(self, timeout_s: float = 5.0) -> None:
        """Block (real time, bounded) until no call is in progress on the app: its session
        has torn down and settled the record. TestClient cancels the app's handler when a
        test leaves `websocket_connect`, so a test waits here before it does."""
        assert self.app is not None
        deadline = time.monotonic() + timeout_s
        while self.app.state.calls:
            if time.monotonic() > deadline:
                raise AssertionError(f"a call was still in progress after {timeout_s} s")
            time.sleep(0.002)


def fake_services(tmp_path: Path, kb_holder: KnowledgeBaseHolder, *, engine: object,
                  tts: ToneTts, clock: FakeClock, call_store: CallStore | None = None,
                  **config: Any) -> Services:
    """Services around the given fakes; config fields may be overridden by keyword;
    `call_store` replaces the SQLite store (a failing one, in the fault tests)."""
    # The caller's frames go in without moving the fake clock (a whole utterance in no time),
    # so the per-socket message rate is no measure of them: a burst no test reaches, unless a
    # test sets the limit it checks (tests/test_limits.py).
    config.setdefault("ws_msg_burst", 100_000)
    cfg = replace(ServerConfig(db_path=tmp_path / "calls.sqlite3", kb_path=REPO / "intents.yaml",
                               speculate_after_s=0.0, api_keys=f"admin:{TEST_ADMIN_KEY}"),
                  **config)

    class _Synth:
        def close(self) -> None:
            pass

    return Services(cfg, kb_holder, engine,  # type: ignore[arg-type]
                    make_executor(1), tts, _Synth(),
                    AsyncCallStore(call_store or CallStore(cfg.db_path),
                                   backlog_limit=cfg.db_backlog_max, retry_s=cfg.db_retry_s,
                                   write_wait_s=cfg.db_write_wait_s),
                    clock.time(), RoutingModels(None),
                    clock)


def shared_kb_holder() -> KnowledgeBaseHolder:
    """The shipped knowledge base, loaded once per test module (loading indexes it)."""
    return KnowledgeBaseHolder(REPO / "intents.yaml", PolicyConfig())


@contextmanager
def app_with_fakes(tmp_path: Path, kb_holder: KnowledgeBaseHolder, *,
                   tts: ToneTts | None = None, engine: object | None = None,
                   call_store: CallStore | None = None,
                   **config: Any) -> Iterator[tuple[TestClient, FakeWorld]]:
    clock = FakeClock()
    world = FakeWorld(clock, engine or ScriptedEngine(), tts or ToneTts(), None)  # type: ignore[arg-type]
    world.services = fake_services(tmp_path, kb_holder, engine=world.engine, tts=world.tts,
                                   clock=clock, call_store=call_store, **config)
    world.app = create_app(world.services.config, world.services)
    with TestClient(world.app, headers=ADMIN_HEADERS) as client:
        yield client, world


class TwilioCaller:
    """The platform's side of one Twilio media stream, driven step by step by a test."""

    def __init__(self, ws: WebSocketTestSession, world: FakeWorld, call_sid: str) -> None:
        self.ws = ws
        self.world = world
        self.call_sid = call_sid
        self.heard: list[str] = []  # the bot's prompts, in the order they began to play
        self.cleared = 0

    def start(self, caller: str = "+8613800000000") -> None:
        self._send("connected", protocol="Call", version="1.0.0")
        self._send("start", start={
            "callSid": self.call_sid, "streamSid": "MZ" + self.call_sid,
            "customParameters": {"from": caller, "to": "12345"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": RATE, "channels": 1}})

    def dial(self) -> str:
        """Start the stream and hear the greeting through; returns its text."""
        self.start()
        return self.hear()

    def ask(self, text: str, seconds: float = 2.0, then_silence_s: float = 1.0) -> None:
        """Say something the recognizer will hear as `text` (`seconds` of real speech)."""
        self.world.engine.say(text)
        self.speak(caller_speech(seconds=seconds), then_silence_s)

    def speak(self, audio: np.ndarray, then_silence_s: float = 1.0) -> None:
        """Stream caller audio (then silence, so the endpointer ends the utterance)."""
        samples = np.concatenate([audio, silence(then_silence_s)])
        for i in range(0, len(samples), FRAME):
            payload = base64.b64encode(mulaw_encode(samples[i:i + FRAME])).decode()
            self._send("media", media={"payload": payload})

    def press(self, digit: str) -> None:
        self._send("dtmf", dtmf={"digit": digit})

    def stop(self) -> None:
        """The platform ends the stream: the bot closes the socket once it has settled."""
        self._send("stop", stop={"callSid": self.call_sid})
        self.expect_closed()
        self.world.wait_until_calls_served()

    def hang_up(self) -> None:
        """The caller's line drops: the socket closes under the bot."""
        self.ws.close(1000)
        self.world.wait_until_calls_served()

    def hear(self) -> str:
        """Receive one whole prompt (its frames and marks), echoing every mark; return its
        text. The clock moves on by each frame's length, as playback at the platform would."""
        first = self._receive("media")
        text = self._began()
        self._play(first)
        self._hear_until(len(self.world.tts.render(text)) - self._samples(first))
        return text

    def hear_audio(self, samples: int) -> np.ndarray:
        """Receive at least `samples` of the bot's audio whatever made it (a fallback voice,
        the recorded apology: no text to name), echoing marks as `hear` does."""
        return self._hear_until(samples)

    def hear_start(self, seconds: float) -> str:
        """Receive the first `seconds` of a prompt without echoing its marks (it is still
        playing, as if the caller had heard only its beginning); returns its text."""
        received = 0
        while received < seconds * RATE:
            message = self._receive_json()
            if message["event"] == "media":
                received += self._samples(message)
            else:
                assert message["event"] == "mark", message
        return self._began()

    def _hear_until(self, samples: int) -> np.ndarray:
        """Frames until `samples` of audio arrived and then the mark after them (the end of
        an utterance), the clock moved by each frame, every mark echoed."""
        received: list[np.ndarray] = []
        total = 0
        while True:
            message = self._receive_json()
            if message["event"] == "mark":
                self._send("mark", mark={"name": message["mark"]["name"]})
                if total >= samples:
                    return np.concatenate(received) if received else np.zeros(0, np.int16)
                continue
            assert message["event"] == "media", message
            audio = self._play(message)
            received.append(audio)
            total += len(audio)

    def _play(self, media: dict[str, Any]) -> np.ndarray:
        """The frame's audio; the clock moves on by its length."""
        audio = mulaw_decode(base64.b64decode(media["media"]["payload"]))
        self.world.clock.advance(len(audio) / RATE)
        return audio

    @staticmethod
    def _samples(media: dict[str, Any]) -> int:
        return len(base64.b64decode(media["media"]["payload"]))

    def expect_clear(self) -> None:
        """The bot told the platform to drop its queued audio (barge-in)."""
        while True:
            message = self._receive_json()
            if message["event"] == "clear":
                self.cleared += 1
                return
            assert message["event"] in ("media", "mark"), message

    def expect_hang_up(self) -> None:
        """The bot ends its part: a last mark (echoed), then it closes the socket."""
        mark = self._receive("mark")
        self._send("mark", mark={"name": mark["mark"]["name"]})
        self.expect_closed()

    def expect_closed(self) -> None:
        """The bot closed the socket (after any audio still queued); wait until its session
        has settled the record."""
        message = self.ws.receive()
        while message["type"] == "websocket.send":
            assert json.loads(message["text"])["event"] in ("media", "mark"), message
            message = self.ws.receive()
        assert message["type"] == "websocket.close", message
        self.world.wait_until_calls_served()

    def wait_for_silence_timer(self, seconds: float) -> None:
        """Let `seconds` of caller silence pass once the bot waits for an answer."""
        self.world.clock.wait_for_timer(seconds)
        self.world.clock.advance(seconds)

    # ---- wire ------------------------------------------------------------------------------

    def _began(self) -> str:
        """The text of the prompt whose first frame just arrived (prompts are rendered and
        played in order)."""
        spoken, index = self.world.tts.spoken, len(self.heard)
        assert len(spoken) > index, f"audio arrived but only {spoken} were rendered"
        self.heard.append(spoken[index])
        return spoken[index]

    def _send(self, event: str, **body: Any) -> None:
        self.ws.send_text(json.dumps({"event": event, "streamSid": "MZ" + self.call_sid,
                                      **body}))

    def _receive_json(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.receive_text())
        return message

    def _receive(self, event: str) -> dict[str, Any]:
        message = self._receive_json()
        assert message["event"] == event, f"expected {event}, got {message}"
        return message

