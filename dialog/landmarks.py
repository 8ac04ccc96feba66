"""Places named by the building next to them: 学校门口, 医院旁边, 派出所对面, 公安局路段.

Callers say where a problem is by the nearest building — 派出所门口的下水道堵了, 人民医院那个
路口红绿灯坏了, 城北中学校区段放学堵车 — and the building's name is also a department's word
(派出所 the police's, 医院 health's, 学校 education's). Read as a keyword, it carried the call
to the building's department: a drain blocked outside a police station was answered with the
hukou-transfer FAQ, a broken traffic light by a hospital went to the hospital-complaint line.

A landmark is an institution followed by a word for a place outside it (门口, 旁边, 附近,
对面, 路口, 路段 …); inside (学校里, 医院里) is the institution's own matter and is no
landmark. When the first decision is the landmark's department (or nothing), the utterance is
read again without the institution's name, and that reading is taken when it decides for
another department: what the caller reports, not where; or when it is plain chatter (我在医院
门口等你呢: the building was the only word of any department). Marked `signals.landmark`. Chosen on
the DEV citizen-message titles and utterances written for the purpose (tests/test_landmarks.py).
Pure; no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from dialog.intents import KnowledgeBase
from dialog.phonetic import Utterance
from dialog.routing import DepartmentPrior
from dialog.types import MatchResult

__all__ = ["INSTITUTIONS", "Landmark", "LandmarkLook", "find_landmarks"]

# Buildings callers give as a place; the knowledge base's office names (教育局, 派出所 …) are
# added per knowledge base. Longer names first, so 人民医院 is one name, not 医院 after 人民.
INSTITUTIONS: tuple[str, ...] = (
    "人民医院", "中医院", "医院", "卫生院", "诊所", "学校", "中学", "小学", "初中", "高中",
    "幼儿园", "大学", "学院", "校区", "汽车站", "火车站", "客运站", "超市", "商场", "菜市场",
)
# A place outside the building; 里 / 里面 (inside) is deliberately absent.
_PLACE = (r"(?:的)?(?:大门口|门口|门前|大门外|[东西南北侧正后前]门|校门口|[东西南北]?校门|旁边|"
          r"边上|附近|对面|周边|周围|隔壁|外面|后面|前面|(?:那个|这个|那|这)?路口|路段|段|后头|后边|前头|前边|边儿上|跟前|"
          r"(?:那|这)条路|(?:那|这)边|一带)")
# A campus or branch named between the building and the place (城北中学春城校区段).
_BRANCH = r"(?:[\u4e00-\u9fff]{1,4}?(?:校区|分校|院区|分院))?"


@dataclass(frozen=True)
class Landmark:
    """The building's characters [start, end) (with a named branch), and the building."""

    start: int
    end: int
    institution: str


def find_landmarks(text: str, institutions: Iterable[str] = INSTITUTIONS) -> list[Landmark]:
    """Every building named as a place in `text` (normalised)."""
    pattern = _landmark_pattern(frozenset(institutions))
    return [Landmark(m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)]


@functools.lru_cache(maxsize=8)
def _landmark_pattern(institutions: frozenset[str]) -> re.Pattern[str]:
    """One pattern per set of buildings: built once, not at every match (it was 5 % of the
    matching time)."""
    names = sorted(institutions, key=len, reverse=True)
    return re.compile(f"({'|'.join(map(re.escape, names))}){_BRANCH}(?={_PLACE})")


Decide = Callable[[Utterance, DepartmentPrior | None], MatchResult]


class LandmarkLook:
    """The reading without landmarks over one knowledge base; `decide` is the matcher's whole
    decision (with its second looks) for another reading of an utterance."""

    def __init__(self, kb: KnowledgeBase, canon: Callable[[str], str], decide: Decide,
                 chatter: float = 1.0) -> None:
        self.kb = kb
        self._decide = decide
        self._chatter = chatter  # the chatter probability (classifier_none) that rejects
        institutions = set(INSTITUTIONS)
        self._words: dict[str, set[str]] = {}  # department word → departments listing it
        for dept in kb.departments.values():
            institutions.update(canon(o) for o in dept.offices)
            for word in (*dept.keywords, *dept.offices):
                self._words.setdefault(canon(word), set()).add(dept.id)
        self._institutions = frozenset(institutions)  # hashed once: the pattern's cache key

    def owners(self, institution: str) -> set[str]:
        """The departments whose words the building's name holds (人民医院: health)."""
        return {d for word, depts in self._words.items()
                if len(word) >= 2 and word in institution for d in depts}

    def revise(self, text: str, utt: Utterance, first: MatchResult,
               prior: DepartmentPrior | None) -> MatchResult:
        """The decision for `utt` without its landmarks, where the first one was nothing or
        the landmark's department, and the second decides for another; else `first`."""
        found = [(lm, self.owners(lm.institution)) for lm in find_landmarks(utt.text,
                                                                           self._institutions)]
        found = [(lm, owners) for lm, owners in found if owners]
        if not found or not self._by_landmark(first, set().union(*(o for _, o in found))):
            return first
        keep = [True] * len(utt)
        for lm, _ in found:
            keep[lm.start:lm.end] = [False] * (lm.end - lm.start)
        second = self._decide(utt.keeping(keep), prior)
        if first.action != "none" and second.action == "none" and second.intent is None \
                and second.signals.get("classifier_none", 0.0) >= self._chatter:
            # 我在医院门口等你呢: without the building, plain chatter
            return replace(second, text=text, signals=second.signals | {"landmark": 1.0})
        if _unnamed(second, self.kb) and second.department != first.department:
            # 我在学校门口接孩子呢: outside the building no word names a matter, only the
            # sentence's shape resembles an FAQ's examples or a department's problems:
            # nothing is asked
            return replace(second, intent=None, action="none", department=None, text=text,
                           candidates=(), signals=second.signals | {"landmark": 1.0})
        if second.action in ("none", "clarify") or second.department in (None, first.department) \
                or (second.intent is not None and self.kb.intents[second.intent].kind != "faq"):
            return first
        return replace(second, text=text, signals=second.signals | {"landmark": 1.0})

    def _by_landmark(self, first: MatchResult, owners: set[str]) -> bool:
        """Could the landmark have carried the first decision? Nothing decided, or a
        decision (or clarifying question) for the building's own department."""
        if first.action == "none":
            return first.intent is None
        if first.action == "clarify":
            return bool(owners & {self.kb.intents[c.intent].department
                                  for c in first.candidates})
        return first.department in owners


def _unnamed(found: MatchResult, kb: KnowledgeBase) -> bool:
    """An FAQ decided without any of its keywords heard, or a department routed without any
    of its words (the shape of examples alone)."""
    if found.intent is None:
        return (found.action == "transfer" and found.department is not None
                and found.signals.get("route_keyword", 1.0) == 0.0)
    return (found.action != "none" and kb.intents[found.intent].kind == "faq"
            and found.signals.get("keyword", 0.0) == 0.0)
