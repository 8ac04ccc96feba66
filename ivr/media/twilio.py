"""Twilio Media Streams adapter (bidirectional `<Connect><Stream>`), pure translation.

Twilio sends JSON text frames (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`) with
base64 G.711 audio at 8 kHz; we answer with `media`, `mark` and `clear` frames that all carry
the streamSid. Transfer and hang-up have no websocket message on Twilio: the session closes the
socket and Twilio continues with the `<Connect action>` TwiML (see `ivr.twiml`). See
docs/twilio.md and PROTOCOLS.md §1. No I/O here.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ivr.events import (
    AudioFormat,
    AudioIn,
    CallerHungUp,
    CallStarted,
    ClearAudio,
    Connected,
    DtmfIn,
    Encoding,
    HangUp,
    InboundEvent,
    MarkPlayed,
    OutboundCommand,
    SendAudio,
    SendMark,
    TransferCall,
    UnknownEvent,
)
from ivr.media.base import (
    RateConverter,
    StartedStreamProtocol,
    StreamInfo,
    WireMessage,
    check_int16,
    dump_json,
    get_digit,
    get_object,
    get_str,
    parse_json_object,
    parse_parameters,
    protocol_error,
)
from ivr.media.codecs import alaw_decode, alaw_encode, mulaw_decode, mulaw_encode

# Twilio names the wire encoding with a MIME type; map it to our codec name.
_ENCODINGS: dict[str, Encoding] = {"audio/x-mulaw": "mulaw", "audio/x-alaw": "alaw"}
_DEFAULT_RATE = 8000

# Custom <Parameter> names we accept for the caller and the dialled number, in priority order.
_FROM_KEYS = ("from", "From", "caller", "Caller")
_TO_KEYS = ("to", "To", "called", "Called")

_Decoder = Callable[[bytes], np.ndarray]
_Encoder = Callable[[np.ndarray], bytes]
_CODECS: dict[str, tuple[_Decoder, _Encoder]] = {
    "mulaw": (mulaw_decode, mulaw_encode),
    "alaw": (alaw_decode, alaw_encode),
}




class TwilioMediaProtocol(StartedStreamProtocol):
    """One Twilio media stream: JSON text frames in, events out; commands in, JSON frames out."""

    name = "twilio"
    reports_dtmf = True  # Twilio's `dtmf` event

    @property
    def stream_sid(self) -> str | None:
        """Alias of `stream_id` under the provider's own name."""
        return self.stream_id

    # ---- inbound ------------------------------------------------------------------------------

    def receive_text(self, text: str) -> list[InboundEvent]:
        message = parse_json_object(text)
        if not isinstance(message, dict):
            return [message]
        handler = self._HANDLERS.get(message["event"])
        if handler is None:
            return [UnknownEvent(message["event"])]
        return handler(self, message, text)

    def receive_bytes(self, data: bytes) -> list[InboundEvent]:
        # Twilio only ever sends JSON text frames; a binary frame means a confused peer.
        return [protocol_error(f"unexpected binary frame ({len(data)} bytes) on a Twilio stream")]

    def _on_connected(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        protocol = message.get("protocol")
        version = message.get("version")
        return [Connected(protocol if isinstance(protocol, str) else "",
                          version if isinstance(version, str) else "")]

    def _on_start(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        if self.started:
            return [protocol_error("duplicate start message", raw)]
        start = get_object(message, "start")
        if start is None:
            return [protocol_error("start message has no 'start' object", raw)]
        stream_sid = get_str(message, "streamSid") or get_str(start, "streamSid")
        call_sid = get_str(start, "callSid")
        if stream_sid is None or call_sid is None:
            return [protocol_error("start message lacks streamSid or callSid", raw)]
        audio_format = _parse_media_format(start.get("mediaFormat"))
        if isinstance(audio_format, str):
            return [protocol_error(audio_format, raw)]
        parameters = parse_parameters(start.get("customParameters"))
        if parameters is None:
            return [protocol_error("customParameters is not an object", raw)]
        self._stream = StreamInfo(stream_sid, audio_format, RateConverter(audio_format.sample_rate))
        return [CallStarted(
            call_id=call_sid,
            stream_id=stream_sid,
            from_number=_first_of(parameters, _FROM_KEYS),
            to_number=_first_of(parameters, _TO_KEYS),
            audio_format=audio_format,
            parameters=parameters,
        )]

    def _on_media(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        if self._stream is None:
            return [protocol_error("media before start", raw)]
        media = get_object(message, "media")
        if media is None:
            return [protocol_error("media message has no 'media' object", raw)]
        track = media.get("track")
        if track not in (None, "inbound"):
            # Only the caller's leg is speech for us; a forked outbound track would echo the bot.
            return []
        payload = media.get("payload")
        if not isinstance(payload, str):
            return [protocol_error("media message has no string payload", raw)]
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return [protocol_error("media payload is not valid base64", raw)]
        if not data:
            return []
        audio_format = self._stream.audio_format
        decode = _CODECS[audio_format.encoding][0]
        return [AudioIn(decode(data), audio_format.sample_rate)]

    def _on_dtmf(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        digit = get_digit(get_object(message, "dtmf"))
        if digit is None:
            return [protocol_error("dtmf message without a valid digit", raw)]
        return [DtmfIn(digit)]

    def _on_mark(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        name = get_str(get_object(message, "mark"), "name")
        if name is None:
            return [protocol_error("mark message without a name", raw)]
        return [MarkPlayed(name)]

    def _on_stop(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        return [CallerHungUp("stop")]

    _HANDLERS: ClassVar[dict[str, Callable[[TwilioMediaProtocol, dict[str, Any], str],
                                           list[InboundEvent]]]] = {
        "connected": _on_connected,
        "start": _on_start,
        "media": _on_media,
        "dtmf": _on_dtmf,
        "mark": _on_mark,
        "stop": _on_stop,
    }

    # ---- outbound -----------------------------------------------------------------------------

    def send(self, command: OutboundCommand) -> list[WireMessage]:
        if isinstance(command, HangUp):
            # Allowed even before start (e.g. a stream that never starts). Neither hang-up nor
            # transfer has a Twilio stream message: the session closes the socket and the
            # <Connect action> callback answers <Hangup/> or <Enqueue> (ivr/twiml.py).
            return []
        stream = self._require_started(command)
        if isinstance(command, TransferCall):
            return []
        if isinstance(command, SendAudio):
            return _media_messages(stream, command)
        if isinstance(command, SendMark):
            return [dump_json({"event": "mark", "streamSid": stream.id,
                               "mark": {"name": command.name}})]
        if isinstance(command, ClearAudio):
            stream.converter.reset()
            return [dump_json({"event": "clear", "streamSid": stream.id})]
        raise TypeError(f"unsupported outbound command {command!r}")



def _media_messages(stream: StreamInfo, command: SendAudio) -> list[WireMessage]:
    """One `media` message per command, so the caller's chunking (pacing) is kept.

    The message is the stream's fixed text around the base64 payload (which needs no JSON
    escaping): the same JSON as `dump_json` gives, without building and serialising a dict
    50 times a second per speaking call."""
    wire = stream.converter.convert(check_int16(command), command.sample_rate)
    if wire.size == 0:
        return []
    encode = _CODECS[stream.audio_format.encoding][1]
    payload = base64.b64encode(encode(wire)).decode("ascii")
    head, tail = _media_frame(stream.id)
    return [head + payload + tail]


@functools.lru_cache(maxsize=1024)
def _media_frame(stream_id: str) -> tuple[str, str]:
    """The text of a `media` message before and after its payload, for one stream."""
    head, _, tail = dump_json({"event": "media", "streamSid": stream_id,
                               "media": {"payload": _PAYLOAD}}).rpartition(_PAYLOAD)
    return head, tail


# A stand-in for the payload: the last of its occurrences is the payload's place, whatever the
# stream id holds.
_PAYLOAD = "PAYLOAD"


def _parse_media_format(value: object) -> AudioFormat | str:
    """Return the AudioFormat described by `start.mediaFormat`, or an error text."""
    if value is None:
        # Twilio always sends mediaFormat; a compatible platform that omits it means μ-law 8 kHz.
        return AudioFormat("mulaw", _DEFAULT_RATE)
    if not isinstance(value, dict):
        return "mediaFormat is not an object"
    encoding = _ENCODINGS.get(str(value.get("encoding", "audio/x-mulaw")).lower())
    if encoding is None:
        return f"unsupported media encoding {value.get('encoding')!r}"
    rate = _parse_positive_int(value.get("sampleRate", _DEFAULT_RATE))
    channels = _parse_positive_int(value.get("channels", 1))
    if rate is None or channels != 1:
        return f"unsupported mediaFormat {value!r} (need mono at a positive sample rate)"
    return AudioFormat(encoding, rate)


def _parse_positive_int(value: object) -> int | None:
    """Accept 8000 or "8000" (compatible platforms send strings); reject bools and junk."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def _first_of(parameters: dict[str, str], keys: tuple[str, ...]) -> str:
    return next((parameters[key] for key in keys if parameters.get(key)), "")
