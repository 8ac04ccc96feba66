"""L16 adapter, driven by literal messages of docs/l16-protocol.md."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from ivr.events import (
    AudioFormat,
    AudioIn,
    CallerHungUp,
    CallStarted,
    ClearAudio,
    DtmfIn,
    HangUp,
    MarkPlayed,
    SendAudio,
    SendMark,
    TransferCall,
    UnknownEvent,
)
from ivr.media.base import MediaProtocol
from ivr.media.l16 import L16MediaProtocol
from pcm.resample import resample
from tests.media_helpers import is_error, only, the_error

START_8K = '{"event":"start","call_id":"c-42","from":"13800138000","to":"12345","sample_rate":8000}'
START_16K = '{"event":"start","call_id":"c-43","from":"1","to":"12333","sample_rate":16000}'



def started(start: str = START_8K) -> L16MediaProtocol:
    proto = L16MediaProtocol()
    assert isinstance(proto.receive_text(start)[0], CallStarted)
    return proto


# ---- inbound ----------------------------------------------------------------------------------


def test_is_a_media_protocol_named_l16() -> None:
    proto = L16MediaProtocol()
    assert isinstance(proto, MediaProtocol)
    assert proto.name == "l16"
    assert not proto.started and proto.audio_format is None and proto.call_id is None


def test_start_8k() -> None:
    proto = L16MediaProtocol()
    assert only(proto.receive_text(START_8K)) == CallStarted(
        call_id="c-42",
        stream_id="c-42",
        from_number="13800138000",
        to_number="12345",
        audio_format=AudioFormat("l16", 8000),
        parameters={},
    )
    assert proto.started and proto.audio_format == AudioFormat("l16", 8000)


def test_start_16k_with_parameters_and_without_numbers() -> None:
    text = '{"event":"start","call_id":"x","sample_rate":16000,"parameters":{"line":"A","n":3}}'
    event = only(L16MediaProtocol().receive_text(text))
    assert isinstance(event, CallStarted)
    assert event.audio_format == AudioFormat("l16", 16000)
    assert (event.from_number, event.to_number) == ("", "")
    assert event.parameters == {"line": "A", "n": "3"}


def test_binary_frames_are_little_endian_int16() -> None:
    event = only(started().receive_bytes(b"\x01\x00\xff\xff\x00\x80\xff\x7f"))
    assert isinstance(event, AudioIn)
    assert event.samples.dtype == np.int16 and event.sample_rate == 8000
    assert event.samples.tolist() == [1, -1, -32768, 32767]


@pytest.mark.parametrize(("start", "rate", "frame_bytes"), [(START_8K, 8000, 320),
                                                            (START_16K, 16000, 640)])
def test_20ms_frame_sizes(start: str, rate: int, frame_bytes: int) -> None:
    event = only(started(start).receive_bytes(bytes(frame_bytes)))
    assert isinstance(event, AudioIn)
    assert event.sample_rate == rate
    assert len(event.samples) / rate == pytest.approx(0.020)


def test_empty_binary_frame_is_ignored() -> None:
    assert started().receive_bytes(b"") == []


def test_dtmf_mark_stop() -> None:
    proto = started()
    assert only(proto.receive_text('{"event":"dtmf","digit":"5"}')) == DtmfIn("5")
    assert only(proto.receive_text('{"event":"dtmf","digit":"#"}')) == DtmfIn("#")
    assert only(proto.receive_text('{"event":"mark","name":"u1-c3"}')) == MarkPlayed("u1-c3")
    assert only(proto.receive_text('{"event":"stop"}')) == CallerHungUp("stop")


def test_stop_with_reason_and_before_start() -> None:
    text = '{"event":"stop","reason":"caller-hangup"}'
    assert only(started().receive_text(text)) == CallerHungUp("caller-hangup")
    assert only(L16MediaProtocol().receive_text('{"event":"stop"}')) == CallerHungUp("stop")


def test_unknown_event() -> None:
    assert only(started().receive_text('{"event":"ping","t":1}')) == UnknownEvent("ping")


# ---- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        '{"event":"start","call_id":"c","sample_rate":44100}',
        '{"event":"start","call_id":"c","sample_rate":"8000"}',
        '{"event":"start","call_id":"c","sample_rate":8000.0}',
        '{"event":"start","call_id":"c","sample_rate":true}',
        '{"event":"start","call_id":"c"}',
        '{"event":"start","sample_rate":8000}',
        '{"event":"start","call_id":"","sample_rate":8000}',
        '{"event":"start","call_id":7,"sample_rate":8000}',
        '{"event":"start","call_id":"c","sample_rate":8000,"parameters":"x"}',
    ],
)
def test_bad_start(start: str) -> None:
    proto = L16MediaProtocol()
    events = proto.receive_text(start)
    assert the_error(events).raw == start
    assert not proto.started


def test_duplicate_start_keeps_first_call() -> None:
    proto = started()
    assert is_error(proto.receive_text(START_16K))
    assert proto.call_id == "c-42" and proto.audio_format == AudioFormat("l16", 8000)


def test_binary_before_start() -> None:
    events = L16MediaProtocol().receive_bytes(bytes(320))
    assert "before start" in the_error(events).message


def test_odd_length_frame() -> None:
    events = started().receive_bytes(bytes(321))
    assert "odd" in the_error(events).message


@pytest.mark.parametrize(
    "text",
    ['{"event":"dtmf","digit":"5"}', '{"event":"mark","name":"m"}'],
)
def test_control_before_start(text: str) -> None:
    assert is_error(L16MediaProtocol().receive_text(text))


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        "[]",
        '{"digit":"5"}',
        '{"event":null}',
        '{"event":"dtmf"}',
        '{"event":"dtmf","digit":""}',
        '{"event":"dtmf","digit":"55"}',
        '{"event":"dtmf","digit":5}',
        '{"event":"mark"}',
        '{"event":"mark","name":""}',
    ],
)
def test_malformed_text(text: str) -> None:
    assert is_error(started().receive_text(text))


# ---- outbound ---------------------------------------------------------------------------------


def parse(message: object) -> dict[str, Any]:
    assert isinstance(message, str), "control messages are text frames"
    assert ": " not in message and ", " not in message, "compact JSON expected"
    return json.loads(message)


def test_send_audio_at_call_rate_is_raw_little_endian_bytes() -> None:
    samples = np.array([1, -1, -32768, 32767], dtype=np.int16)
    assert started().send(SendAudio(samples, 8000)) == [b"\x01\x00\xff\xff\x00\x80\xff\x7f"]


def test_send_audio_keeps_chunking() -> None:
    proto = started(START_16K)
    frames = [proto.send(SendAudio(np.zeros(n, np.int16), 16000)) for n in (320, 160)]
    assert [[len(f) for f in fs] for fs in frames] == [[640], [320]]


def test_send_audio_resampled_to_8k_call() -> None:
    tone = (6000 * np.sin(2 * np.pi * 440 * np.arange(1600) / 16000)).astype(np.int16)
    proto = started()
    frames = [f for c in np.split(tone, 5) for f in proto.send(SendAudio(c, 16000))]
    assert all(isinstance(f, bytes) for f in frames)
    out = b"".join(f for f in frames if isinstance(f, bytes))
    samples = np.frombuffer(out, dtype="<i2")
    whole = resample(tone, 16000, 8000)
    assert 760 <= len(samples) <= 800
    assert np.array_equal(samples, whole[: len(samples)])


def test_send_audio_resampled_up_to_16k_call() -> None:
    proto = started(START_16K)
    frame = only(proto.send(SendAudio(np.full(1600, 1000, np.int16), 8000)))
    assert isinstance(frame, bytes)
    samples = np.frombuffer(frame, dtype="<i2")
    assert 3100 <= len(samples) <= 3200
    assert np.all(np.abs(samples[100:] - 1000) <= 2)  # DC passes at unity gain


def test_send_mark_clear_transfer_hangup() -> None:
    proto = started()
    assert parse(only(proto.send(SendMark("u1-c0")))) == {"event": "mark", "name": "u1-c0"}
    assert parse(only(proto.send(ClearAudio()))) == {"event": "clear"}
    transfer = only(proto.send(TransferCall("社保卡服务", "q-sbk", "caller asked")))
    assert parse(transfer) == {
        "event": "transfer", "department": "社保卡服务", "queue": "q-sbk", "reason": "caller asked",
    }
    assert isinstance(transfer, str) and "社保卡服务" in transfer  # readable UTF-8, not \\u escapes
    hangup = only(proto.send(HangUp("goodbye")))
    assert parse(hangup) == {"event": "hangup", "reason": "goodbye"}


def test_hangup_allowed_before_start() -> None:
    message = only(L16MediaProtocol().send(HangUp("no start")))
    assert parse(message) == {"event": "hangup", "reason": "no start"}


@pytest.mark.parametrize(
    "command",
    [SendAudio(np.zeros(160, np.int16), 8000), SendMark("m"), ClearAudio(), TransferCall("d", "q")],
)
def test_sending_before_start_raises(command: object) -> None:
    with pytest.raises(RuntimeError, match="before 'start'"):
        L16MediaProtocol().send(command)  # type: ignore[arg-type]


def test_round_trip_is_lossless_at_call_rate() -> None:
    rng = np.random.default_rng(3)
    samples = rng.integers(-32768, 32768, size=320).astype(np.int16)
    proto = started(START_16K)
    frame = only(proto.send(SendAudio(samples, 16000)))
    assert isinstance(frame, bytes)
    echoed = only(proto.receive_bytes(frame))
    assert isinstance(echoed, AudioIn) and np.array_equal(echoed.samples, samples)
