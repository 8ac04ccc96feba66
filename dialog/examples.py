"""The example signal: how closely an utterance resembles an intent's example phrasings.

Similarity (rapidfuzz) to every example, on characters and on loosened pinyin, then the best
per intent. Question frames (需要什么材料, 怎么办理, 去哪里 …) are cut from both sides
first: they are shared by questions about anything, and left in they made 办护照需要什么材料
look like 新生儿参保需要什么材料. Pinyin is compared syllable by syllable: each syllable is
coded as one Private Use Area character, so `fuzz.ratio` counts whole syllables exactly as it
counts characters (comparing pinyin letters would let unrelated sentences look alike). Pure.
"""

from __future__ import annotations

import re

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import LCSseq

from dialog.phonetic import Utterance

_SOUND_BASE = 0xE000
_UNKNOWN_SOUND = "\uf8ff"  # syllables that occur in no example: matches nothing

_FRAMES = (
    "需要准备哪些材料", "需要准备什么材料", "需要哪些材料", "需要什么材料", "要准备什么",
    "要带哪些", "需要带什么", "要带什么", "要什么材料", "什么材料", "哪些材料", "需要什么条件",
    "要什么条件", "什么条件", "要办什么手续", "需要什么手续", "什么手续", "需要什么", "怎么办理",
    "如何办理", "怎么申请", "如何申请", "怎么处理", "怎么办", "怎么弄", "怎么样", "去哪里办",
    "到哪里办", "去哪里", "在哪里", "去哪儿", "哪个部门", "找哪个部门", "找谁", "能不能",
    "可不可以", "可以吗", "是不是", "有没有", "多长时间", "多久", "怎么", "如何", "什么",
    "哪里", "请问", "我想", "我要", "一下",
)
_FRAME_PATTERN = re.compile("|".join(map(re.escape, sorted(_FRAMES, key=len, reverse=True))))


def strip_frames(utt: Utterance) -> Utterance:
    """The utterance without question frames (pinyin cut at the same places); unchanged when
    fewer than two characters would be left (可以, 怎么办 alone are the whole message)."""
    keep = [True] * len(utt.text)
    for found in _FRAME_PATTERN.finditer(utt.text):
        keep[found.start() : found.end()] = [False] * (found.end() - found.start())
    if sum(keep) < 2:
        return utt
    pick = [i for i, k in enumerate(keep) if k]
    return Utterance("".join(utt.text[i] for i in pick), tuple(utt.tones[i] for i in pick),
                     tuple(utt.plain[i] for i in pick), tuple(utt.loose[i] for i in pick))


class ExampleIndex:
    """Examples of many owners, with per-owner best similarity on characters and sounds."""

    def __init__(self, examples: list[tuple[int, Utterance]], owners: int) -> None:
        self.owners = owners
        self._codes: dict[str, str] = {}
        order = sorted(range(len(examples)), key=lambda i: examples[i][0])
        owner_ids = np.asarray([examples[i][0] for i in order], dtype=np.int64)
        content = [strip_frames(examples[i][1]) for i in order]
        self.chars = [utt.text for utt in content]
        self.sounds = [self._sound_string(utt.loose, learn=True) for utt in content]
        self._lengths = np.asarray([len(c) for c in self.chars], dtype=np.float64)
        self.owner_of = owner_ids
        # Start offset of each owner's run of examples, for a vectorised max per owner.
        self._has = np.bincount(owner_ids, minlength=owners)[:owners] > 0
        self._starts = np.searchsorted(owner_ids, np.arange(owners))[self._has]

    def scores(self, utt: Utterance) -> tuple[np.ndarray, np.ndarray]:
        """Best similarity (0..1) to any example of each owner, on characters and on sounds."""
        utt = strip_frames(utt)
        chars = similarity(utt.text, self.chars, self._lengths)
        sounds = similarity(self._sound_string(utt.loose), self.sounds, self._lengths)
        return self._max_per_owner(chars), self._max_per_owner(sounds)

    def _max_per_owner(self, values: np.ndarray) -> np.ndarray:
        best = np.zeros(self.owners)
        if values.size:
            best[self._has] = np.maximum.reduceat(values, self._starts)
        return best

    def _sound_string(self, syllables: tuple[str, ...], learn: bool = False) -> str:
        if learn:
            for syllable in syllables:
                self._codes.setdefault(syllable, chr(_SOUND_BASE + len(self._codes)))
        return "".join(self._codes.get(s, _UNKNOWN_SOUND) for s in syllables)


def similarity(query: str, choices: list[str], lengths: np.ndarray | None = None) -> np.ndarray:
    """Similarity (0..1) of `query` to each choice: the full-string ratio, or the share of the
    shorter string found in order in the longer one (longest common subsequence) discounted by
    how much of the longer string that covers, so a short query inside a long example (是 in
    是不是要带身份证) is not a perfect match. (partial_ratio gave the same accuracy at twenty
    times the cost; token_set_ratio, order-blind, made unrelated questions look alike.)"""
    if not choices or not query:
        return np.zeros(len(choices))
    if lengths is None:
        lengths = np.fromiter((len(c) for c in choices), dtype=np.float64, count=len(choices))
    common = process.cdist([query], choices, scorer=LCSseq.similarity, workers=1)[0]
    # fuzz.ratio is 2·LCS / (len a + len b): derived from the one LCS pass, not a second one.
    full = 2.0 * common / (lengths + len(query))
    shorter = np.maximum(np.minimum(lengths, len(query)), 1.0)
    coverage = shorter / np.maximum(lengths, len(query))
    return np.asarray(np.maximum(full, common / shorter * np.sqrt(coverage)), dtype=np.float64)
