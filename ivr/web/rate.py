"""A per-connection message rate limit: a token bucket, pure, time passed in.

A media websocket carries one message per 20 ms frame (Twilio: 50 a second per call, with
marks and keys a few more), so a peer sending thousands a second is not a telephone call
but a flood: each message costs a JSON parse and a trip through the session. The bucket
allows `rate` messages a second on average and `burst` at once (a platform catching up after
a network stall sends a backlog in one go); `ivr/web/media.py` closes a socket that runs it
dry with 1008. No I/O, no clock of its own.
"""

from __future__ import annotations


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
