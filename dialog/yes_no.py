"""The rules that keep yes and no from answering what is really a question.

Yes/no are intents like the others (keywords, examples), but a 是 or 可以 or 没有 turns up
in almost every question: 我可以贷吗 is not a yes, 态度不好 not a yes, 没有人回复 not a no,
不是 never a yes. `YesNoRules` drops the yes/no keyword hits that belong to something else
and scales the yes/no scores by how much of the utterance their keywords cover, so a
confirmation has to be the whole utterance. Split out of `dialog.matcher`, which calls it
for every utterance. Pure.
"""

from __future__ import annotations

import numpy as np

from dialog.keywords import Hit

YES, NO = "yes", "no"
NEGATORS = frozenset("不没别未")
# Yes/no scores are scaled by how much of the utterance their keywords cover, from this
# factor (none covered) up to 1 (all covered).
YES_NO_BASE = 0.4
# An utterance of at least QUESTION_LENGTH characters, less than QUESTION_COVERAGE of them
# yes/no words, with an FAQ scoring at least the matcher's CLARIFY_SECOND is a question:
# yes/no stay below QUESTION_YES_NO_SHARE of that FAQ's score.
QUESTION_LENGTH = 6
QUESTION_COVERAGE = 0.5
QUESTION_YES_NO_SHARE = 0.9


class YesNoRules:
    """The yes/no rules over a knowledge base's intents (`index`: intent id → position,
    `is_faq`: which positions are FAQs; `plausible`: the lowest FAQ score that makes a long
    utterance a question)."""

    def __init__(self, index: dict[str, int], is_faq: np.ndarray, plausible: float) -> None:
        self.yes, self.no = index.get(YES), index.get(NO)
        self._answers = {self.yes, self.no} - {None}
        self._is_faq = is_faq
        self._plausible = plausible

    def drop_negated(self, hits: list[Hit], norm: str) -> list[Hit]:
        """不是/不对/不好/不可以: a yes word right after a negator is a no, not a yes."""
        return [
            h for h in hits
            if not (h.keyword.owner == self.yes and h.start > 0 and norm[h.start - 1] in NEGATORS)
        ]

    def drop_inner(self, hits: list[Hit]) -> list[Hit]:
        """A yes/no word inside a longer FAQ keyword heard at that place (by characters or
        sound) belongs to that word: the 好 of 态度不好 is not a yes, the 没有 of 没有人回复
        not a no, the 是 of 是保卡 (社保卡 misheard) not a yes."""
        words = [h for h in hits if h.start >= 0 and self._is_faq[h.keyword.owner]]
        return [
            h for h in hits
            if not (h.keyword.owner in self._answers and h.start >= 0 and any(
                w.keyword.length > h.keyword.length and w.start <= h.start and h.end <= w.end
                for w in words))
        ]

    def coverage(self, hits: list[Hit], norm: str) -> float:
        """Share of characters inside yes/no keyword hits: 好的可以 is all answer, while in
        我可以贷吗 the 可以 is part of a question."""
        covered: set[int] = set()
        for hit in hits:
            if hit.keyword.owner in self._answers and hit.start >= 0:
                covered.update(range(hit.start, hit.end))
                covered.update(later_occurrences(norm, hit.keyword.text, hit.end))
        return len(covered) / max(len(norm), 1)

    def adjust(
        self, scores: np.ndarray, keyword: np.ndarray, coverage: float, length: int
    ) -> np.ndarray:
        """The yes/no scores settled by their keywords and scaled by `coverage`."""
        yes, no = self.yes, self.no
        if yes is not None and no is not None:
            # Keywords decide between the two: an explicit negation (不是, 不对) is never a yes,
            # however much it resembles a yes example, and 需要 is not a no because 不需要 is.
            if keyword[no] > 0 and keyword[no] >= keyword[yes]:
                scores[yes] = 0.0
            elif keyword[yes] > keyword[no]:
                scores[no] = 0.0
        # A confirmation is the whole utterance; a 是 or 可以 inside a question is not one.
        factor = YES_NO_BASE + (1.0 - YES_NO_BASE) * coverage
        # A long utterance that is mostly not yes/no words and resembles an FAQ is that
        # question: in 没问题，补卡怎么办 the caller asks about the card.
        faq = float(scores[self._is_faq].max()) if self._is_faq.any() else 0.0
        question = (length >= QUESTION_LENGTH and coverage < QUESTION_COVERAGE
                    and faq >= self._plausible)
        for index in (yes, no):
            if index is not None:
                scores[index] *= factor
                if question:
                    scores[index] = min(scores[index], QUESTION_YES_NO_SHARE * faq)
        return scores


def later_occurrences(text: str, word: str, start: int) -> set[int]:
    """Character positions of every occurrence of `word` in `text` from `start` on (好的好的)."""
    positions: set[int] = set()
    found = text.find(word, start)
    while found >= 0:
        positions.update(range(found, found + len(word)))
        found = text.find(word, found + len(word))
    return positions
