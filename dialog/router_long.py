"""Routing of long written messages (letters, web and SMS complaints) to the responsible department.

A letter runs to several sentences and often touches more than one topic, so the short-utterance
router (one score over the first 80 characters) is the wrong tool. Here every sentence is scored
on its own against every department — keyword hits by characters (a written text has no
recogniser errors, so no pinyin), each weighted by its length and shared among the departments
that list it, plus the BM25 coverage of the sentence by everything the department handles — and
the sentence scores are summed with weights: the title and the first sentences say what the
letter is about, and sentences that state the request (请求, 希望, 投诉 …) say what should be
done. The best department is always named (a described problem should reach someone); when
there is no evidence at all, or the margin is thin, `confident` is False and the caller may
prefer the general 12345 queue. Pure; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from dialog.intents import KnowledgeBase
from dialog.keywords import KEYWORD_WEIGHTS
from dialog.phonetic import analyse
from dialog.semantic import Bm25Index, terms
from dialog.synonyms import Canonicalizer

TITLE_WEIGHT = 2.0
# Sentence i (0-based) of the body weighs 1 / (1 + POSITION_DECAY * i).
POSITION_DECAY = 0.15
REQUEST_WEIGHT = 1.5
REQUEST_MARKERS = ("请求", "恳请", "希望", "建议", "要求", "投诉", "举报", "反映", "咨询", "请问",
                   "诉求", "呼吁", "盼")
# BM25 coverage below this is what unrelated sentences reach by chance.
SEMANTIC_FLOOR = 0.2
SEMANTIC_SHARE = 0.5
# Share of the total evidence the best department must lead the second by to be `confident`.
CONFIDENT_MARGIN = 0.1
SENTENCE_CAP = 2.0
MAX_SENTENCE_CHARS = 120
_SPLIT = re.compile(r"[。！？!?；;\n\r]+|_x000D_")


@dataclass(frozen=True)
class LongRouting:
    """The department for one message, with the evidence that chose it."""

    department: str
    confident: bool
    share: float  # the best department's share of all evidence (0..1)
    margin: float  # its lead over the second, in shares
    evidence: dict[str, float] = field(default_factory=dict)


def sentences(text: str) -> list[str]:
    """The sentences of a message; very long ones are cut at commas into pieces."""
    out: list[str] = []
    for part in _SPLIT.split(text):
        part = part.strip()
        while len(part) > MAX_SENTENCE_CHARS:
            cut = max(part.rfind(comma, 0, MAX_SENTENCE_CHARS) for comma in "，,")
            cut = cut if cut > 0 else MAX_SENTENCE_CHARS
            out.append(part[:cut])
            part = part[cut + 1 :].strip()
        if part:
            out.append(part)
    return out


class LongTextRouter:
    """Scores long messages against every department of a knowledge base."""

    def __init__(self, kb: KnowledgeBase, canon: Canonicalizer | None = None) -> None:
        self.canon = canon or Canonicalizer(kb.synonyms)
        self.ids = list(kb.departments)
        self.default = kb.default_department
        index = {dept_id: i for i, dept_id in enumerate(self.ids)}
        owners: dict[str, set[int]] = {}
        documents: list[list[str]] = [[] for _ in self.ids]
        for i, dept in enumerate(kb.departments.values()):
            for word in dept.keywords:
                owners.setdefault(self.canon(word), set()).add(i)
            for phrase in (dept.name, dept.description, *dept.keywords):
                documents[i] += terms(analyse(self.canon(phrase)))
        for intent in kb.intents.values():
            if intent.kind != "faq" or intent.department not in index:
                continue
            owner = index[intent.department]
            for word in intent.keywords:
                owners.setdefault(self.canon(word), set()).add(owner)
            for phrase in (intent.name, *intent.examples, *intent.keywords):
                documents[owner] += terms(analyse(self.canon(phrase)))
        self._keywords = self._keyword_table(owners)
        self._lengths = sorted({len(k) for k in self._keywords}, reverse=True)
        self._bm25 = Bm25Index(documents)
        self._default_index = index.get(self.default, -1)

    def _keyword_table(self, owners: dict[str, set[int]]) -> dict[str, np.ndarray]:
        # A word several departments list (收费, 小区) says less about which one: its weight is
        # shared among them.
        table: dict[str, np.ndarray] = {}
        for word, depts in owners.items():
            if len(word) < 1:
                continue
            vec = np.zeros(len(self.ids))
            weight = KEYWORD_WEIGHTS[min(len(word), len(KEYWORD_WEIGHTS) - 1)]
            vec[sorted(depts)] = weight / len(depts)
            table[word] = vec
        return table

    def sentence_scores(self, sentence: str) -> np.ndarray:
        """Evidence for each department in one sentence (keywords plus lifted coverage)."""
        norm = self.canon(sentence)
        if not norm:
            return np.zeros(len(self.ids))
        scores = self._keyword_scores(norm) + SEMANTIC_SHARE * self._coverage(norm)
        # One sentence that lists many words of a topic is still one sentence: its evidence is
        # capped, so a letter's other sentences keep their say.
        mass = float(scores.sum())
        return scores * (SENTENCE_CAP / mass) if mass > SENTENCE_CAP else scores

    def _keyword_scores(self, norm: str) -> np.ndarray:
        scores = np.zeros(len(self.ids))
        taken = np.zeros(len(norm), dtype=bool)
        seen: set[str] = set()
        # Longest first; a word inside an already-found longer word (公积金 in 公积金贷款) is
        # not counted again, and each word counts once per sentence.
        for length in self._lengths:
            for start in range(len(norm) - length + 1):
                word = norm[start : start + length]
                vec = self._keywords.get(word)
                if vec is None or word in seen or taken[start : start + length].all():
                    continue
                seen.add(word)
                taken[start : start + length] = True
                scores += vec
        return scores

    def _coverage(self, norm: str) -> np.ndarray:
        semantic = self._bm25.coverage(terms(analyse(norm)))
        lifted: np.ndarray = np.clip((semantic - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR), 0, 1)
        return lifted

    def evidence(self, text: str, title: str = "") -> np.ndarray:
        """Evidence for every department (in `ids` order) over the whole message; the general
        queue's is zero."""
        total = np.zeros(len(self.ids))
        if title.strip():
            total += TITLE_WEIGHT * self.sentence_scores(title)
        for i, sentence in enumerate(sentences(text)):
            weight = 1.0 / (1.0 + POSITION_DECAY * i)
            if any(marker in sentence for marker in REQUEST_MARKERS):
                weight *= REQUEST_WEIGHT
            total += weight * self.sentence_scores(sentence)
        # The general queue is where an unsure router sends a letter anyway: it is the fallback,
        # not a competitor (its FAQ words — 建议, 办事 — appear in every letter).
        if self._default_index >= 0:
            total[self._default_index] = 0.0
        return total

    def route(self, text: str, title: str = "") -> LongRouting:
        """The department for a message (`title` optional; it weighs more than the body)."""
        if not self.ids:
            return LongRouting(self.default, False, 0.0, 0.0)
        total = self.evidence(text, title)
        mass = float(total.sum())
        if mass <= 0.0:
            return LongRouting(self.default, False, 0.0, 0.0)
        shares = total / mass
        order = np.argsort(-shares, kind="stable")
        best = int(order[0])
        margin = float(shares[best] - (shares[order[1]] if len(order) > 1 else 0.0))
        evidence = {self.ids[i]: round(float(total[i]), 4) for i in order[:3] if total[i] > 0}
        return LongRouting(self.ids[best], margin >= CONFIDENT_MARGIN, float(shares[best]),
                           margin, evidence)
