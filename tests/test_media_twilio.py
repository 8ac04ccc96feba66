"""Twilio Media Streams adapter, driven by literal Twilio JSON (shapes from PROTOCOLS.md §1)."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import numpy as np
import pytest

from ivr.events import (
    AudioFormat,
    AudioIn,
    CallerHungUp,
    CallStarted,
    ClearAudio,
    Connected,
    DtmfIn,
    HangUp,
    MarkPlayed,
    ProtocolError,
    SendAudio,
    SendMark,
    TransferCall,
    UnknownEvent,
)
from ivr.media.base import MAX_RAW_CHARS, MediaProtocol, dump_json
from ivr.media.twilio import TwilioMediaProtocol
from pcm.resample import resample
from tests.media_helpers import is_error, only, the_error

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # independent G.711 oracle; fine in tests (gone from shipped code)

CONNECTED = '{"event":"connected","protocol":"Call","version":"1.0.0"}'
START = (
    '{"event":"start","sequenceNumber":"1","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"start":{"accountSid":"AC123","callSid":"CA9a2fbf4b1c","streamSid":'
    '"MZ18ad3ab5a668481ce02b83e7395059f0","tracks":["inbound"],'
    '"customParameters":{"from":"+8613800138000","to":"12345","lang":"zh"},'
    '"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}'
)
SID = "MZ18ad3ab5a668481ce02b83e7395059f0"
# μ-law bytes ff 7f 00 80 -> 0, 0 (negative zero), -32124, +32124 (G.711 table end points)
MEDIA = (
    '{"event":"media","sequenceNumber":"3","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/38AgA=="}}'
)
DTMF = (
    '{"event":"dtmf","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0","sequenceNumber":"5",'
    '"dtmf":{"track":"inbound_track","digit":"1"}}'
)
MARK = (
    '{"event":"mark","sequenceNumber":"4","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"mark":{"name":"utt-3-chunk-2"}}'
)
STOP = (
    '{"event":"stop","sequenceNumber":"6","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
    '"stop":{"accountSid":"AC123","callSid":"CA9a2fbf4b1c"}}'
)



def started() -> TwilioMediaProtocol:
    proto = TwilioMediaProtocol()
    assert isinstance(proto.receive_text(START)[0], CallStarted)
    return proto


def ulaw_oracle(samples: np.ndarray) -> np.ndarray:
    """μ-law quantisation of `samples` according to audioop."""
    coded = audioop.lin2ulaw(samples.astype("<i2").tobytes(), 2)
    return np.frombuffer(audioop.ulaw2lin(coded, 2), dtype="<i2")


# ---- inbound ----------------------------------------------------------------------------------


def test_is_a_media_protocol_named_twilio() -> None:
    proto = TwilioMediaProtocol()
    assert isinstance(proto, MediaProtocol)
    assert proto.name == "twilio"
    assert not proto.started and proto.audio_format is None and proto.stream_sid is None


def test_connected() -> None:
    assert only(TwilioMediaProtocol().receive_text(CONNECTED)) == Connected("Call", "1.0.0")


def test_start_gives_call_started_with_custom_parameters() -> None:
    proto = TwilioMediaProtocol()
    event = only(proto.receive_text(START))
    assert event == CallStarted(
        call_id="CA9a2fbf4b1c",
        stream_id=SID,
        from_number="+8613800138000",
        to_number="12345",
        audio_format=AudioFormat("mulaw", 8000),
        parameters={"from": "+8613800138000", "to": "12345", "lang": "zh"},
    )
    assert proto.started and proto.stream_sid == SID
    assert proto.audio_format == AudioFormat("mulaw", 8000)


@pytest.mark.parametrize(
    ("params", "caller", "called"),
    [
        ({"From": "+861", "To": "12333"}, "+861", "12333"),
        ({"caller": "+862", "called": "12315"}, "+862", "12315"),
        ({}, "", ""),
    ],
)
def test_start_accepts_other_number_parameter_names(
    params: dict[str, str], caller: str, called: str
) -> None:
    message = json.loads(START)
    message["start"]["customParameters"] = params
    event = only(TwilioMediaProtocol().receive_text(json.dumps(message)))
    assert isinstance(event, CallStarted)
    assert (event.from_number, event.to_number, event.parameters) == (caller, called, params)


def test_start_takes_stream_sid_from_start_object_when_top_level_missing() -> None:
    message = json.loads(START)
    del message["streamSid"]
    event = only(TwilioMediaProtocol().receive_text(json.dumps(message)))
    assert isinstance(event, CallStarted) and event.stream_id == SID


def test_media_decodes_mulaw_payload() -> None:
    event = only(started().receive_text(MEDIA))
    assert isinstance(event, AudioIn)
    assert event.sample_rate == 8000
    assert event.samples.dtype == np.int16
    assert event.samples.tolist() == [0, 0, -32124, 32124]


def test_media_20ms_frame_is_160_samples() -> None:
    payload = base64.b64encode(bytes(range(160))).decode()
    message = json.dumps({"event": "media", "streamSid": SID, "media": {"payload": payload}})
    event = only(started().receive_text(message))
    assert isinstance(event, AudioIn) and event.samples.shape == (160,)
    expected = np.frombuffer(audioop.ulaw2lin(bytes(range(160)), 2), dtype="<i2")
    assert np.array_equal(event.samples, expected)


def test_media_without_track_is_accepted_and_outbound_track_ignored() -> None:
    proto = started()
    untracked = '{"event":"media","streamSid":"MZ1","media":{"payload":"/38AgA=="}}'
    assert isinstance(only(proto.receive_text(untracked)), AudioIn)
    outbound = '{"event":"media","media":{"track":"outbound","payload":"/38AgA=="}}'
    assert proto.receive_text(outbound) == []


def test_media_decodes_alaw_when_start_says_alaw() -> None:
    proto = TwilioMediaProtocol()
    event = only(proto.receive_text(START.replace("audio/x-mulaw", "audio/x-alaw")))
    assert isinstance(event, CallStarted)
    assert event.audio_format == AudioFormat("alaw", 8000)
    payload = base64.b64encode(bytes([0xD5, 0x55, 0x2A, 0xAA])).decode()
    audio = only(proto.receive_text(MEDIA.replace("/38AgA==", payload)))
    assert isinstance(audio, AudioIn)
    assert audio.samples.tolist() == [8, -8, -32256, 32256]


def test_dtmf_mark_stop() -> None:
    proto = started()
    assert only(proto.receive_text(DTMF)) == DtmfIn("1")
    assert only(proto.receive_text(MARK)) == MarkPlayed("utt-3-chunk-2")
    assert only(proto.receive_text(STOP)) == CallerHungUp("stop")


@pytest.mark.parametrize("digit", ["0", "9", "*", "#", "A", "D"])
def test_every_dtmf_key(digit: str) -> None:
    assert only(started().receive_text(DTMF.replace('"1"', f'"{digit}"'))) == DtmfIn(digit)


def test_unknown_well_formed_event() -> None:
    text = '{"event":"flux-capacitor","streamSid":"MZ1","sequenceNumber":"9"}'
    assert only(started().receive_text(text)) == UnknownEvent("flux-capacitor")


# ---- malformed input becomes ProtocolError, never an exception --------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "",
        '{"event":"media"',  # truncated
        "[1, 2, 3]",  # JSON, but not an object
        '"connected"',
        "null",
        '{"streamSid":"MZ1"}',  # missing event
        '{"event":5}',
        '{"event":""}',
        "[" * 100_000 + "]" * 100_000,  # nesting deep enough to blow the JSON parser's stack
    ],
)
def test_malformed_text_is_protocol_error(text: str) -> None:
    events = started().receive_text(text)
    raw = the_error(events).raw
    assert raw is not None and raw.startswith(text[:50])


def test_media_before_start() -> None:
    events = TwilioMediaProtocol().receive_text(MEDIA)
    assert "before start" in the_error(events).message
    assert the_error(events).raw == MEDIA


@pytest.mark.parametrize(
    "media",
    [
        '{"track":"inbound","payload":"@@not base64@@"}',
        '{"track":"inbound","payload":"/38A!gA=="}',  # lenient decoders would skip the "!"
        '{"track":"inbound","payload":"/38AgA"}',  # bad padding
        '{"track":"inbound"}',  # missing payload
        '{"track":"inbound","payload":42}',
    ],
)
def test_bad_media_payload(media: str) -> None:
    text = '{"event":"media","streamSid":"MZ1","media":' + media + "}"
    assert is_error(started().receive_text(text))


def test_media_object_missing() -> None:
    assert is_error(started().receive_text('{"event":"media","streamSid":"MZ1"}'))


@pytest.mark.parametrize(
    "text",
    [
        DTMF.replace('"digit":"1"', '"digit":""'),
        DTMF.replace('"digit":"1"', '"digit":"12"'),
        DTMF.replace('"digit":"1"', '"digit":"x"'),
        '{"event":"dtmf","streamSid":"MZ1"}',
        MARK.replace('"name":"utt-3-chunk-2"', '"name":""'),
        '{"event":"mark","streamSid":"MZ1","mark":{}}',
    ],
)
def test_bad_dtmf_and_mark(text: str) -> None:
    assert is_error(started().receive_text(text))


def test_binary_frame_is_protocol_error() -> None:
    events = started().receive_bytes(b"\x00\x01\x02")
    assert "binary" in the_error(events).message


def test_duplicate_start_is_error_and_keeps_first_stream() -> None:
    proto = started()
    second = START.replace(SID, "MZother")
    assert is_error(proto.receive_text(second))
    assert proto.stream_sid == SID


@pytest.mark.parametrize(
    "start",
    [
        '{"event":"start","streamSid":"MZ1"}',  # no start object
        '{"event":"start","streamSid":"MZ1","start":{"streamSid":"MZ1"}}',  # no callSid
        '{"event":"start","start":{"callSid":"CA1"}}',  # no streamSid anywhere
        '{"event":"start","streamSid":"MZ1","start":{"callSid":"CA1","customParameters":[1]}}',
        '{"event":"start","streamSid":"MZ1","start":{"callSid":"CA1",'
        '"mediaFormat":{"encoding":"audio/opus","sampleRate":48000,"channels":1}}}',
        '{"event":"start","streamSid":"MZ1","start":{"callSid":"CA1",'
        '"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":2}}}',
        '{"event":"start","streamSid":"MZ1","start":{"callSid":"CA1","mediaFormat":"mulaw"}}',
    ],
)
def test_bad_start_is_error_and_stream_stays_unstarted(start: str) -> None:
    proto = TwilioMediaProtocol()
    assert is_error(proto.receive_text(start))
    assert not proto.started


def test_raw_of_huge_bad_message_is_capped() -> None:
    text = "x" * (MAX_RAW_CHARS * 10)
    error = only(started().receive_text(text))
    assert isinstance(error, ProtocolError) and error.raw is not None
    assert len(error.raw) < MAX_RAW_CHARS + 100


# ---- outbound ---------------------------------------------------------------------------------


def parse(message: object) -> dict[str, Any]:
    assert isinstance(message, str), "Twilio messages are text frames"
    assert ": " not in message and ", " not in message, "compact JSON expected"
    return json.loads(message)


def test_send_audio_message_shape_and_mulaw_payload() -> None:
    samples = np.array([0, 1000, -1000, 32767, -32768, 123], dtype=np.int16)
    message = parse(only(started().send(SendAudio(samples, 8000))))
    assert set(message) == {"event", "streamSid", "media"}
    assert message["event"] == "media" and message["streamSid"] == SID
    assert set(message["media"]) == {"payload"}
    payload = base64.b64decode(message["media"]["payload"], validate=True)
    assert payload == audioop.lin2ulaw(samples.astype("<i2").tobytes(), 2)


def test_round_trip_matches_mulaw_quantisation() -> None:
    rng = np.random.default_rng(7)
    samples = rng.integers(-32768, 32768, size=800).astype(np.int16)
    proto = started()
    message = parse(only(proto.send(SendAudio(samples, 8000))))
    text = json.dumps({"event": "media", "streamSid": SID, "media": message["media"]})
    echoed = only(proto.receive_text(text))
    assert isinstance(echoed, AudioIn)
    assert np.array_equal(echoed.samples, ulaw_oracle(samples))


def test_send_audio_keeps_the_given_chunking() -> None:
    proto = started()
    chunks = [np.full(160, 500, np.int16), np.full(400, -500, np.int16)]
    sizes = [len(base64.b64decode(parse(only(proto.send(SendAudio(c, 8000))))["media"]["payload"]))
             for c in chunks]
    assert sizes == [160, 400]


def test_send_empty_audio_sends_nothing() -> None:
    assert started().send(SendAudio(np.zeros(0, np.int16), 8000)) == []


def test_send_audio_at_16k_is_resampled_statefully() -> None:
    t = np.arange(3200) / 16000
    tone = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    proto = started()
    sent = []
    for chunk in np.split(tone, 10):  # ten 20 ms chunks at 16 kHz
        for message in proto.send(SendAudio(chunk, 16000)):
            sent.append(base64.b64decode(parse(message)["media"]["payload"]))
    wire = b"".join(sent)
    whole = resample(tone, 16000, 8000)
    # chunked sending equals resampling the whole signal, minus the held-back lookahead tail
    assert 1550 <= len(wire) <= 1600
    assert wire == audioop.lin2ulaw(whole[: len(wire)].astype("<i2").tobytes(), 2)
    decoded = np.frombuffer(audioop.ulaw2lin(wire, 2), dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(decoded[200:1400]))
    assert np.argmax(spectrum) * 8000 / 1200 == pytest.approx(1000, abs=10)


def test_clear_drops_resampler_state() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(-8000, 8000, size=320).astype(np.int16)
    fresh = started().send(SendAudio(noise, 16000))
    proto = started()
    proto.send(SendAudio(rng.integers(-8000, 8000, size=333).astype(np.int16), 16000))
    proto.send(ClearAudio())
    assert proto.send(SendAudio(noise, 16000)) == fresh


def test_send_audio_in_alaw_call() -> None:
    proto = TwilioMediaProtocol()
    proto.receive_text(START.replace("audio/x-mulaw", "audio/x-alaw"))
    samples = np.array([0, 1000, -1000, 30000], dtype=np.int16)
    message = parse(only(proto.send(SendAudio(samples, 8000))))
    payload = base64.b64decode(message["media"]["payload"])
    assert payload == audioop.lin2alaw(samples.astype("<i2").tobytes(), 2)


def test_send_mark() -> None:
    message = parse(only(started().send(SendMark("utt-1-chunk-0"))))
    assert message == {"event": "mark", "streamSid": SID, "mark": {"name": "utt-1-chunk-0"}}


def test_send_clear() -> None:
    assert parse(only(started().send(ClearAudio()))) == {"event": "clear", "streamSid": SID}


def test_transfer_and_hangup_send_no_messages() -> None:
    proto = started()
    assert proto.send(TransferCall("社保", "sbk", "caller asked")) == []
    assert proto.send(HangUp("done")) == []
    assert TwilioMediaProtocol().send(HangUp("never started")) == []


@pytest.mark.parametrize(
    "command",
    [
        SendAudio(np.zeros(160, np.int16), 8000),
        SendMark("m"),
        ClearAudio(),
        TransferCall("社保", "sbk"),
    ],
)
def test_sending_before_start_raises(command: object) -> None:
    with pytest.raises(RuntimeError, match="before 'start'"):
        TwilioMediaProtocol().send(command)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "samples",
    [np.zeros(160, np.float32), np.zeros(160, np.int32), np.zeros((2, 80), np.int16)],
)
def test_non_int16_audio_is_a_programming_error(samples: np.ndarray) -> None:
    with pytest.raises(TypeError):
        started().send(SendAudio(samples, 8000))


@pytest.mark.parametrize("stream_sid", ["MZ123", 'MZ"quoted\\', "流PAYLOAD", "PAYLOAD", "\x00\n"])
def test_media_message_is_the_json_a_dict_would_give(stream_sid: str) -> None:
    """Media messages are built from a per-stream template around the payload: the same
    text as serialising the message, whatever the stream id holds."""
    proto = TwilioMediaProtocol()
    start = json.loads(START)
    start["streamSid"] = start["start"]["streamSid"] = stream_sid
    assert isinstance(proto.receive_text(json.dumps(start))[0], CallStarted)
    samples = np.array([0, 1000, -1000, 32767], dtype=np.int16)
    payload = base64.b64encode(audioop.lin2ulaw(samples.astype("<i2").tobytes(), 2)).decode()
    assert only(proto.send(SendAudio(samples, 8000))) == dump_json(
        {"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})
