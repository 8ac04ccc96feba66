"""Which department's office a caller named outright (教育局, 派出所, 公路局).

A caller who names the office they mean ("教育局拖欠教师工资", "公安局出入境大厅几点上班")
has said whose matter it is more plainly than any keyword: a similar FAQ of another department
(wage arrears, the service centre's hours) must not take the call. The names come from each
department's `offices` in the knowledge base (a short list per department: a city adds its
own), matched as written after the knowledge base's synonym folding; only one department
named counts — "社保局让我去派出所开证明" names two, and the rest of the matcher decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["OfficeIndex"]


class OfficeIndex:
    """Office names per department, longest first, for substring probes."""

    def __init__(self, offices: Iterable[tuple[str, Iterable[str]]],
                 canon: Callable[[str], str]) -> None:
        names = [(canon(name), dept) for dept, own in offices for name in own]
        self._names = sorted(((n, d) for n, d in names if n), key=lambda nd: -len(nd[0]))

    def named(self, text: str) -> str | None:
        """The one department whose office `text` names, or None (none, or several)."""
        found: set[str] = set()
        taken = [False] * len(text)
        for name, dept in self._names:
            start = text.find(name)
            while start >= 0:
                span = range(start, start + len(name))
                if not any(taken[i] for i in span):  # 交警大队 holds 交警: one name, not two
                    found.add(dept)
                    for i in span:
                        taken[i] = True
                start = text.find(name, start + 1)
        return found.pop() if len(found) == 1 else None
