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

from asr.base import Transcript
from dialog.kbholder import KnowledgeBaseHolder
from dialog.policy import PolicyConfig
from ivr.audio import mulaw_encode, resample
from ivr.audiofile import read_audio
from ivr.config import ServerConfig
from ivr.media.twilio import TwilioMediaProtocol
from ivr.services import Services
from ivr.session import CallSession
from ivr.store import AsyncCallStore, CallStore
from ivr.tts import PromptCache, TtsSynthesizer
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


def _services(tmp_path: Path) -> Services:
    config = ServerConfig(db_path=tmp_path / "calls.sqlite3", kb_path=REPO / "intents.yaml")
    synth = TtsSynthesizer()
    prompts = PromptCache(config.cache_dir / "prompts", synth, voice=config.tts_voice,
                          rate=config.tts_rate)
    return Services(config, KnowledgeBaseHolder(config.kb_path, PolicyConfig()),
                    FakeCrashingEngine(),  # type: ignore[arg-type]
                    ThreadPoolExecutor(1), prompts, synth,
                    AsyncCallStore(CallStore(config.db_path)), time.time())


def _twilio(event: str, **body: object) -> str:
    return json.dumps({"event": event, "streamSid": "MZ1", **body})


def test_a_crashing_recognizer_transfers_the_caller_and_keeps_the_record(
        tmp_path: Path) -> None:
    services = _services(tmp_path)
    speech, rate = read_audio(FIXTURES / "hotline" / "A10_tel8k.wav")
    audio = np.concatenate([resample(speech, rate, 8000), np.zeros(8000, np.int16)])

    async def call() -> dict:
        closed = asyncio.Event()
        session: CallSession

        async def send(message: str | bytes) -> None:
            msg = json.loads(message)
            if msg["event"] == "mark":  # play instantly: echo every mark
                await session.receive_text(_twilio("mark", mark=msg["mark"]))

        async def close() -> None:
            closed.set()

        session = CallSession(TwilioMediaProtocol(), send, close, services)
        await session.receive_text(_twilio("start", start={
            "callSid": "CAcrash", "streamSid": "MZ1", "customParameters": {"from": "1"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}))
        for i in range(0, len(audio), 160):
            payload = base64.b64encode(mulaw_encode(audio[i:i + 160])).decode()
            await session.receive_text(_twilio("media", media={"payload": payload}))
        await asyncio.wait_for(closed.wait(), 60)
        await session.close("test over")
        record = await services.store.get_call("CAcrash")
        await services.aclose()
        assert record is not None
        return record

    record = asyncio.run(call())
    assert record["outcome"] == "transferred"
    assert record["transfer_reason"] == "error"
    assert any(e["kind"] == "asr_error" and "exploded" in e["detail"] for e in record["events"])
