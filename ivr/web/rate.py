"""A per-connection message rate limit: a token bucket, pure, time passed in.

A media websocket carries one message per 20 ms frame (Twilio: 50 a second per call, with
marks and keys a few more), so a peer sending thousands a second is not a telephone call
but a flood: each message costs a JSON parse and a trip through the session. The bucket
allows `rate` messages a second on average and `burst` at once (a platform catching up after
a network stall sends a backlog in one go); `ivr/web/media.py` closes a socket that runs it
dry with 1008. Caller audio within real time is given its token back (`AudioPace`,
`ivr/web/pacing.py`), so a backlog of audio after a stall of any length is never a flood.
No I/O, no clock of its own.
"""

from __future__ import annotations

# Each media message counts as at least one 20 ms frame of audio (AudioPace).
MIN_FRAME_S = 0.02


class TokenBucket:
    """`take(now)` is True while the peer stays within `rate` a second and `burst` at once;
    a `rate` of 0 means no limit."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._tokens = self.burst
        self._at = now

    def take(self, now: float) -> bool:
        """Spend one token for a message arriving at `now` (seconds, monotonic)."""
        if self.rate <= 0:
            return True
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def refund(self) -> None:
        """Give back the token of a message that turned out to be paced audio (AudioPace)."""
        self._tokens = min(self.burst, self._tokens + 1.0)


class AudioPace:
    """Caller audio is counted by its own duration, not by when it was read.

    A platform sends audio in real time. After a stall (a server loop busy for seconds, or a
    network that held the packets back) the backlog is read in one go: counted at read time
    it looks like a flood and the bucket above would close a good call. Counted by duration
    it is what it is: audio up to the time the socket has been open. `within` is True while
    all the audio received stays within `lead_s` of the wall time since the socket opened
    (`opened`): such messages cost the bucket nothing. Audio faster than real time (a
    flood of media messages) is not refunded and drains the bucket as any message does."""

    def __init__(self, lead_s: float, opened: float, min_frame_s: float = MIN_FRAME_S) -> None:
        self.lead_s = lead_s
        self.min_frame_s = min_frame_s
        self._opened = opened
        self._audio_s = 0.0

    def within(self, seconds: float, now: float) -> bool:
        """Count one message's audio (at least `min_frame_s`: a flood of tiny frames is
        counted as the messages it is) and say whether the stream is still in real time."""
        self._audio_s += max(seconds, self.min_frame_s)
        return self._audio_s <= (now - self._opened) + self.lead_s + 1e-6
