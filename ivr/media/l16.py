"""Adapter for our plain L16 websocket protocol (docs/l16-protocol.md), pure translation.

The client opens with one JSON `start` text frame naming the call and the sample rate (8 or
16 kHz); after that audio flows both ways as binary frames of little-endian int16 mono PCM at
that rate, and control travels as small JSON text frames (`dtmf`, `mark`, `stop` in; `mark`,
`clear`, `transfer`, `hangup` out). It suits SIP gateways and test clients that can speak raw
PCM (FreeSWITCH/Asterisk/jambonz style). No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ivr.events import (
    AudioFormat,
    AudioIn,
    CallerHungUp,
    CallStarted,
    ClearAudio,
    DtmfIn,
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
    get_str,
    parse_json_object,
    parse_parameters,
    protocol_error,
)
from ivr.media.codecs import array_to_pcm16, pcm16_to_array

SUPPORTED_RATES = (8000, 16000)




class L16MediaProtocol(StartedStreamProtocol):
    """One L16 call: JSON control + binary PCM frames in, events out; commands in, frames out."""

    name = "l16"

    @property
    def call_id(self) -> str | None:
        """Alias of `stream_id` under the provider's own name."""
        return self.stream_id

    # ---- inbound ------------------------------------------------------------------------------

    def receive_text(self, text: str) -> list[InboundEvent]:
        message = parse_json_object(text)
        if not isinstance(message, dict):
            return [message]
        event = message["event"]
        handler = self._HANDLERS.get(event)
        if handler is None:
            return [UnknownEvent(event)]
        if self._stream is None and event not in ("start", "stop"):
            return [protocol_error(f"{event} before start", text)]
        return handler(self, message, text)

    def receive_bytes(self, data: bytes) -> list[InboundEvent]:
        if self._stream is None:
            return [protocol_error(f"binary frame ({len(data)} bytes) before start")]
        if len(data) % 2:
            return [protocol_error(f"odd-length PCM16 frame ({len(data)} bytes)")]
        if not data:
            return []
        return [AudioIn(pcm16_to_array(data), self._stream.audio_format.sample_rate)]

    def _on_start(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        if self._stream is not None:
            return [protocol_error("duplicate start message", raw)]
        call_id = get_str(message, "call_id")
        if call_id is None:
            return [protocol_error("start message needs a non-empty string call_id", raw)]
        rate = message.get("sample_rate")
        if type(rate) is not int or rate not in SUPPORTED_RATES:  # bool/float are not rates
            return [protocol_error(f"sample_rate must be 8000 or 16000, got {rate!r}", raw)]
        parameters = parse_parameters(message.get("parameters"))
        if parameters is None:
            return [protocol_error("parameters must be an object", raw)]
        audio_format = AudioFormat("l16", rate)
        self._stream = StreamInfo(call_id, audio_format, RateConverter(audio_format.sample_rate))
        return [CallStarted(
            call_id=call_id,
            stream_id=call_id,
            from_number=_str_field(message, "from"),
            to_number=_str_field(message, "to"),
            audio_format=audio_format,
            parameters=parameters,
        )]

    def _on_dtmf(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        digit = get_digit(message)
        if digit is None:
            return [protocol_error("dtmf message without a valid digit", raw)]
        return [DtmfIn(digit)]

    def _on_mark(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        name = get_str(message, "name")
        if name is None:
            return [protocol_error("mark message without a name", raw)]
        return [MarkPlayed(name)]

    def _on_stop(self, message: dict[str, Any], raw: str) -> list[InboundEvent]:
        reason = message.get("reason")
        return [CallerHungUp(reason if isinstance(reason, str) and reason else "stop")]

    _HANDLERS: ClassVar[dict[str, Callable[[L16MediaProtocol, dict[str, Any], str],
                                           list[InboundEvent]]]] = {
        "start": _on_start,
        "dtmf": _on_dtmf,
        "mark": _on_mark,
        "stop": _on_stop,
    }

    # ---- outbound -----------------------------------------------------------------------------

    def send(self, command: OutboundCommand) -> list[WireMessage]:
        if isinstance(command, HangUp):
            # Allowed before start too: it is how we turn away a client that never starts.
            return [dump_json({"event": "hangup", "reason": command.reason})]
        call = self._require_started(command)
        if isinstance(command, SendAudio):
            return _audio_frames(call, command)
        if isinstance(command, SendMark):
            return [dump_json({"event": "mark", "name": command.name})]
        if isinstance(command, ClearAudio):
            call.converter.reset()
            return [dump_json({"event": "clear"})]
        if isinstance(command, TransferCall):
            message = {"event": "transfer", "department": command.department,
                       "queue": command.queue, "reason": command.reason}
            if command.target:
                message["target"] = command.target
            return [dump_json(message)]
        raise TypeError(f"unsupported outbound command {command!r}")



def _audio_frames(call: StreamInfo, command: SendAudio) -> list[WireMessage]:
    """One binary frame per command, so the caller's chunking (pacing) is kept."""
    wire = call.converter.convert(check_int16(command), command.sample_rate)
    return [array_to_pcm16(wire)] if wire.size else []


def _str_field(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    return value if isinstance(value, str) else ""
