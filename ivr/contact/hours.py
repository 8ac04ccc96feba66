"""Opening hours of a queue: "mon-fri 08:30-17:30; sat 09:00-12:00". Pure.

Empty means always open (a fresh install takes calls at any hour). Days are mon..sun, single
or as a range; several time ranges may follow one day spec ("mon-fri 09:00-12:00 13:30-17:00").
A bad spec raises at start-up, naming the part that is wrong.

Each department's queue may keep its own hours (`parse_hours_by_department`): social security
may close at 17:30 while the citizen line's queue is staffed round the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Hours:
    # per weekday (0 = Monday): (start minute, end minute) ranges
    ranges: tuple[tuple[tuple[int, int], ...], ...]
    always: bool = False

    def is_open(self, at: datetime) -> bool:
        if self.always:
            return True
        minute = at.hour * 60 + at.minute
        return any(a <= minute < b for a, b in self.ranges[at.weekday()])


ALWAYS = Hours(((),) * 7, always=True)


def _days(spec: str) -> list[int]:
    first, _, last = spec.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ValueError(f"opening hours: {spec!r} is not a day or day range (mon..sun)")
    a, b = DAYS.index(first), DAYS.index(last or first)
    return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]


def _minutes(spec: str) -> tuple[int, int]:
    m = _RANGE.match(spec)
    if not m:
        raise ValueError(f"opening hours: {spec!r} is not a time range like 08:30-17:30")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if not (0 <= start < end <= 24 * 60 and m1 < 60 and m2 < 60):
        raise ValueError(f"opening hours: {spec!r} must start before it ends, within a day")
    return start, end


def parse_hours(spec: str) -> Hours:
    if not spec.strip():
        return ALWAYS
    ranges: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for part in filter(None, (p.strip() for p in spec.lower().split(";"))):
        days, *times = part.split()
        if not times:
            raise ValueError(f"opening hours: {part!r} names days but no times")
        for day in _days(days):
            ranges[day].extend(_minutes(t) for t in times)
    return Hours(tuple(tuple(r) for r in ranges))


def parse_hours_by_department(spec: str) -> dict[str, Hours]:
    """`IVR_QUEUE_HOURS_BY_DEPT` ("hrss=mon-fri 08:30-17:30 | market=mon-sat 09:00-18:00")
    → {department: Hours}. Departments are separated by `|` because `;` already separates
    day specs within one department's hours. ValueError names the department whose entry
    is wrong."""
    out: dict[str, Hours] = {}
    for entry in filter(None, (p.strip() for p in spec.split("|"))):
        department, sep, hours = (x.strip() for x in entry.partition("="))
        if not sep or not department:
            raise ValueError(f"IVR_QUEUE_HOURS_BY_DEPT entry {entry!r}: expected "
                             "department=hours, entries separated by |")
        try:
            out[department] = parse_hours(hours)
        except ValueError as exc:
            raise ValueError(f"IVR_QUEUE_HOURS_BY_DEPT, department {department!r}: {exc}") \
                from exc
    return out


def hours_for(department: str, default: Hours, by_department: dict[str, Hours]) -> Hours:
    return by_department.get(department, default)
