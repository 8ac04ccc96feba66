"""Opening hours of a queue (ivr.contact.hours)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.contact.hours import parse_hours

WED_10 = datetime(2026, 12, 2, 10, 0)  # a Wednesday
WED_1230 = datetime(2026, 12, 2, 12, 30)
SAT_10 = datetime(2026, 12, 5, 10, 0)
SUN_10 = datetime(2026, 12, 6, 10, 0)


def test_empty_is_always_open() -> None:
    assert parse_hours("").is_open(SUN_10) and parse_hours("  ").is_open(WED_1230)


def test_days_and_several_ranges() -> None:
    hours = parse_hours("mon-fri 09:00-12:00 13:30-17:00; sat 09:00-11:00")
    assert hours.is_open(WED_10) and not hours.is_open(WED_1230)
    assert hours.is_open(SAT_10) and not hours.is_open(SUN_10)
    assert not hours.is_open(datetime(2026, 12, 2, 17, 0))  # the end is exclusive


def test_a_range_across_the_week_end() -> None:
    hours = parse_hours("sat-mon 08:00-20:00")
    assert hours.is_open(SUN_10) and hours.is_open(datetime(2026, 11, 30, 9, 0))
    assert not hours.is_open(WED_10)


@pytest.mark.parametrize("spec", ["funday 09:00-10:00", "mon 9-10", "mon 10:00-09:00",
                                  "mon", "mon 09:00-25:00"])
def test_bad_specs_are_refused_with_the_part_named(spec: str) -> None:
    with pytest.raises(ValueError, match="opening hours"):
        parse_hours(spec)
