"""How long a waiting caller should expect to wait: what the hold announcement says and what
decides whether a callback is offered. Pure.

A caller at `position` needs that many conversations to end among the agents on duty; each
lasts about the mean of the recent handle times (talk + wrap-up). With no agent on duty there
is no estimate: the caller is told so and offered a callback instead of a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

DEFAULT_HANDLE_S = 180.0  # before any call has been handled: a typical hotline conversation
RECENT = 20  # handle times that count: recent ones follow the day's load


def estimated_wait_s(position: int, agents_on_duty: int, handle_times_s: Sequence[float],
                     default_handle_s: float = DEFAULT_HANDLE_S) -> float | None:
    """Seconds until the caller at `position` (1 = next) is likely offered to an agent."""
    if position < 1:
        raise ValueError(f"position {position}: the first waiting caller is 1")
    if agents_on_duty <= 0:
        return None
    recent = [t for t in handle_times_s[-RECENT:] if t > 0]
    handle = sum(recent) / len(recent) if recent else default_handle_s
    # Rounds of conversations ahead: the first `agents_on_duty` callers need one round, etc.
    rounds = math.ceil(position / agents_on_duty)
    return rounds * handle


def spoken_minutes(seconds: float) -> int:
    """Whole minutes as announced ("大约3分钟"): at least 1, rounded up."""
    return max(1, math.ceil(seconds / 60))
