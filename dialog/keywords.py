"""The keyword signal: which intent (or department) keywords an utterance contains, and how.

A keyword is found by its characters, or — for recogniser homophones — by its sound: same
pinyin with the same tones (strong evidence, a same-sound substitution), and for keywords of
three or more syllables also toneless and loosened pinyin (zh/z, ing/in). A near miss is a
keyword heard with one syllable off: for four or more syllables any syllable (fuzzy pinyin),
for exactly three only a close one — same initial and tone, the other two tone-exact
(是保卡 for 社保卡: shi4 ~ she4), and only for the owners that allow it (content words, not
common phrases). Longer keywords weigh more; the hits of one owner combine by a damped
noisy-OR, and a hit nested inside a longer hit of the same owner counts once. All lookups
are dictionary probes over the utterance's substrings, so the cost grows with the utterance,
not with the knowledge base. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from dialog.phonetic import Utterance, analyse, onset
from dialog.word_edges import straddles

HitKind = Literal["chars", "tone", "pinyin", "loose", "near", "gapped"]

# Keyword weight by length in characters: a 2-character word alone (餐厅) stays below the
# answer threshold and needs corroboration; a 4-character term (营业执照) is nearly decisive.
KEYWORD_WEIGHTS = (0.0, 0.2, 0.45, 0.6, 0.7, 0.8)
# How much of its weight a keyword keeps when heard only by sound: a tone-exact homophone is
# almost as good as the characters, a tone slip less so, an accent fold or near miss least.
SOUND_FACTORS: dict[HitKind, float] = {
    "chars": 1.0, "tone": 0.9, "pinyin": 0.8, "loose": 0.75, "near": 0.6, "gapped": 0.75,
}
# A keyword of three characters or more said with a few words inside it (拖欠三个月工资,
# 路灯一直不亮, 水泥主路): its first two characters or more, then the rest after a gap of at
# most this many characters (one fewer for three-character keywords), no negation in it.
_GAP_MAX = 3
_GAP_NEGATION = frozenset("不没未非别")
_NEAR_RATIO = 90.0  # partial_ratio (0..100) on loosened pinyin for a near miss (at 85,
# she bao jiao fei passed for yi bao jiao fei)
_NEAR_MIN_LENGTH = 4  # any syllable off in three is a different word too often; three-
_NEAR_CLOSE_LENGTH = 3  # syllable keywords only allow a close one (_close_keys)
# Further hits of one owner add less than the first: an intent with many generic keywords
# (个体户 + 执照) must not outweigh one specific word of another (注销).
_EXTRA_HIT_SHARE = 0.5


@dataclass(frozen=True)
class Keyword:
    owner: int
    text: str
    weight: float
    tones: tuple[str, ...]
    plain: tuple[str, ...]
    loose: tuple[str, ...]

    @property
    def length(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class Hit:
    keyword: Keyword
    start: int  # character offset in the utterance; -1 for a near miss (no exact place)
    strength: float
    kind: HitKind

    @property
    def end(self) -> int:
        return self.start + self.keyword.length


class KeywordIndex:
    """Keywords of many owners (intents or departments), indexed for substring probes."""

    def __init__(
        self, entries: list[tuple[int, str]], owners: int,
        close_owners: frozenset[int] | None = None,
    ) -> None:
        """`entries` are (owner index, normalised keyword) pairs; duplicates are merged.
        `close_owners` limits the three-syllable near misses to those owners (None: all):
        content words (社保卡) are worth the risk, common phrases (没问题, 不需要) are not —
        扰民问题 must not say 没问题."""
        self.owners = owners
        unique = {(owner, text): None for owner, text in entries if text}
        self.keywords = [_keyword(owner, text) for owner, text in unique]
        self._chars: dict[str, list[Keyword]] = {}
        self._tones: dict[tuple[str, ...], list[Keyword]] = {}
        self._plain: dict[tuple[str, ...], list[Keyword]] = {}
        self._loose: dict[tuple[str, ...], list[Keyword]] = {}
        self._close: dict[tuple[str, ...], list[Keyword]] = {}
        for kw in self.keywords:
            self._chars.setdefault(kw.text, []).append(kw)
            if kw.length >= 2:  # one syllable alone collides with far too many characters
                self._tones.setdefault(kw.tones, []).append(kw)
            if kw.length >= 3:  # two syllables without their tones collide across word
                self._plain.setdefault(kw.plain, []).append(kw)  # boundaries: 推荐一 ~ 建议,
                self._loose.setdefault(kw.loose, []).append(kw)  # 单位拖 ~ 委托
            if kw.length == _NEAR_CLOSE_LENGTH and (
                close_owners is None or kw.owner in close_owners):
                for key in _close_keys(kw.tones):
                    self._close.setdefault(key, []).append(kw)
        self._heads: dict[str, list[tuple[Keyword, str]]] = {}
        for kw in self.keywords:
            for cut in range(2, kw.length):
                self._heads.setdefault(kw.text[:cut], []).append((kw, kw.text[cut:]))
        self._head_lengths = sorted({len(h) for h in self._heads})
        self._lengths = sorted({kw.length for kw in self.keywords})
        self._near = [kw for kw in self.keywords if kw.length >= _NEAR_MIN_LENGTH]
        self._near_sounds = [" ".join(kw.loose) for kw in self._near]

    def hits(self, utt: Utterance, near: bool = True, fuzzy: bool = True) -> list[Hit]:
        """Every keyword found in the utterance, each once, by its strongest kind of hit.
        `near`: near misses too; `fuzzy`: of those, the fuzzy ones of four syllables or more
        (a rapidfuzz pass over every such keyword: the costly part)."""
        best: dict[Keyword, Hit] = {}
        n = len(utt)
        for length in self._lengths:
            for start in range(n - length + 1):
                self._probe(utt, start, length, best)
        if near:
            for start in range(n - _NEAR_CLOSE_LENGTH + 1):
                self._probe_close(utt, start, best)
        if near and fuzzy:
            for hit in self.near_hits(utt, best):
                best[hit.keyword] = hit
        if near:
            for hit in self._gapped(utt.text, best):
                best[hit.keyword] = hit
        return [hit for hit in best.values()
                if not (_across_words(hit, utt.text) or _a_not_a(hit, utt.text)
                        or _cannot_open(hit, utt.text) or _heads_other_word(hit, utt.text))]

    def _gapped(self, text: str, found: dict[Keyword, Hit]) -> list[Hit]:
        """Keywords said with words inside them (see _GAP_MAX), except those in `found`.
        No exact place (start -1), as a near miss."""
        hits: dict[Keyword, Hit] = {}
        for start in range(len(text)):
            for size in self._head_lengths:
                for kw, tail in self._heads.get(text[start:start + size], ()):
                    if kw in found or kw in hits:
                        continue
                    after = start + size
                    for gap in range(1, _GAP_MAX + (kw.length > 3)):
                        inside = text[after:after + gap]
                        if len(inside) < gap or _GAP_NEGATION & set(inside):
                            break
                        if text.startswith(tail, after + gap):
                            hits[kw] = Hit(kw, -1, kw.weight * SOUND_FACTORS["gapped"], "gapped")
                            break
        return list(hits.values())

    def scores(self, hits: list[Hit]) -> np.ndarray:
        """Per owner (0..1): the strongest outermost hit, the others added by a damped
        noisy-OR."""
        miss = np.ones(self.owners)
        seen: set[int] = set()
        for hit in sorted(outermost(hits), key=lambda h: -h.strength):
            owner = hit.keyword.owner
            share = _EXTRA_HIT_SHARE if owner in seen else 1.0
            miss[owner] *= 1.0 - share * hit.strength
            seen.add(owner)
        return 1.0 - miss

    def _probe(self, utt: Utterance, start: int, length: int, best: dict[Keyword, Hit]) -> None:
        end = start + length
        found = self._chars.get(utt.text[start:end])
        if found:
            _offer(best, found, start, "chars")
        if length < 2:
            return
        tables = ((self._tones, utt.tones, "tone"), (self._plain, utt.plain, "pinyin"),
                  (self._loose, utt.loose, "loose"))
        for table, sounds, kind in tables:
            found = table.get(sounds[start:end])
            if found:
                _offer(best, found, start, kind)  # type: ignore[arg-type]

    def _probe_close(self, utt: Utterance, start: int, best: dict[Keyword, Hit]) -> None:
        """Three-syllable keywords heard with one close syllable off (是保卡 ~ 社保卡)."""
        window = utt.tones[start : start + _NEAR_CLOSE_LENGTH]
        for key in _close_keys(window):
            for kw in self._close.get(key, ()):
                if kw not in best:  # any exact or sound hit is stronger than a near miss
                    best[kw] = Hit(kw, start, kw.weight * SOUND_FACTORS["near"], "near")

    def near_hits(self, utt: Utterance, found: dict[Keyword, Hit] | None = None) -> list[Hit]:
        """Long keywords heard with one syllable off (户口迁移 ~ 护考迁移), except those in
        `found` (already heard better)."""
        found = found or {}
        if not self._near or len(utt) < 3:
            return []
        sounds = " ".join(utt.loose)
        ratios = process.cdist([sounds], self._near_sounds, scorer=fuzz.partial_ratio,
                               workers=1, score_cutoff=_NEAR_RATIO)[0]
        hits = []
        for i in np.flatnonzero(ratios):
            kw = self._near[i]
            # partial_ratio aligns the shorter string inside the longer: the keyword must be
            # what is found inside the utterance, not the utterance inside the keyword.
            if kw in found or len(self._near_sounds[i]) > len(sounds):
                continue
            strength = kw.weight * SOUND_FACTORS["near"] * float(ratios[i]) / 100.0
            hits.append(Hit(kw, -1, strength, "near"))
        return hits


def _a_not_a(hit: Hit, text: str) -> bool:
    """A keyword that opens with 不 inside an A-not-A question (不能来 in 能不能来, 不是 in
    是不是): the caller asks, and denies nothing."""
    word = hit.keyword.text
    return (hit.start > 0 and len(word) >= 2 and word[0] == "不"
            and text[hit.start - 1] == word[1])


# Verbs that take 不开 as a potential complement: 打不开 is "cannot be opened", 走不开 "cannot
# get away" — neither says a shop no longer opens (the keyword 不开了).
_OPEN_VERBS = frozenset("打走离分想推拉解睁张揭掰撬拧忙抽躲避点划展转")


def _cannot_open(hit: Hit, text: str) -> bool:
    """A keyword opening with 不开 inside a potential complement (网站打不开了, 我走不开)."""
    return (hit.start > 0 and hit.keyword.text.startswith("不开")
            and text[hit.start - 1] in _OPEN_VERBS)


# Words that open with a keyword and name another thing: 面包车 is a van, not bread (a van
# parked for a week without plates was heard as a food-safety report).
_OTHER_WORDS = ("面包车",)


def _heads_other_word(hit: Hit, text: str) -> bool:
    """A keyword found as the head of one of `_OTHER_WORDS`."""
    return hit.start >= 0 and any(
        word.startswith(hit.keyword.text) and text.startswith(word, hit.start)
        for word in _OTHER_WORDS)


def _across_words(hit: Hit, text: str) -> bool:
    """A two-character keyword heard across two words (年报 in 今年 | 报销: dialog.word_edges)."""
    return hit.start >= 0 and hit.keyword.length == 2 and straddles(text, hit.start, hit.end)


def _keyword(owner: int, text: str) -> Keyword:
    weight = KEYWORD_WEIGHTS[min(len(text), len(KEYWORD_WEIGHTS) - 1)]
    utt = analyse(text)
    return Keyword(owner, text, weight, utt.tones, utt.plain, utt.loose)


def _close_keys(tones: tuple[str, ...]) -> list[tuple[str, ...]]:
    """One probe key per syllable position: that syllable reduced to its onset (initial and
    tone: she4 → s4), the others kept tone-exact. Two syllables are "close" when they share
    the onset — the vowel slipped, the consonant and the tone were heard right."""
    keys = []
    for i, syllable in enumerate(tones):
        head = onset(syllable)
        if head:  # without a consonant (a digit, 爱 ai4) nothing is close enough
            keys.append((*tones[:i], f"~{head}", *tones[i + 1 :]))
    return keys


def _offer(best: dict[Keyword, Hit], found: list[Keyword], start: int, kind: HitKind) -> None:
    for kw in found:
        strength = kw.weight * SOUND_FACTORS[kind]
        old = best.get(kw)
        if old is None or strength > old.strength:
            best[kw] = Hit(kw, start, strength, kind)


def outermost(hits: list[Hit]) -> list[Hit]:
    """Drop hits nested inside a longer hit of the same owner (失业 inside 失业保险金)."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: -h.keyword.length):
        nested = hit.start >= 0 and any(
            k.keyword.owner == hit.keyword.owner and k.start >= 0
            and k.start <= hit.start and hit.end <= k.end
            for k in kept
        )
        if not nested:
            kept.append(hit)
    return kept
