"""The department-choice question: which area does a problem the bot could not route belong to?

When the matcher declines a problem but its department router has guesses (MatchResult.
guesses), a blind "please say it again" rarely helps: callers repeat the same words. The
policy asks instead "请问您的问题属于哪个方面：社会保障、市场监管，还是住房建设？", naming the
best guesses first, and reads the caller's next words first as the answer: a department's
name or area or half of one (交通 for 交通运输; any department: callers know where they want
to go), one of an offered department's duty words (routing keywords), an ordinal (第二个, 后面那个),
or "none of them" (都不是, 不知道, 别的). `ChoiceReader.choose` does that reading; the policy
(dialog.policy) decides what follows. The whole utterance is read (dialog.answers does not
split a leading yes/no off it here: 不是公安 must not become 公安). Pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from dialog.intents import Department, KnowledgeBase
from dialog.keywords import KeywordIndex
from dialog.phonetic import analyse
from dialog.synonyms import Canonicalizer
from dialog.types import MatchResult

NONE_OF_THEM = "<none>"
"""`ChoiceReader.choose` result when the caller says none of the offered areas fits."""

# Endings of department names a caller leaves out (人力资源和社会保障局 → 社会保障).
_SUFFIXES = re.compile(r"(?:管理中心|委员会|管理局|中心|局|委)$")
_PARTS = re.compile(r"[和与、]")
# Ordinals: a number needs its measure word, so 第一次 is not a choice.
_NUMBERED = re.compile(r"第([一二三123])(?:个|项|种|类|方面|$)")
_NUMBERS = {"一": 0, "1": 0, "二": 1, "2": 1, "三": 2, "3": 2}
# 个 as the phone band leaves it (第一课, 第二哥): the measure word by its toneless sound
_NUMBER_THEN = re.compile(r"第([一二三123])(.)")
_MEASURE_SOUNDS = frozenset({"ge", "ke"})
_FIRST = re.compile(r"头一个|前一个|前面那|前面的|前面这|前头|前边|前者|最前面")
_MIDDLE = re.compile(r"中间那|中间的|中间这")
_LAST = re.compile(r"最后|后一个|后面那|后面的|后面这|后者|最后面|最末|末了|末尾")
_NONE = re.compile(r"都不是|都不对|哪个都不|都不属于|都没有|以上都不|不知道|不清楚|说不清|"
                   r"不确定|不好说|说不好|别的|其他|其它|另外的|不晓得|搞不清|弄不清|不懂|"
                   r"不是这几|不是这些|没有我这|没我这|都不沾边|不沾边|莫得一个|没有一个|一个都不|"
                   r"都不太对|都不大对|都不太是|都不像")
# 不是，住建的: a no said as its own clause answers the bot ("no, housing"), it denies nothing
# after it (the comma is gone once the words are normalised).
_LEADING_NO = re.compile(r"^\s*(?:不是|不对|不)\s*[，,。！!]+")
# A mention right after these is denied (不是公安，是交通).
_DENIALS = ("不是", "不属于", "不归", "不")
# Words around an answer (应该是住房建设那块吧): what is left of an utterance without them, the
# names and the ordinals is at most _RESIDUE characters for an answer; anything longer the
# matcher can act on is a new request, even with a duty word in it (我的社保卡丢了怎么补办).
_FILLERS = re.compile(r"我觉得|应该|好像|可能|大概|属于|方面|那块|这块|问题|部门|领域|那个|这个|"
                      r"不对|不是|那边|选|是|的|吧|啊|呀|呢|了|就|我|归|管|一|个|类")
_RESIDUE = 2
# Clause breaks of a recogniser's or a writer's punctuation, and the marks that end a sentence.
_CLAUSES = re.compile(r"[，,、；;：:。!！?？\s]+")
_END = "。.!！?？ "
# Intents that steer the dialog: matching one does not make the words a new request.
_STEERING = frozenset({"yes", "no", "goodbye", "repeat", "menu"})

AnswerKind = Literal["department", "none", "request", "unclear"]


@dataclass(frozen=True)
class Answer:
    """What the caller's words say to the question: a `department` chosen, "none" of the
    offered ones, a new "request" to match as usual, or "unclear"."""

    kind: AnswerKind
    department: str | None = None


def options_text(names: list[str]) -> str:
    """The options as the question speaks them: 甲、乙，还是丙 / 甲，还是乙 / 甲，还是别的方面."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]}，还是别的方面"
    return f"{'、'.join(names[:-1])}，还是{names[-1]}"


def offered(match: MatchResult, kb: KnowledgeBase, limit: int) -> tuple[str, ...]:
    """The departments to name for a declined `match`: its guesses the knowledge base has,
    best first, never the general desk ("none of them" goes there), at most `limit`."""
    ids = [g.department for g in match.guesses
           if g.department in kb.departments and g.department != kb.default_department]
    return tuple(dict.fromkeys(ids))[:max(limit, 0)]


def is_request(match: MatchResult) -> bool:
    """The match is something the bot can act on (not a steering word, not a no-match)."""
    if match.intent in _STEERING:
        return False
    return match.action in ("answer", "transfer", "clarify") or match.routed


@dataclass(frozen=True)
class _Term:
    """A word that names departments (any department) or is a duty word of them (counts only
    for the offered ones)."""

    names: frozenset[str]
    duties: frozenset[str]

    def departments(self, offered_ids: tuple[str, ...]) -> set[str]:
        return set(self.names) | {d for d in self.duties if d in offered_ids}


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    department: str | None  # None: a term of several departments, or denied (不是公安)
    named: bool = False  # a department's name (公安, 税务), not one of its duty words


class ChoiceReader:
    """Reads a caller's answer to the department-choice question, for one knowledge base.

    Names and duty words are found by characters or by sound (dialog.keywords: a tone-exact
    homophone of a two-character word, toneless pinyin from three), as the recogniser may
    write 公安 as 工安 or 市场监管 as 市场检管."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._canon = Canonicalizer(kb.synonyms)
        names: dict[str, set[str]] = {}
        duties: dict[str, set[str]] = {}
        for dept in kb.departments.values():
            # The general desk's halves (服务) are everyday words, and it is never offered.
            halved = dept.id != kb.default_department
            for term in self._fold(_names_of(dept, halved)):
                names.setdefault(term, set()).add(dept.id)
            for term in self._fold(_duties_of(dept)):
                duties.setdefault(term, set()).add(dept.id)
        words = sorted(set(names) | set(duties))
        self._terms = [_Term(frozenset(names.get(w, ())), frozenset(duties.get(w, ())))
                       for w in words]
        self._index = KeywordIndex(list(enumerate(words)), len(words))
        # each department's own names by toneless sound (医保 heard as 一包, 税务 as 水雾)
        self._sounds = {dept.id: {analyse(t).plain for t in self._fold(_names_of(dept))}
                        for dept in kb.departments.values()}

    def _fold(self, terms: Iterable[str]) -> list[str]:
        folded = (self._canon(t) for t in terms)
        return [t for t in folded if len(t) >= 2]

    def choose(self, offered_ids: tuple[str, ...], text: str,
               matched: str | None = None) -> str | None:
        """The department the caller chose, NONE_OF_THEM, or None (not an answer: a new
        request, a yes/no, or nothing the question can use). A department named wins over
        an ordinal, both over "none of them" (都不是，是教育的 → education); the last one named
        wins over earlier ones, and one named after a denial (不是公安) does not count.
        Duty words of several offered departments and no name (物业乱收费: housing's 物业,
        market's 乱收费) are settled by `matched`, the matcher's department for the whole
        utterance (the property dispute), when it is one of them."""
        norm = self._canon(_LEADING_NO.sub("", text))
        if not norm:
            return None
        mentions = self._mentioned(norm, offered_ids)
        named = [m.department for m in mentions if m.department]
        if named and matched in named and not any(m.named for m in mentions):
            return matched
        if named:
            return named[-1]
        ordinal = _ordinal(norm, len(offered_ids))
        if ordinal is not None:
            return offered_ids[ordinal]
        if _NONE.search(norm):
            return NONE_OF_THEM
        return None if mentions else self._sounds_like(norm, offered_ids)

    def _sounds_like(self, norm: str, offered_ids: tuple[str, ...]) -> str | None:
        """The one offered department whose name the words match by toneless sound, not
        denied. Looser than the matcher's sound match (which needs the tones of a
        two-character word): here it only picks among the two or three names just offered,
        and the short names the recogniser garbles most are two characters (一包, 水雾)."""
        plain = analyse(norm).plain
        found = set()
        for dept in offered_ids:
            for sound in self._sounds.get(dept, ()):
                start = _find(plain, sound)
                if start is not None and not norm[:start].endswith(_DENIALS):
                    found.add(dept)
        return found.pop() if len(found) == 1 else None

    def answer(self, offered_ids: tuple[str, ...], match: MatchResult,
               reply: str | None = None) -> Answer:
        """The caller's utterance (`match`, and `reply`: its yes/no, dialog.answers) read
        first as the answer to the question that offered `offered_ids`. A yes takes the only
        option; a no is none of them; words the matcher can act on that are more than an
        answer (`_bare`) are a new request."""
        matched = match.department if match.action != "clarify" else None
        chosen = self.choose(offered_ids, match.text, matched)
        if chosen is not None and (not is_request(match) or self._bare(offered_ids, match.text)):
            if chosen == NONE_OF_THEM:
                return Answer("none")
            return Answer("department", chosen)
        last = self._last_clause(offered_ids, match.text)
        if last is not None:
            return Answer("department", last)
        if is_request(match):
            return Answer("request")
        yes = reply == "yes" or match.intent == "yes"
        if yes and len(offered_ids) == 1:
            return Answer("department", offered_ids[0])
        if reply == "no" or match.intent == "no":
            return Answer("none")
        return Answer("unclear")

    def _last_clause(self, offered_ids: tuple[str, ...], text: str) -> str | None:
        """A department the last clause names and says nothing more (交社保费扣款的事，税务):
        the caller described the matter, then answered; the description alone may read as
        a request of another offered department."""
        head, sep, last = _CLAUSES.sub("，", text.strip(_END)).rpartition("，")
        if not sep or not head or not self._bare(offered_ids, last):
            return None
        chosen = self.choose(offered_ids, last)
        return chosen if chosen not in (None, NONE_OF_THEM) else None

    def _bare(self, offered_ids: tuple[str, ...], text: str) -> bool:
        """Is `text` only an answer: names, ordinals, "none of them" and filler words?"""
        norm = self._canon(text)
        kept = [True] * len(norm)
        for mention in self._mentioned(norm, offered_ids):
            kept[mention.start:mention.end] = [False] * (mention.end - mention.start)
        rest = "".join(c for c, keep in zip(norm, kept, strict=True) if keep)
        for mention in self._mentioned(norm, offered_ids):  # said twice: 公积金，公积金
            rest = rest.replace(norm[mention.start:mention.end], "")
        for pattern in (_NUMBERED, _FIRST, _MIDDLE, _LAST, _NONE, _FILLERS):
            rest = pattern.sub("", rest)
        return len(rest) <= _RESIDUE

    def _mentioned(self, norm: str, offered_ids: tuple[str, ...]) -> list[_Mention]:
        """Names and offered duty words in `norm`, in order: the longest first where they
        overlap, characters before sound."""
        hits = [h for h in self._index.hits(analyse(norm), near=False) if h.start >= 0
                and self._terms[h.keyword.owner].departments(offered_ids)]
        hits.sort(key=lambda h: (-h.keyword.length, h.kind != "chars", h.start))
        taken = [False] * len(norm)
        found: list[_Mention] = []
        for hit in hits:
            if any(taken[hit.start:hit.end]):
                continue
            taken[hit.start:hit.end] = [True] * (hit.end - hit.start)
            dept = _one_of(self._terms[hit.keyword.owner].departments(offered_ids),
                           offered_ids)
            denied = norm[:hit.start].endswith(_DENIALS)
            found.append(_Mention(hit.start, hit.end, None if denied else dept,
                                  bool(self._terms[hit.keyword.owner].names)))
        return sorted(found, key=lambda m: m.start)


def _names_of(dept: Department, halved: bool = True) -> list[str]:
    """What names the department itself: its name and area, without their endings, the
    parts of a compound name (人力资源和社会保障局 → 人力资源, 社会保障) and the halves of a
    four-character area (交通运输 → 交通, 运输: 不是，是交通的问题 names the transport bureau
    even when it was not offered). Only the area's halves: it is written to be said, while
    the halves of names are words of their own (医疗 is also a hospital's, 社会 anyone's)."""
    whole = [dept.name, dept.area, _SUFFIXES.sub("", dept.name),
             *(_SUFFIXES.sub("", o) for o in dept.offices)]  # 住建局 → 住建, 派出所
    parts = [_SUFFIXES.sub("", p) for w in (dept.name, dept.area) for p in _PARTS.split(w)]
    areas = [dept.area, *_PARTS.split(dept.area)]
    halves = [h for w in areas if halved and len(w) == 4 for h in (w[:2], w[2:])]
    return [t for t in whole + parts + halves if t]


def _duties_of(dept: Department) -> list[str]:
    """Words that point to an offered department: its routing keywords."""
    return list(dept.keywords)


def _one_of(departments: set[str], offered_ids: tuple[str, ...]) -> str | None:
    """The department a term names: the only one, else the only offered one, else None."""
    if len(departments) == 1:
        return next(iter(departments))
    mine = [d for d in offered_ids if d in departments]
    return mine[0] if len(mine) == 1 else None


def _ordinal(norm: str, count: int) -> int | None:
    """Index of the option an ordinal names (第二个, 后面那个), None without one."""
    if count <= 0:
        return None
    number = _number(norm)
    if number is not None:
        index = _NUMBERS[number]
        return index if index < count else None
    if _FIRST.search(norm):
        return 0
    if _MIDDLE.search(norm) and count == 3:
        return 1
    if _LAST.search(norm):
        return count - 1
    return None


def _number(norm: str) -> str | None:
    """The number of 第N个, also when the recogniser wrote 个 as another syllable that sounds
    like it (第一课); 第一次 is not an ordinal."""
    numbered = _NUMBERED.search(norm)
    if numbered is not None:
        return numbered.group(1)
    for found in _NUMBER_THEN.finditer(norm):
        if analyse(found.group(2)).plain[0] in _MEASURE_SOUNDS:
            return found.group(1)
    return None


def _find(seq: tuple[str, ...], part: tuple[str, ...]) -> int | None:
    """Where `part` first occurs in `seq` (both per-character syllables), or None."""
    width = len(part)
    for start in range(len(seq) - width + 1):
        if seq[start:start + width] == part:
            return start
    return None
