"""Where an utterance's words begin and end (jieba's dictionary), for keywords that must not
straddle two words.

A two-character keyword found by its characters can be the end of one word and the start of
the next: 年报 (the business annual-report FAQ's word) in 今年报销 (今年 | 报销), so a dialysis
patient whose claims fell this year was told how to file a company report. A keyword that
begins inside one word and ends inside another was not said; one that begins or ends where a
word does (社保 in 社保卡, 假烟 in 卖假 | 烟) may have been. Only two-character keywords are
checked: longer ones rarely straddle by chance, and a segmenter's guess is least reliable on
the garbled words of a misheard transcript. jieba's dictionary only (no HMM guesses), loaded
once per process. Pure apart from that.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import jieba

__all__ = ["straddles", "word_edges"]

jieba.setLogLevel(logging.WARNING)


@lru_cache(maxsize=4096)
def word_edges(text: str) -> frozenset[int]:
    """Character offsets where a word of `text` begins or ends (0 and len(text) included)."""
    edges = {0}
    at = 0
    for word in jieba.cut(text, HMM=False):
        at += len(word)
        edges.add(at)
    return frozenset(edges)


def straddles(text: str, start: int, end: int) -> bool:
    """Does [start, end) begin inside one word of `text` and end inside another?"""
    edges = word_edges(text)
    return start not in edges and end not in edges
