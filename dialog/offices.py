"""Which department's office a caller named outright (教育局, 派出所, 公路局).

A caller who names the office they mean ("教育局拖欠教师工资", "公安局出入境大厅几点上班")
has said whose matter it is more plainly than any keyword: a similar FAQ of another department
(wage arrears, the service centre's hours) must not take the call. The names come from each
department's `offices` in the knowledge base (a short list per department: a city adds its
own), after the knowledge base's synonym folding, and are found as department keywords are
(dialog.keywords): by characters, or by sound as the recognizer misheard them (人设局 for
人社局 by tone-exact pinyin; 攻击进中心 for 公积金中心 by toneless pinyin, for names of four
syllables or more only: without tones 违建举报 holds 卫健局). Only one department named
counts — "社保局让我去派出所开证明" names two, and the rest of the matcher decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dialog.keywords import KeywordIndex, outermost
from dialog.phonetic import Utterance

__all__ = ["OfficeIndex"]

TONELESS_FROM = 4  # syllables: shorter names count by characters or tone-exact pinyin only


class OfficeIndex:
    """Office names per department, indexed for the keyword probes."""

    def __init__(self, offices: Iterable[tuple[str, Iterable[str]]],
                 canon: Callable[[str], str]) -> None:
        entries: list[tuple[int, str]] = []
        self._ids: list[str] = []
        for dept, names in offices:
            self._ids.append(dept)
            entries += [(len(self._ids) - 1, canon(name)) for name in names]
        # no near misses: an office is named or it is not (close_owners: none)
        self._index = KeywordIndex(entries, len(self._ids), close_owners=frozenset())

    def named(self, utt: Utterance) -> str | None:
        """The one department whose office `utt` names, or None (none, or several)."""
        hits = [hit for hit in self._index.hits(utt, near=False, fuzzy=False)
                if hit.kind in ("chars", "tone") or hit.keyword.length >= TONELESS_FROM]
        found = {self._ids[hit.keyword.owner] for hit in outermost(hits)}
        return found.pop() if len(found) == 1 else None
