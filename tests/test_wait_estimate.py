"""The estimated wait a caller hears (ivr/contact/wait_estimate.py)."""

from __future__ import annotations

import pytest

from ivr.contact.wait_estimate import DEFAULT_HANDLE_S, estimated_wait_s, spoken_minutes


@pytest.mark.parametrize(("position", "agents", "handles", "expected"), [
    (1, 1, [120.0, 240.0], 180.0),        # next in line, one agent: one mean conversation
    (2, 1, [120.0, 240.0], 360.0),
    (2, 2, [120.0, 240.0], 180.0),        # two agents serve the first two together
    (3, 2, [60.0], 120.0),
    (1, 3, [], DEFAULT_HANDLE_S),         # nothing handled yet: the default
    (1, 1, [0.0, -5.0], DEFAULT_HANDLE_S),  # nonsense times are not counted
    (1, 0, [60.0], None),                 # nobody on duty: no number to announce
    (1, 1, [9999.0] * 5 + [60.0] * 20, 60.0),  # only the 20 most recent count
])
def test_estimated_wait(position: int, agents: int, handles: list[float],
                        expected: float | None) -> None:
    assert estimated_wait_s(position, agents, handles) == expected


def test_position_starts_at_one() -> None:
    with pytest.raises(ValueError, match="first waiting caller is 1"):
        estimated_wait_s(0, 1, [])


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 1), (30, 1), (60, 1), (61, 2), (359, 6)])
def test_spoken_minutes(seconds: float, minutes: int) -> None:
    assert spoken_minutes(seconds) == minutes
