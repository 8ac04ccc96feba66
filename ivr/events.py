"""The neutral event vocabulary between telephony adapters and the call session.

Only the media adapters (`ivr/media/*`) know provider JSON; everything behind them speaks
these frozen dataclasses. Audio always travels as int16 numpy samples together with their
sample rate, so 8 kHz telephone audio can never reach a 16 kHz recognizer unnoticed.
No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Encoding = Literal["mulaw", "alaw", "l16"]


@dataclass(frozen=True)
class AudioFormat:
    """Wire format of one direction of a media stream."""

    encoding: Encoding
    sample_rate: int
    channels: int = 1


MULAW_8K = AudioFormat("mulaw", 8000)


# ---- inbound: platform -> bot -------------------------------------------------------------


@dataclass(frozen=True)
class Connected:
    """Transport-level hello (Twilio `connected`); carries no call data yet."""

    protocol: str = ""
    version: str = ""


@dataclass(frozen=True)
class CallStarted:
    """The stream is live: who is calling whom, and the audio format both ways."""

    call_id: str
    stream_id: str
    from_number: str
    to_number: str
    audio_format: AudioFormat
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class AudioIn:
    """Caller audio, already decoded to int16 mono at `sample_rate`."""

    samples: np.ndarray
    sample_rate: int


@dataclass(frozen=True)
class DtmfIn:
    """A key the caller pressed, reported out-of-band by the platform."""

    digit: str


@dataclass(frozen=True)
class MarkPlayed:
    """The platform has played all audio queued before the mark with this name."""

    name: str


@dataclass(frozen=True)
class CallerHungUp:
    """The platform ended the stream (caller hung up, or the call moved on)."""

    reason: str = "stop"


@dataclass(frozen=True)
class ProtocolError:
    """A message we could not understand; the call goes on, the error is logged/recorded."""

    message: str
    raw: str | None = None


@dataclass(frozen=True)
class UnknownEvent:
    """A well-formed message of a kind we do not handle; recorded and ignored."""

    event: str


InboundEvent = (
    Connected
    | CallStarted
    | AudioIn
    | DtmfIn
    | MarkPlayed
    | CallerHungUp
    | ProtocolError
    | UnknownEvent
)


# ---- outbound: bot -> platform ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SendAudio:
    """Bot audio as int16 mono at `sample_rate`; the adapter encodes it for the wire."""

    samples: np.ndarray
    sample_rate: int


@dataclass(frozen=True)
class SendMark:
    """Ask the platform to echo `name` once everything queued before it has played."""

    name: str


@dataclass(frozen=True)
class ClearAudio:
    """Drop everything still queued for playback (barge-in)."""


@dataclass(frozen=True)
class TransferCall:
    """Hand the caller to a human queue; how depends on the platform (see adapters)."""

    department: str
    queue: str
    reason: str = ""
    target: str = ""  # an agent's number or SIP URI (queues in `dial` mode), else the queue


@dataclass(frozen=True)
class HangUp:
    """End the call from the bot's side."""

    reason: str = ""


OutboundCommand = SendAudio | SendMark | ClearAudio | TransferCall | HangUp
