"""Intent matching: what did the caller want, given the (imperfect) recognised text?

Recognisers get Mandarin mostly right *by sound* and wrong by character (医保 → 一宝,
公积金 → 攻击金), so every signal is computed twice: on characters and on toneless, loosened
pinyin (zh/z, ch/c, sh/s, ing/in, eng/en folded, the usual accent and recogniser confusions).
Signals per intent: keyword hits (longer keywords weigh more, nested hits count once) and the
best fuzzy similarity (rapidfuzz) to any of its examples. They are combined into a score in
[0, 1]; below the threshold the result is "no match". Yes/no get explicit negation handling
(不是 is a no, never a yes). Everything derived from the knowledge base is precomputed in the
constructor, so `match` takes about a millisecond and never mutates the matcher (one instance
can serve every call, from any thread). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from dialog.intents import Intent, KnowledgeBase
from dialog.normalize import normalize, to_pinyin
from dialog.types import Action, MatchResult

DEFAULT_THRESHOLD = 0.5

# Keyword weight by length in characters: a 2-character word alone (餐厅) stays below the
# default threshold and needs corroboration; a 4-character term (营业执照) is nearly decisive.
# Several hits combine by noisy-OR.
_KEYWORD_WEIGHTS = (0.0, 0.2, 0.45, 0.6, 0.7, 0.8)
# The same keyword heard only by sound is a little weaker; a near-miss by sound weaker still.
_PINYIN_HIT = 0.85
_PINYIN_NEAR_HIT = 0.6
_PINYIN_NEAR_RATIO = 85.0
# Example similarity below this floor is what unrelated Chinese sentences reach by chance.
_EXAMPLE_FLOOR = 0.4
# How much of the example evidence the final score takes.
_EXAMPLE_SHARE = 0.9

# Syllables are coded into a Private Use Area so they never collide with real characters.
_SOUND_BASE = 0xE000
_UNKNOWN_SOUND = "\uf8ff"

_NEGATORS = frozenset("不没别未")
_YES, _NO = "yes", "no"
# Yes/no scores are scaled by how much of the utterance their keywords cover, from this
# factor (none covered) up to 1 (all covered).
_YES_NO_BASE = 0.4

_LOOSE_RULES = (
    (re.compile(r"^([zcs])h"), r"\1"),
    (re.compile(r"(i|e)ng$"), r"\1n"),
)


def loosen(syllable: str) -> str:
    """Fold the pinyin distinctions that callers' accents and recognisers blur (zh→z, ing→in)."""
    for pattern, repl in _LOOSE_RULES:
        syllable = pattern.sub(repl, syllable)
    return syllable


def loose_pinyin(text: str) -> list[str]:
    """Loosened toneless pinyin of an already-normalised text, one item per character."""
    return [loosen(s) for s in to_pinyin(text)]


def _keyword_sound(text: str) -> str:
    """The padded pinyin a keyword is searched for. Two-syllable keywords keep strict pinyin:
    loosened, too many collide with everyday words (卫生 wei sen ~ 为什么 wei sen me)."""
    strict = to_pinyin(text)
    return _padded(strict if len(strict) <= 2 else [loosen(s) for s in strict])


def _padded(syllables: list[str]) -> str:
    # Spaces on both sides make substring search respect syllable boundaries (an ⊄ ban).
    return " " + " ".join(syllables) + " "


@dataclass(frozen=True)
class _Keyword:
    owner: int
    text: str
    pinyin: str
    length: int
    weight: float


@dataclass(frozen=True)
class _Hit:
    keyword: _Keyword
    start: int
    strength: float

    @property
    def end(self) -> int:
        return self.start + self.keyword.length


class Matcher:
    """Scores an utterance against every intent of a knowledge base.

    `threshold` is the lowest combined score that still counts as a match (0..1)."""

    def __init__(self, kb: KnowledgeBase, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.kb = kb
        self.threshold = threshold
        self._intents: list[Intent] = list(kb.intents.values())
        self._index = {intent.id: i for i, intent in enumerate(self._intents)}
        self._keywords = self._build_keywords()
        self._near_keywords = [k for k in self._keywords if k.length >= 3]
        self._near_pinyin = [k.pinyin.strip() for k in self._near_keywords]
        self._sound_codes: dict[str, str] = {}
        self._build_examples()

    # ---- precomputation ---------------------------------------------------------------------

    def _build_keywords(self) -> list[_Keyword]:
        keywords: dict[tuple[int, str], _Keyword] = {}
        for owner, intent in enumerate(self._intents):
            for raw in intent.keywords:
                text = normalize(raw) or raw
                weight = _KEYWORD_WEIGHTS[min(len(text), len(_KEYWORD_WEIGHTS) - 1)]
                pinyin = _keyword_sound(text)
                keywords[(owner, text)] = _Keyword(owner, text, pinyin, len(text), weight)
        return list(keywords.values())

    def _build_examples(self) -> None:
        owners: list[int] = []
        chars: list[str] = []
        pinyin: list[str] = []
        for owner, intent in enumerate(self._intents):
            for raw in intent.examples:
                text = normalize(raw)
                if text:
                    owners.append(owner)
                    chars.append(text)
                    pinyin.append(self._sound_string(loose_pinyin(text), learn=True))
        order = np.argsort(np.asarray(owners, dtype=np.int64), kind="stable")
        self._example_owner = np.asarray(owners, dtype=np.int64)[order]
        self._example_chars = [chars[i] for i in order]
        self._example_pinyin = [pinyin[i] for i in order]
        # Start offset of each intent's run of examples, for a vectorised max per intent.
        starts = np.searchsorted(self._example_owner, np.arange(len(self._intents)))
        self._has_examples = np.bincount(self._example_owner, minlength=len(self._intents)) > 0
        self._example_starts = starts[self._has_examples]

    def _sound_string(self, syllables: list[str], learn: bool = False) -> str:
        """One code point per syllable, so pinyin is compared syllable by syllable exactly as
        characters are (comparing pinyin letters would let unrelated sentences look alike).
        Syllables that occur in no example all share one code that matches nothing."""
        if learn:
            for syllable in syllables:
                self._sound_codes.setdefault(syllable, chr(_SOUND_BASE + len(self._sound_codes)))
        return "".join(self._sound_codes.get(s, _UNKNOWN_SOUND) for s in syllables)

    # ---- matching ---------------------------------------------------------------------------

    def match(self, text: str) -> MatchResult:
        """The best intent for one utterance, or a no-match result (intent None)."""
        norm = normalize(text)
        if not norm:
            return MatchResult(None, 0.0, None, "none", text=text, signals={})
        strict = to_pinyin(norm)
        syllables = [loosen(s) for s in strict]
        keyword, yes_no_coverage = self._keyword_scores(norm, strict, syllables)
        chars, sounds = self._example_scores(norm, syllables)
        examples = np.maximum(chars, sounds)
        scores = self._combine(keyword, examples, yes_no_coverage)
        best = int(np.argmax(scores))
        signals = self._signals(scores, best, keyword, chars, sounds)
        if scores[best] < self.threshold:
            return MatchResult(None, float(scores[best]), None, "none", text=text, signals=signals)
        return self._result(self._intents[best], float(scores[best]), text, signals)

    def _keyword_scores(
        self, norm: str, strict: list[str], loose: list[str]
    ) -> tuple[np.ndarray, float]:
        """Noisy-OR of keyword evidence per intent (a hit inside a longer hit counts once),
        and the share of the utterance that yes/no keywords cover."""
        hits = self._exact_hits(norm, _padded(strict), _padded(loose))
        hits = self._drop_negated_yes(hits, norm)
        hits.extend(self._near_hits(loose, {h.keyword for h in hits}))
        hits = _outermost(hits)
        miss = np.ones(len(self._intents))
        for hit in hits:
            miss[hit.keyword.owner] *= 1.0 - hit.strength
        return 1.0 - miss, self._yes_no_coverage(hits, norm)

    def _exact_hits(self, norm: str, strict: str, loose: str) -> list[_Hit]:
        hits: list[_Hit] = []
        for kw in self._keywords:
            start = norm.find(kw.text)
            if start >= 0:
                hits.append(_Hit(kw, start, kw.weight))
            elif kw.length >= 2:
                sounds = strict if kw.length == 2 else loose
                found = sounds.find(kw.pinyin)
                if found >= 0:
                    # Syllable offset = character offset: to_pinyin gives one item per char.
                    start = sounds[: found + 1].count(" ") - 1
                    hits.append(_Hit(kw, start, kw.weight * _PINYIN_HIT))
        return hits

    def _yes_no_coverage(self, hits: list[_Hit], norm: str) -> float:
        """Share of characters inside yes/no keyword hits: 好的可以 is all answer, while in
        我可以贷吗 the 可以 is part of a question."""
        owners = {self._index.get(_YES), self._index.get(_NO)} - {None}
        covered: set[int] = set()
        for hit in hits:
            if hit.keyword.owner in owners and hit.start >= 0:
                covered.update(range(hit.start, hit.end))
                covered.update(_later_occurrences(norm, hit.keyword.text, hit.end))
        return len(covered) / max(len(norm), 1)

    def _drop_negated_yes(self, hits: list[_Hit], norm: str) -> list[_Hit]:
        """不是/不对/不好/不可以: a yes word right after a negator is a no, not a yes."""
        yes = self._index.get(_YES)
        return [
            h for h in hits
            if not (h.keyword.owner == yes and h.start > 0 and norm[h.start - 1] in _NEGATORS)
        ]

    def _near_hits(self, syllables: list[str], found: set[_Keyword]) -> list[_Hit]:
        """Long keywords heard with one syllable off (户口迁移 ~ 护考迁移), by pinyin similarity."""
        if not self._near_keywords or len(syllables) < 3:
            return []
        sounds = " ".join(syllables)
        ratios = process.cdist([sounds], self._near_pinyin, scorer=fuzz.partial_ratio, workers=1)
        return [
            _Hit(kw, -1, kw.weight * _PINYIN_NEAR_HIT * (ratio / 100.0))
            for kw, pinyin, ratio in zip(self._near_keywords, self._near_pinyin, ratios[0],
                                         strict=True)
            # partial_ratio aligns the shorter string inside the longer: the keyword must be
            # the one found inside the utterance, not the utterance inside the keyword.
            if ratio >= _PINYIN_NEAR_RATIO and len(pinyin) <= len(sounds) and kw not in found
        ]

    def _example_scores(self, norm: str, syllables: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Best similarity (0..1) to any example of each intent, on characters and on pinyin."""
        chars = _similarity(norm, self._example_chars)
        sounds = _similarity(self._sound_string(syllables), self._example_pinyin)
        return self._max_per_intent(chars), self._max_per_intent(sounds)

    def _max_per_intent(self, values: np.ndarray) -> np.ndarray:
        best = np.zeros(len(self._intents))
        if values.size:
            best[self._has_examples] = np.maximum.reduceat(values, self._example_starts)
        return best

    def _combine(
        self, keyword: np.ndarray, examples: np.ndarray, yes_no_coverage: float
    ) -> np.ndarray:
        lifted = np.clip((examples - _EXAMPLE_FLOOR) / (1.0 - _EXAMPLE_FLOOR), 0.0, 1.0)
        scores = 1.0 - (1.0 - keyword) * (1.0 - _EXAMPLE_SHARE * lifted)
        return self._adjust_yes_no(scores, keyword, yes_no_coverage)

    def _adjust_yes_no(
        self, scores: np.ndarray, keyword: np.ndarray, coverage: float
    ) -> np.ndarray:
        yes, no = self._index.get(_YES), self._index.get(_NO)
        if yes is not None and no is not None:
            # Keywords decide between the two: an explicit negation (不是, 不对) is never a yes,
            # however much it resembles a yes example, and 需要 is not a no because 不需要 is.
            if keyword[no] > 0 and keyword[no] >= keyword[yes]:
                scores[yes] = 0.0
            elif keyword[yes] > keyword[no]:
                scores[no] = 0.0
        # A confirmation is the whole utterance; a 是 or 可以 inside a question is not one.
        factor = _YES_NO_BASE + (1.0 - _YES_NO_BASE) * coverage
        for index in (yes, no):
            if index is not None:
                scores[index] *= factor
        return scores

    def _signals(
        self, scores: np.ndarray, best: int, keyword: np.ndarray, chars: np.ndarray,
        sounds: np.ndarray,
    ) -> dict[str, float]:
        runner_up = float(np.partition(scores, -2)[-2]) if len(scores) > 1 else 0.0
        return {
            "keyword": round(float(keyword[best]), 4),
            "example_chars": round(float(chars[best]), 4),
            "example_pinyin": round(float(sounds[best]), 4),
            "margin": round(float(scores[best]) - runner_up, 4),
        }

    def _result(
        self, intent: Intent, score: float, text: str, signals: dict[str, float]
    ) -> MatchResult:
        action, department = self._routing(intent)
        return MatchResult(intent.id, score, department, action, text=text, signals=signals)

    def _routing(self, intent: Intent) -> tuple[Action, str | None]:
        """FAQ answer → answer; FAQ transfer / human_agent → transfer; other system → none."""
        if intent.action == "transfer":
            return "transfer", intent.department or self.kb.default_department
        if intent.kind == "faq":
            return "answer", intent.department
        return "none", None


def _similarity(query: str, choices: list[str]) -> np.ndarray:
    """Similarity (0..1) of `query` to each choice: full-string ratio, or the best aligned
    substring (partial_ratio) discounted by how much of the longer string it covers, so a
    short query inside a long example (是 in 是不是要带身份证) is not a perfect match.
    (token_set_ratio was tried too: order-blind, it made unrelated questions look alike.)"""
    if not choices:
        return np.zeros(0)
    full = process.cdist([query], choices, scorer=fuzz.ratio, workers=1)[0]
    partial = process.cdist([query], choices, scorer=fuzz.partial_ratio, workers=1)[0]
    lengths = np.fromiter((len(c) for c in choices), dtype=np.float64, count=len(choices))
    coverage = np.minimum(lengths, len(query)) / np.maximum(lengths, len(query))
    return np.asarray(np.maximum(full, partial * np.sqrt(coverage)) / 100.0, dtype=np.float64)


def _later_occurrences(text: str, word: str, start: int) -> set[int]:
    """Character positions of every occurrence of `word` in `text` from `start` on (好的好的)."""
    positions: set[int] = set()
    found = text.find(word, start)
    while found >= 0:
        positions.update(range(found, found + len(word)))
        found = text.find(word, found + len(word))
    return positions


def _outermost(hits: list[_Hit]) -> list[_Hit]:
    """Drop hits nested inside a longer hit of the same intent (失业 inside 失业保险金)."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: -h.keyword.length):
        nested = hit.start >= 0 and any(
            k.keyword.owner == hit.keyword.owner and k.start >= 0
            and k.start <= hit.start and hit.end <= k.end
            for k in kept
        )
        if not nested:
            kept.append(hit)
    return kept
