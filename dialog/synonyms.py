"""Synonym folding: every way of saying a word becomes its canonical form before matching.

The knowledge base lists `synonyms` (canonical word → variants, e.g. 医保 → 医疗保险, 医保卡).
Both the examples and the caller's utterance are folded the same way, so a caller who says
社会保障卡 matches examples written with 社保卡. Longest variant first, one pass. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dialog.bus_lines import name_bus_lines
from dialog.normalize import normalize


class Canonicalizer:
    """Callable that folds synonyms in an already-normalised text."""

    def __init__(self, synonyms: Mapping[str, tuple[str, ...]]) -> None:
        table: dict[str, str] = {}
        for canonical, variants in synonyms.items():
            target = normalize(canonical) or canonical
            # The canonical word maps to itself: the alternation then matches it whole
            # before a shorter variant inside it (执照 inside 营业执照) could.
            table[target] = target
            for variant in variants:
                folded = normalize(variant) or variant
                if folded != target:
                    table[folded] = target
        self._table = table
        ordered = sorted(table, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """Normalise `text` (idempotent on normalised input), name bus lines as buses
        (dialog.bus_lines) and fold its synonyms."""
        norm = name_bus_lines(normalize(text))
        if self._pattern is None:
            return norm
        return self._pattern.sub(lambda m: self._table[m.group()], norm)
