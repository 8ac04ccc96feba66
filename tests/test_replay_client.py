"""The replay client's wire work without a socket: what it sends for the caller's audio and
how it counts the bot's audio when it does not keep it (the load test's cheap mode)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import numpy as np
import pytest

from ivr.media.codecs import array_to_pcm16, mulaw_decode, mulaw_encode
from ivr.media.twilio import _media_frame
from ivr.replay import ReplayClient, _Platform


class _Socket:
    def __init__(self) -> None:
        self.sent: list[str | bytes] = []

    async def send(self, message: str | bytes) -> None:
        self.sent.append(message)


def _clip(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(-20000, 20000, n).astype(np.int16)


def test_caller_audio_is_encoded_once_into_20_ms_frames() -> None:
    client = ReplayClient("ws://127.0.0.1:1", "twilio")
    clip = _clip(8000 // 50 * 3 + 37)  # three whole frames and a short last one
    frames = client._encode(clip)
    assert [len(base64.b64decode(f)) for f in frames] == [160, 160, 160, 37]
    assert b"".join(base64.b64decode(f) for f in frames) == mulaw_encode(clip)
    l16 = ReplayClient("ws://127.0.0.1:1", "l16", sample_rate=16000)._encode(clip)
    assert [len(f) for f in l16] == [640, 2 * (clip.size - 320)]
    assert b"".join(f for f in l16 if isinstance(f, bytes)) == array_to_pcm16(clip)


def test_a_media_message_is_the_json_twilio_sends() -> None:
    client = ReplayClient("ws://127.0.0.1:1", "twilio")
    client._ws = _Socket()
    payloads = client._encode(_clip(320))
    for payload in payloads:
        asyncio.run(client._send_audio(payload))
    messages = [json.loads(m) for m in client._ws.sent]
    assert messages == [
        {"event": "media", "sequenceNumber": str(n + 1), "streamSid": client.stream_sid,
         "media": {"track": "inbound", "chunk": str(n), "timestamp": "0",
                   "payload": payloads[n]}} for n in range(2)]


def _server_media(stream_id: str, samples: int) -> str:
    head, tail = _media_frame(stream_id)
    return head + base64.b64encode(mulaw_encode(_clip(samples))).decode() + tail


@pytest.mark.parametrize("samples", [160, 159, 158, 1, 800])
def test_without_keeping_audio_a_media_message_counts_its_samples(samples: int) -> None:
    client = ReplayClient("ws://127.0.0.1:1", "twilio", keep_audio=False)
    client._on_message(_server_media(client.stream_sid, samples))
    assert list(client.platform.queue) == [("audio", samples)]
    assert client.platform.last_audio_at > 0


def test_keeping_audio_decodes_it() -> None:
    client = ReplayClient("ws://127.0.0.1:1", "twilio")
    message = _server_media(client.stream_sid, 160)
    client._on_message(message)
    (kind, samples), = client.platform.queue
    payload = json.loads(message)["media"]["payload"]
    assert kind == "audio" and np.array_equal(samples, mulaw_decode(base64.b64decode(payload)))


def test_other_messages_and_unusual_media_are_parsed_in_full() -> None:
    client = ReplayClient("ws://127.0.0.1:1", "twilio", keep_audio=False)
    client._on_message(json.dumps({"event": "mark", "streamSid": "MZ1",
                                   "mark": {"name": "media"}}))
    # a payload written with an escaped slash: not the fast path's shape, still counted
    odd: dict[str, Any] = {"event": "media", "media": {"payload": ""}}
    payload = base64.b64encode(bytes(range(255, 95, -1))).decode()
    assert "/" in payload
    text = json.dumps(odd).replace('""', '"' + payload.replace("/", "\\/") + '"')
    client._on_message(text)
    queue = list(client.platform.queue)
    assert queue[0] == ("mark", "media")
    assert queue[1][0] == "audio" and len(queue[1][1]) == 160


def test_counted_audio_plays_out_and_releases_its_marks() -> None:
    platform = _Platform(8000, keep_audio=False)
    platform.add_audio(300)
    platform.add_mark("m1")
    platform.add_audio(100)
    assert platform.play(160) == [] and not platform.idle
    assert platform.play(160) == ["m1"]  # 140 of the first 300 left, then the mark
    assert platform.play(160) == [] and platform.idle
    assert platform.heard == []
