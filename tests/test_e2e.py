"""End-to-end calls over the real server on localhost: recorded Mandarin through both protocols.

These use the real recognizer (Whisper-base), real TTS and SQLite. Calls run in real time, so
each test costs some seconds; assertions are on content and records, never on speed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import websockets

from ivr.media.codecs import mulaw_encode
from ivr.replay import replay
from pcm.files import read_audio
from pcm.resample import resample
from tests.conftest import FIXTURES, REPO, RunningServer
from tests.transcripts import assert_heard

pytestmark = pytest.mark.e2e

HOTLINE = FIXTURES / "hotline"


def test_twilio_call_answers_then_says_goodbye(server: RunningServer, tmp_path: Path) -> None:
    out = tmp_path / "bot.wav"
    report = asyncio.run(replay([HOTLINE / "A10_tel8k.wav", HOTLINE / "A54_tel8k.wav"],
                                server.ws, "twilio", out=out))
    record = server.call_record(report.call_sid)
    assert record["protocol"] == "twilio"
    turns = [t for t in record["turns"] if t["caller_text"]]
    assert turns[0]["intent"] == "medical_reimburse"
    assert turns[0]["action"] == "answer"
    assert "还有其他问题" in turns[0]["bot_text"]
    assert turns[1]["intent"] == "goodbye"
    assert record["outcome"] == "answered"
    assert report.turns[0].latency_ms is not None
    assert turns[0]["latency_ms"] is not None
    samples, rate = read_audio(out)
    assert rate == 8000 and len(samples) > 8000 * 3  # greeting + answer + goodbye were heard


def test_l16_16k_call_transfers_on_request(server: RunningServer) -> None:
    report = asyncio.run(replay([HOTLINE / "A13.wav", HOTLINE / "A40.wav"], server.ws, "l16",
                                sample_rate=16000))
    record = server.call_record(report.call_sid)
    assert record["protocol"] == "l16"
    turns = [t for t in record["turns"] if t["caller_text"]]
    assert turns[0]["intent"] == "hpf_withdraw"
    assert turns[1]["intent"] == "human_agent"
    assert record["outcome"] == "transferred"
    assert record["transfer_department"] == "housing_fund"  # the department of the last question
    assert report.closed_by_bot


def test_dtmf_zero_transfers_to_a_human(server: RunningServer) -> None:
    report = asyncio.run(replay([], server.ws, "twilio", keys="0"))
    record = server.call_record(report.call_sid)
    assert record["outcome"] == "transferred"
    assert record["transfer_reason"] == "dtmf"
    assert any(e["kind"] == "dtmf" for e in record["events"])


def test_inband_dtmf_tone_is_detected(server: RunningServer) -> None:
    # L16 has no key events: the keys are in the audio (Twilio's come as events instead)
    report = asyncio.run(replay([FIXTURES / "dtmf" / "key0.wav"], server.ws, "l16",
                                sample_rate=8000))
    record = server.call_record(report.call_sid)
    assert record["outcome"] == "transferred"
    assert any(e["kind"] == "dtmf" and "in-band" in e["detail"] for e in record["events"])


def test_a_question_the_old_detector_heard_as_a_key_is_answered(server: RunningServer) -> None:
    # "买房子可以提取公积金吗": the in-band detector used to hear `*` in 房子 and drop it
    report = asyncio.run(replay([FIXTURES / "talk_off" / "buy_house_hpf_tel8k.wav"], server.ws,
                                "l16", sample_rate=8000))
    record = server.call_record(report.call_sid)
    turns = [t for t in record["turns"] if t["caller_text"]]
    assert [t["intent"] for t in turns] == ["hpf_withdraw"]
    assert turns[0]["action"] == "answer"
    assert not any(e["kind"] in ("dtmf", "dtmf_ignored", "asr_dropped")
                   for e in record["events"])


class RawTwilio:
    """A minimal Twilio-format client for abusing the server with bad input."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.call_sid = "CA" + uuid.uuid4().hex
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.received: list[dict] = []

    async def send(self, obj: dict | str) -> None:
        await self.ws.send(obj if isinstance(obj, str) else json.dumps(obj))

    async def start(self) -> None:
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send({"event": "start", "sequenceNumber": "1", "streamSid": self.stream_sid,
                         "start": {"accountSid": "AC1", "callSid": self.call_sid,
                                   "streamSid": self.stream_sid, "tracks": ["inbound"],
                                   "customParameters": {"from": "+8613900000000", "to": "12345"},
                                   "mediaFormat": {"encoding": "audio/x-mulaw",
                                                   "sampleRate": 8000, "channels": 1}}})

    async def media(self, samples: np.ndarray, realtime: bool = True) -> None:
        for i in range(0, len(samples), 160):
            payload = base64.b64encode(mulaw_encode(samples[i:i + 160])).decode()
            await self.send({"event": "media", "streamSid": self.stream_sid,
                             "media": {"track": "inbound", "payload": payload}})
            if realtime:
                await asyncio.sleep(0.02)

    async def drain(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                async for message in self.ws:
                    msg = json.loads(message)
                    self.received.append(msg)
                    if msg.get("event") == "mark":  # play instantly: echo every mark at once
                        await self.send({"event": "mark", "streamSid": self.stream_sid,
                                         "mark": msg["mark"]})
        except TimeoutError:
            pass


def _clip(name: str) -> np.ndarray:
    samples, rate = read_audio(HOTLINE / name)
    return resample(samples, rate, 8000)


def test_bad_input_keeps_serving_and_the_record_is_saved(server: RunningServer) -> None:
    async def abuse() -> str:
        async with websockets.connect(server.ws + "/twilio/media") as ws:
            c = RawTwilio(ws)
            await c.send({"event": "media", "media": {"payload": "AAAA"}})  # media before start
            await c.send("this is not json")
            await c.send("[1, 2, 3]")
            await c.start()
            await c.send({"event": "frobnicate", "streamSid": c.stream_sid})
            await c.send({"event": "media", "streamSid": c.stream_sid,
                          "media": {"payload": "!!!not base64!!!"}})
            await ws.send(b"\x00\x01binary")
            await c.drain(1.0)
            clip = _clip("A22_tel8k.wav")
            # in real time, as a platform sends it; then hang up mid-utterance
            await c.media(clip[: len(clip) // 2])
            return c.call_sid

    call_sid = asyncio.run(abuse())
    record = server.call_record(call_sid)
    kinds = [e["kind"] for e in record["events"]]
    assert kinds.count("protocol_error") >= 4
    assert "unknown_event" in kinds
    assert record["outcome"] == "abandoned"
    assert record["ended_at"] is not None
    last_words = [t for t in record["turns"] if t["caller_text"]]
    # Heard as the line dropped: the key word of the half of A22 sent (normalised, so script,
    # spacing and punctuation do not matter); measured: 我要投注一下商店卖给.
    # (once, in CI, flooded in at once: the record held only 是我 — the turns and events say why)
    seen = f"turns {[(t['caller_text'], t['bot_text']) for t in record['turns']]}, events {kinds}"
    assert last_words, seen
    assert_heard(last_words[-1]["caller_text"], "商店", what=f"A22_tel8k, first half; {seen}")
    assert last_words[-1]["bot_text"] == ""
    assert server.get("/healthz")["status"] == "ok"
    # ... and the server still takes a normal call afterwards
    report = asyncio.run(replay([HOTLINE / "A46_tel8k.wav"], server.ws, "twilio"))
    assert server.call_record(report.call_sid)["turns"]


def test_caller_speech_interrupts_the_greeting(server: RunningServer) -> None:
    async def interrupt() -> tuple[str, list[dict]]:
        async with websockets.connect(server.ws + "/twilio/media") as ws:
            c = RawTwilio(ws)
            await c.start()
            first = json.loads(await ws.recv())  # greeting audio is flowing
            assert first["event"] == "media"
            listener = asyncio.create_task(c.drain(12.0))
            clip = _clip("A34_tel8k.wav")
            await c.media(np.concatenate([clip, np.zeros(8000, np.int16)]))
            await listener
            return c.call_sid, c.received

    call_sid, received = asyncio.run(interrupt())
    assert any(m.get("event") == "clear" for m in received)
    assert all(m.get("streamSid") for m in received)
    record = server.call_record(call_sid)
    assert any(e["kind"] == "barge_in" for e in record["events"])
    turns = [t for t in record["turns"] if t["caller_text"]]
    assert turns and turns[0]["intent"] == "office_hours"
    assert turns[0]["barged_in"]


def test_twiml_webhook_and_unknown_call(server: RunningServer) -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode({"CallSid": "CA42", "From": "+8613700000000",
                                   "To": "12345"}).encode()
    with urllib.request.urlopen(server.http + "/twilio/voice", data=body, timeout=10) as resp:
        xml = resp.read().decode()
    assert "<Connect" in xml and "/twilio/media" in xml
    assert 'name="from" value="+8613700000000"' in xml
    with pytest.raises(urllib.error.HTTPError) as err:
        server.get("/api/calls/CAdoesnotexist")
    assert err.value.code == 404
    health = server.get("/healthz")
    assert health["asr_engine"] == "whisper"  # no Vosk model for zh is installed here
    assert "auto" in health["asr_reason"] and "vosk" in health["asr_reason"].lower()
    assert health["asr"] == {"beam_size": 5, "window_s": 10.0, "readings": 5, "fallback": True,
                             "cpu_threads": 1, "decode_threads": 2}  # the defaults


def test_kb_reload_keeps_the_old_knowledge_base_when_the_new_one_is_broken(
        server: RunningServer) -> None:
    original = server.kb_path.read_text(encoding="utf-8")
    try:
        server.kb_path.write_text("intents: [unclosed\n", encoding="utf-8")
        status, body = server.post("/api/kb/reload")
        assert status == 422 and not body["ok"]
        assert "intents.yaml" in body["message"]
        assert server.get("/healthz")["intents"] > 60  # the previous version still serves
        report = asyncio.run(replay([HOTLINE / "A40_tel8k.wav"], server.ws, "twilio"))
        assert server.call_record(report.call_sid)["outcome"] == "transferred"
    finally:
        server.kb_path.write_text(original, encoding="utf-8")
    status, body = server.post("/api/kb/reload")
    assert status == 200 and body["ok"]


def test_written_messages_are_routed_and_a_trained_model_is_picked_up(
        server: RunningServer) -> None:
    fumes = {"title": "饭店油烟扰民", "text": "临街的饭店油烟直接排到我们楼里，熏得人头疼"}
    status, body = server.post("/api/route", json_body=fumes)
    assert status == 200 and body["via"] == "knowledge base" and body["department"] != "housing"
    try:
        # The operator trains on this city's routed messages (fumes go to urban management, i.e.
        # housing); the running server picks the new file up on the next message.
        subprocess.run([sys.executable, "-m", "ivr.cli", "kb", "train-router",
                        str(REPO / "tests" / "data" / "routed_sample.tsv"), "--folds", "3",
                        "--out", str(server.router_model_path)], check=True, cwd=REPO,
                       capture_output=True)
        status, body = server.post("/api/route", json_body=fumes)
        assert status == 200 and body["via"] == "knowledge base + tickets"
        assert body["department"] == "housing" and body["queue"]
        # A damaged model is reported, and messages are still routed.
        server.router_model_path.write_text("{broken", encoding="utf-8")
        status, body = server.post("/api/route", json_body=fumes)
        assert status == 200 and body["via"] == "knowledge base"
        assert "cannot read the router model" in body["model_error"]
    finally:
        server.router_model_path.unlink(missing_ok=True)
    assert server.post("/api/route", data=b"not json")[0] == 400
    assert server.post("/api/route", json_body={"text": ""})[0] == 422
    assert server.post("/api/route", json_body={"text": "路灯" * 20_000})[0] == 413
