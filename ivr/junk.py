"""How much of what a peer sends one call keeps: a bound per stored detail and per call.

Every protocol error and unknown event is recorded with the call, which is right for a
confused gateway and wrong for a hostile one: a 1 MB event name was stored whole, and 50 MB
of junk grew the database by 52 MB. So each stored detail is cut to a few hundred characters,
and a call stores its first `limit` junk events only; after that they are counted, and the
count is stored once, as one summary event, when the call closes. Pure, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

# The parameters a start may carry into the record (Twilio <Parameter>s, L16 `parameters`).
MAX_PARAMETERS = 32
MAX_PARAMETER_CHARS = 256
MAX_NUMBER_CHARS = 64


def clip(text: str, chars: int) -> str:
    """`text` cut to `chars` characters, saying how much was cut."""
    if len(text) <= chars:
        return text
    return f"{text[:chars]}…[{len(text) - chars} more chars]"


def clip_parameters(parameters: Mapping[str, str]) -> dict[str, str]:
    """The first MAX_PARAMETERS parameters, names and values cut to MAX_PARAMETER_CHARS."""
    items = list(parameters.items())[:MAX_PARAMETERS]
    return {clip(k, MAX_PARAMETER_CHARS): clip(v, MAX_PARAMETER_CHARS) for k, v in items}


class JunkBudget:
    """Counts one call's junk events and says which of them to store (the first `limit`)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.seen: Counter[str] = Counter()

    def admit(self, kind: str) -> bool:
        """Count one junk event of `kind`; True while the call may still store it."""
        self.seen[kind] += 1
        return self.seen.total() <= self.limit

    @property
    def suppressed(self) -> int:
        """Junk events counted but not stored."""
        return max(0, self.seen.total() - self.limit)

    def summary(self) -> str | None:
        """The detail of the one event that stands for the suppressed ones, or None."""
        if not self.suppressed:
            return None
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.seen.items()))
        return (f"{self.suppressed} more junk events not stored (after the first "
                f"{self.limit}; in all: {kinds})")
