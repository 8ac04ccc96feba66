"""A media adapter that tells the rate limit which messages were caller audio in real time.

`PacedProtocol` wraps a dialect's adapter (ivr/media/) without changing what it does: after
each message is parsed, the audio it carried is counted by `AudioPace` (ivr/web/rate.py), and
when it is within real time the message's token goes back to the socket's bucket. The
session sees the same adapter; no message is parsed twice.
"""

from __future__ import annotations

from collections.abc import Callable

from ivr.events import AudioFormat, AudioIn, InboundEvent, OutboundCommand
from ivr.media.base import MediaProtocol, WireMessage


class PacedProtocol(MediaProtocol):
    """`inner`, reporting each message's caller audio (seconds) to `heard_audio`."""

    def __init__(self, inner: MediaProtocol, heard_audio: Callable[[float], None]) -> None:
        self.inner = inner
        self.name = inner.name
        self.reports_dtmf = inner.reports_dtmf
        self._heard_audio = heard_audio

    @property
    def audio_format(self) -> AudioFormat | None:
        return self.inner.audio_format

    @property
    def started(self) -> bool:
        return self.inner.started

    def receive_text(self, text: str) -> list[InboundEvent]:
        return self._counted(self.inner.receive_text(text))

    def receive_bytes(self, data: bytes) -> list[InboundEvent]:
        return self._counted(self.inner.receive_bytes(data))

    def send(self, command: OutboundCommand) -> list[WireMessage]:
        return self.inner.send(command)

    def _counted(self, events: list[InboundEvent]) -> list[InboundEvent]:
        seconds = sum(len(e.samples) / e.sample_rate for e in events if isinstance(e, AudioIn))
        if seconds > 0:
            self._heard_audio(seconds)
        return events
