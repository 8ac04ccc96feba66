"""Routing by responsibility: which department handles a problem that no FAQ answers.

Each department is described in the knowledge base by a description and routing keywords; its
FAQ intents add their names, examples and keywords. The department score combines keyword hits
(characters or sound, as for intents) with the BM25 coverage of the utterance by everything the
department handles.

Where an operator has trained a model on the city's own routed messages (`ivr kb
train-router`), it may choose among the departments: the knowledge base still decides whether
an utterance describes a department's problem at all (so chatter stays rejected), and the
messages say how this city splits contested duties (road safety: police or construction; bus
stops: police or transport). Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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
    learned: float | None = None  # the learned model's probability of `department`, if used


class DepartmentPrior(Protocol):
    """Per-department probabilities learned from routed messages, and how far to trust them."""

    @property
    def blend(self) -> float:
        """The knowledge base's share (0..1) when blending with `probabilities`."""

    def probabilities(self, text: str) -> dict[str, float]:
        """Department id → probability that a message saying `text` went there."""


def blend_scores(ids: Sequence[str], evidence: np.ndarray, learned: dict[str, float],
                 blend: float) -> np.ndarray:
    """`blend` × knowledge-base share + (1 − `blend`) × learned probability, per department.

    Departments the model never saw keep their knowledge-base share alone (a department added
    after training is not silenced by an old model); departments with no evidence and no
    learned probability score zero."""
    mass = float(evidence.sum())
    shares = evidence / mass if mass > 0 else np.zeros(len(ids))
    probs = np.asarray([learned.get(d, np.nan) for d in ids])
    seen = ~np.isnan(probs)
    out = shares.copy()
    out[seen] = blend * shares[seen] + (1.0 - blend) * probs[seen]
    return out


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

    def signals(self, utt: Utterance, query_terms: list[str]) -> tuple[np.ndarray, ...]:
        """Per department (in `ids` order): combined score, keyword and semantic signals."""
        keyword = self._keywords.scores(self._keywords.hits(utt, near=False))
        semantic = self._bm25.coverage(query_terms)
        lifted = np.clip((semantic - _SEMANTIC_FLOOR) / (1.0 - _SEMANTIC_FLOOR), 0.0, 1.0)
        scores = 1.0 - (1.0 - keyword) * (1.0 - _SEMANTIC_SHARE * lifted)
        return scores, keyword, semantic

    def route(self, utt: Utterance, query_terms: list[str],
              prior: DepartmentPrior | None = None, text: str = "") -> Routing:
        """The best department for an utterance (department None for an empty router).

        `score` and `margin` are the knowledge base's: how clearly the utterance is some
        department's problem. With a `prior`, the department is the best of the blend of
        both, the prior reading `text` (the caller's words; default: the normalised ones)."""
        if not self.ids:
            return Routing(None, 0.0, 0.0, 0.0, 0.0)
        scores, keyword, semantic = self.signals(utt, query_terms)
        order = np.argsort(-scores, kind="stable")
        best = int(order[0])
        runner_up = float(scores[order[1]]) if len(order) > 1 else 0.0
        chosen, learned = best, None
        if prior is not None and scores[best] > 0:
            probs = prior.probabilities(text or utt.text)
            chosen = int(np.argmax(blend_scores(self.ids, scores, probs, prior.blend)))
            learned = probs.get(self.ids[chosen], 0.0)
        return Routing(self.ids[chosen], float(scores[best]), float(keyword[chosen]),
                       float(semantic[chosen]), float(scores[best]) - runner_up, learned)
