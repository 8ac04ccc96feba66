"""Opening hours of a queue (ivr.contact.hours)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine

from ivr.config import ServerConfig
from ivr.contact.callback_store import CallbackStore
from ivr.contact.hours import hours_for, parse_hours, parse_hours_by_department
from ivr.db.models import Base
from ivr.services import build_hold
from tests.fakes import FakeClock

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


def test_each_department_may_keep_its_own_hours() -> None:
    by_dept = parse_hours_by_department(
        "hrss = mon-fri 08:30-17:30 | market=sat 09:00-11:00; sun 09:00-11:00")
    default = parse_hours("")
    assert set(by_dept) == {"hrss", "market"}
    assert hours_for("hrss", default, by_dept).is_open(WED_10)
    assert not hours_for("hrss", default, by_dept).is_open(SAT_10)
    assert hours_for("market", default, by_dept).is_open(SUN_10)
    assert not hours_for("market", default, by_dept).is_open(WED_10)
    assert hours_for("tax", default, by_dept).is_open(WED_1230)  # not named: the default
    assert parse_hours_by_department("") == {}


@pytest.mark.parametrize("spec, named", [
    ("hrss mon-fri 08:30-17:30", "department=hours"),
    ("=mon 09:00-10:00", "department=hours"),
    ("hrss=mon-fri 08:30-17:30 | market=someday 09:00-10:00", "'market'"),
    ("market=mon 25:00-26:00", "'market'"),
])
def test_bad_department_hours_name_the_department(spec: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_hours_by_department(spec)


def test_the_server_refuses_bad_department_hours_at_start_up() -> None:
    with pytest.raises(ValueError, match="IVR_QUEUE_HOURS_BY_DEPT"):
        ServerConfig.from_env({"IVR_QUEUE_HOURS_BY_DEPT": "hrss=mon 9-5"})


def test_a_held_call_sees_its_own_departments_hours() -> None:
    clock = FakeClock(epoch=WED_10.replace(tzinfo=UTC).timestamp())
    config = ServerConfig(queue_hours="mon-sun 00:00-24:00", queue_timezone="UTC",
                          queue_hours_by_dept="hrss=sat 09:00-12:00")
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    setup, _bus = build_hold(config, CallbackStore(engine), clock)
    assert setup.is_open("market") and not setup.is_open("hrss")
