"""The contract every telephony media adapter fulfils, plus the helpers they share.

An adapter is a sans-I/O translator in the style of python-websockets: websocket messages go in
(`receive_text` / `receive_bytes`) and come out as neutral `ivr.events` inbound events; outbound
commands go in (`send`) and come out as the websocket messages to write. Adapters own no socket,
task or clock, so they are tested with literal provider messages. Malformed input never raises:
it becomes `ProtocolError`, and well-formed messages of kinds we do not handle become
`UnknownEvent`. Only our own mistakes (sending before the call started, non-int16 audio) raise.
No I/O here.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from ivr.events import AudioFormat, InboundEvent, OutboundCommand, ProtocolError, SendAudio
from pcm.resample import Resampler

WireMessage = str | bytes
"""One websocket message: `str` goes out as a text frame, `bytes` as a binary frame."""

DTMF_DIGITS = frozenset("0123456789*#ABCD")

# ProtocolError.raw is logged and stored with the call; cap it so a hostile or broken peer
# cannot make us keep megabytes per bad message.
MAX_RAW_CHARS = 2000


class MediaProtocol(ABC):
    """One call's media stream, seen as messages in and messages out."""

    name: str = ""
    reports_dtmf: bool = False  # the platform sends key presses as events of their own

    @property
    @abstractmethod
    def audio_format(self) -> AudioFormat | None:
        """Wire audio format, known once the call has started."""

    @property
    @abstractmethod
    def started(self) -> bool:
        """True once the provider's start message has been accepted."""

    @abstractmethod
    def receive_text(self, text: str) -> list[InboundEvent]:
        """Translate one text frame into zero or more inbound events."""

    @abstractmethod
    def receive_bytes(self, data: bytes) -> list[InboundEvent]:
        """Translate one binary frame into zero or more inbound events."""

    @abstractmethod
    def send(self, command: OutboundCommand) -> list[WireMessage]:
        """Translate one outbound command into the websocket messages to write, in order."""


@dataclass
class StreamInfo:
    """What the provider's start message told us; exists only once the call has started."""

    id: str
    audio_format: AudioFormat
    converter: RateConverter


class StartedStreamProtocol(MediaProtocol):
    """The state both adapters share: nothing until `start`, then the stream's id and format."""

    def __init__(self) -> None:
        self._stream: StreamInfo | None = None

    @property
    def audio_format(self) -> AudioFormat | None:
        return None if self._stream is None else self._stream.audio_format

    @property
    def started(self) -> bool:
        return self._stream is not None

    @property
    def stream_id(self) -> str | None:
        """The provider's stream id (Twilio streamSid, L16 call_id)."""
        return None if self._stream is None else self._stream.id

    def _require_started(self, command: OutboundCommand) -> StreamInfo:
        if self._stream is None:
            raise RuntimeError(f"cannot send {type(command).__name__} on a {self.name} stream "
                               "before 'start' (no stream id or rate yet)")
        return self._stream


def truncate_raw(raw: str) -> str:
    """Shorten a bad message for logging, saying how much was cut."""
    if len(raw) <= MAX_RAW_CHARS:
        return raw
    return f"{raw[:MAX_RAW_CHARS]}…[{len(raw) - MAX_RAW_CHARS} more chars]"


def protocol_error(message: str, raw: str | None = None) -> ProtocolError:
    """Build a ProtocolError with the raw text capped."""
    return ProtocolError(message, None if raw is None else truncate_raw(raw))


def parse_json_object(text: str) -> dict[str, Any] | ProtocolError:
    """Parse a text frame that must be a JSON object carrying a string `event`."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return protocol_error(f"invalid JSON: {exc}", text)
    if not isinstance(value, dict):
        return protocol_error(f"JSON message is a {type(value).__name__}, not an object", text)
    event = value.get("event")
    if not isinstance(event, str) or not event:
        return protocol_error("message has no string 'event' field", text)
    return value


def get_object(message: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Return `message[key]` if it is a JSON object, else None."""
    value = message.get(key)
    return value if isinstance(value, dict) else None


def get_str(container: dict[str, Any] | None, key: str) -> str | None:
    """Return `container[key]` if it is a non-empty string, else None."""
    if container is None:
        return None
    value = container.get(key)
    return value if isinstance(value, str) and value else None


def get_digit(container: dict[str, Any] | None) -> str | None:
    """Return `container["digit"]` if it is one DTMF key (0-9, *, #, A-D), else None."""
    digit = get_str(container, "digit")
    return digit if digit is not None and digit in DTMF_DIGITS else None


def parse_parameters(value: object) -> dict[str, str] | None:
    """An optional object of custom parameters as str→str; None if present but not an object."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return None
    return {str(key): item if isinstance(item, str) else str(item) for key, item in value.items()}


def dump_json(message: dict[str, Any]) -> str:
    """Compact JSON, UTF-8 text left readable (department names are Chinese)."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def check_int16(command: SendAudio) -> np.ndarray:
    """Return the command's samples, refusing anything but 1-D int16 (a bug on our side)."""
    samples = command.samples
    if not isinstance(samples, np.ndarray) or samples.dtype != np.int16 or samples.ndim != 1:
        raise TypeError("SendAudio.samples must be a 1-D int16 numpy array")
    if command.sample_rate <= 0:
        raise ValueError(f"SendAudio.sample_rate must be positive, got {command.sample_rate}")
    return samples


class RateConverter:
    """Brings outbound audio to the wire rate, keeping one stateful Resampler per source rate.

    Keeping the resampler between commands makes consecutive chunks join without clicks (the
    result is the same as resampling the utterance whole). `reset()` drops that state; call it
    when queued audio is cleared, so the tail of cut-off speech cannot leak into the next reply.
    We deliberately do not flush at marks: flushing zero-pads the filter and would click at
    every chunk joint, while the cost of not flushing is that a mark may be echoed about 2 ms
    (the filter lookahead) before the last samples queued ahead of it have played.
    """

    def __init__(self, target_rate: int) -> None:
        self.target_rate = target_rate
        self._resamplers: dict[int, Resampler] = {}

    def convert(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """Return `samples` at the target rate (unchanged if already there)."""
        if sample_rate == self.target_rate:
            return samples
        resampler = self._resamplers.get(sample_rate)
        if resampler is None:
            resampler = Resampler(sample_rate, self.target_rate)
            self._resamplers[sample_rate] = resampler
        return np.asarray(resampler.process(samples), dtype=np.int16)

    def reset(self) -> None:
        """Forget all filter state (after a clear)."""
        self._resamplers.clear()
