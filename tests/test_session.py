"""The call session in-process: a recognizer that crashes must still get the caller to a human.

A crashing engine cannot be produced with the real models on demand, so this is the one place
a fake recognizer stands in (`FakeCrashingEngine`); everything else is real: the Twilio adapter,
the knowledge base, TTS prompts, playback with marks, and the SQLite store.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from asr.base import Transcript
from dialog.kbholder import KnowledgeBaseHolder
from dialog.matcher import Matcher
from dialog.policy import PolicyConfig
from dialog.routing_models import RoutingModels
from ivr.config import ServerConfig
from ivr.media.codecs import mulaw_encode
from ivr.media.twilio import TwilioMediaProtocol
from ivr.services import Services
from ivr.session import CallSession
from ivr.store import AsyncCallStore, CallStore
from ivr.tts import PromptCache, TtsSynthesizer
from pcm.files import read_audio
from pcm.resample import resample
from tests.conftest import FIXTURES, REPO


class FakeCrashingRecognizer:
    sample_rate = 16000

    def accept_audio(self, samples: np.ndarray) -> str | None:
        return None

    def finish(self) -> Transcript:
        raise RuntimeError("decoder exploded")

    def reset(self) -> None:
        pass


class FakeCrashingEngine:
    name = "fake-crashing"
    sample_rate = 16000

    def new_recognizer(self, phrases: list[str] | None = None) -> FakeCrashingRecognizer:
        return FakeCrashingRecognizer()


class FakeHearingRecognizer(FakeCrashingRecognizer):
    """Hears the same words in every utterance (the words, not the recognizer, are tested)."""

    def finish(self) -> Transcript:
        return Transcript("社保卡丢了怎么补办", 0.9, 1.0, 0.0, "fake-hearing")


class FakeHearingEngine(FakeCrashingEngine):
    name = "fake-hearing"

    def new_recognizer(self, phrases: list[str] | None = None) -> FakeHearingRecognizer:
        return FakeHearingRecognizer()


def _services(tmp_path: Path, engine: object | None = None) -> Services:
    config = ServerConfig(db_path=tmp_path / "calls.sqlite3", kb_path=REPO / "intents.yaml")
    synth = TtsSynthesizer()
    prompts = PromptCache(config.cache_dir / "prompts", synth, voice=config.tts_voice,
                          rate=config.tts_rate)
    return Services(config, KnowledgeBaseHolder(config.kb_path, PolicyConfig()),
                    engine or FakeCrashingEngine(),  # type: ignore[arg-type]
                    ThreadPoolExecutor(1), prompts, synth,
                    AsyncCallStore(CallStore(config.db_path)), time.time())


def _twilio(event: str, **body: object) -> str:
    return json.dumps({"event": event, "streamSid": "MZ1", **body})


async def _call(services: Services, sid: str, *, until_closed: bool = True) -> dict:
    """One call of hotline clip A10 (telephone band) and a second of silence; returns the
    record once the bot ended the call or, with `until_closed` False, answered a turn."""
    speech, rate = read_audio(FIXTURES / "hotline" / "A10_tel8k.wav")
    audio = np.concatenate([resample(speech, rate, 8000), np.zeros(8000, np.int16)])
    closed = asyncio.Event()
    session: CallSession

    async def send(message: str | bytes) -> None:
        msg = json.loads(message)
        if msg["event"] == "mark":  # play instantly: echo every mark
            await session.receive_text(_twilio("mark", mark=msg["mark"]))

    async def close() -> None:
        closed.set()

    async def answered() -> None:  # the store is what is checked, so poll it
        while not any(t["intent"] for t in (await services.store.get_call(sid) or {})["turns"]):  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    session = CallSession(TwilioMediaProtocol(), send, close, services)
    await session.receive_text(_twilio("start", start={
        "callSid": sid, "streamSid": "MZ1", "customParameters": {"from": "1"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}))
    for i in range(0, len(audio), 160):
        payload = base64.b64encode(mulaw_encode(audio[i:i + 160])).decode()
        await session.receive_text(_twilio("media", media={"payload": payload}))
    await asyncio.wait_for(closed.wait() if until_closed else answered(), 60)
    await session.close("test over")
    record = await services.store.get_call(sid)
    await services.aclose()
    assert record is not None
    return record


def test_a_crashing_recognizer_transfers_the_caller_and_keeps_the_record(
        tmp_path: Path) -> None:
    record = asyncio.run(_call(_services(tmp_path), "CAcrash"))
    assert record["outcome"] == "transferred"
    assert record["transfer_reason"] == "error"
    assert any(e["kind"] == "asr_error" and "exploded" in e["detail"] for e in record["events"])


def test_a_crashing_matcher_transfers_the_caller_and_keeps_the_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: Matcher, text: str, prior: object = None) -> None:
        raise ValueError("matcher exploded")

    monkeypatch.setattr(Matcher, "match", explode)
    record = asyncio.run(_call(_services(tmp_path, FakeHearingEngine()), "CAmatch"))
    assert record["outcome"] == "transferred" and record["transfer_reason"] == "error"
    errors = [e["detail"] for e in record["events"] if e["kind"] == "match_error"]
    assert errors and "matcher exploded" in errors[0] and "社保卡丢了怎么补办" in errors[0]


def test_an_unreadable_router_model_leaves_calls_to_the_knowledge_base(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(self: RoutingModels, kb: object) -> None:
        raise OSError("model file vanished mid-read")

    monkeypatch.setattr(RoutingModels, "phone_prior", unavailable)
    record = asyncio.run(_call(_services(tmp_path, FakeHearingEngine()), "CAmodel",
                               until_closed=False))
    assert [t["intent"] for t in record["turns"] if t["intent"]][:1] == ["sbk_reissue"]
    assert not any(e["kind"] == "match_error" for e in record["events"])
