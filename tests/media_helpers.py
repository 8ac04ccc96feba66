"""Assertion helpers shared by the media adapter tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from ivr.events import ProtocolError

T = TypeVar("T")


def only(items: Sequence[T]) -> T:
    assert len(items) == 1, items
    return items[0]


def is_error(events: Sequence[object]) -> bool:
    return len(events) == 1 and isinstance(events[0], ProtocolError)


def the_error(events: Sequence[object]) -> ProtocolError:
    error = only(events)
    assert isinstance(error, ProtocolError), error
    return error
