"""Routing by responsibility: which department handles a problem that no FAQ answers.

Each department is described in the knowledge base by a description and routing keywords; its
FAQ intents add their names, examples and keywords. The department score combines keyword hits
(characters or sound, as for intents) with the BM25 coverage of the utterance by everything the
department handles. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialog.intents import KnowledgeBase
from dialog.keywords import KeywordIndex
from dialog.phonetic import Utterance, analyse
from dialog.semantic import Bm25Index, terms
from dialog.synonyms import Canonicalizer

# BM25 coverage below this is what unrelated sentences reach by chance.
_SEMANTIC_FLOOR = 0.25
_SEMANTIC_SHARE = 0.8


@dataclass(frozen=True)
class Routing:
    """Department scores for one utterance, best first."""

    department: str | None
    score: float
    keyword: float
    semantic: float
    margin: float


class DepartmentRouter:
    """Scores an utterance against every department of a knowledge base."""

    def __init__(self, kb: KnowledgeBase, canon: Canonicalizer) -> None:
        self.ids = list(kb.departments)
        index = {dept_id: i for i, dept_id in enumerate(self.ids)}
        entries: list[tuple[int, str]] = []
        documents: list[list[str]] = [[] for _ in self.ids]
        for i, dept in enumerate(kb.departments.values()):
            entries += [(i, canon(k)) for k in dept.keywords]
            for phrase in (dept.name, dept.description, *dept.keywords):
                documents[i] += terms(analyse(canon(phrase)))
        for intent in kb.intents.values():
            if intent.kind != "faq" or intent.department not in index:
                continue
            owner = index[intent.department]
            for phrase in (intent.name, *intent.examples, *intent.keywords):
                documents[owner] += terms(analyse(canon(phrase)))
        self._keywords = KeywordIndex(entries, len(self.ids))
        self._bm25 = Bm25Index(documents)

    def route(self, utt: Utterance, query_terms: list[str]) -> Routing:
        """The best department for an utterance (department None for an empty router)."""
        if not self.ids:
            return Routing(None, 0.0, 0.0, 0.0, 0.0)
        keyword = self._keywords.scores(self._keywords.hits(utt, near=False))
        semantic = self._bm25.coverage(query_terms)
        lifted = np.clip((semantic - _SEMANTIC_FLOOR) / (1.0 - _SEMANTIC_FLOOR), 0.0, 1.0)
        scores = 1.0 - (1.0 - keyword) * (1.0 - _SEMANTIC_SHARE * lifted)
        order = np.argsort(-scores, kind="stable")
        best = int(order[0])
        runner_up = float(scores[order[1]]) if len(order) > 1 else 0.0
        return Routing(self.ids[best], float(scores[best]), float(keyword[best]),
                       float(semantic[best]), float(scores[best]) - runner_up)
