"""A department classifier learned from the knowledge base alone, for routing short problems.

The department router (dialog.routing) scores keyword hits and BM25 coverage. A keyword that
several departments list (小区: housing and public security; 职称: labour and education;
学校门口…) routes nothing on its own, because routing by a keyword needs the other departments
far behind — so "咨询A7县城区中青年教师的职称问题" was declined although every other word in it is
a teacher's. This classifier reads the whole utterance: a multinomial logistic regression
(dialog.classifier, the same features and trainer as the intent classifier) with one class per
department, trained on what the knowledge base says each department does — its name,
description clauses and routing keywords, and the names, examples and keywords of its FAQ
intents — plus the chatter class (dialog.background), so an utterance about nothing gives the
departments little. No evaluation data and no routed messages: it generalises only as far as
the knowledge base's own words do, and it never routes alone (`DepartmentRouter.settle`).

A department class inside the intent classifier was tried (issue 10 item 3) and took
probability from the FAQ intents; this one is a separate model and only chooses among
departments. Pure; no I/O.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from dialog.background import background_sample
from dialog.classifier import IntentClassifier, train
from dialog.intents import KnowledgeBase
from dialog.phonetic import Utterance, analyse
from dialog.synonyms import Canonicalizer

__all__ = ["DepartmentClassifier", "department_phrases"]

_CLAUSES = re.compile(r"[，。、；,;]")


def department_phrases(kb: KnowledgeBase) -> list[tuple[int, str]]:
    """(department index in `kb.departments` order, phrase) for every training phrase."""
    index = {dept_id: i for i, dept_id in enumerate(kb.departments)}
    phrases: list[tuple[int, str]] = []
    for i, dept in enumerate(kb.departments.values()):
        for phrase in (dept.name, *dept.keywords, *dept.examples,
                       *_CLAUSES.split(dept.description)):
            phrases.append((i, phrase))
    for intent in kb.intents.values():
        if intent.kind == "faq" and intent.department in index:
            owner = index[intent.department]
            phrases += [(owner, p) for p in (intent.name, *intent.examples, *intent.keywords)]
    return [(i, p.strip()) for i, p in phrases if p.strip()]


class DepartmentClassifier:
    """P(department | utterance) over the knowledge base's departments, and P(chatter)."""

    def __init__(self, kb: KnowledgeBase, canon: Canonicalizer,
                 store: Path | None = None) -> None:
        self.departments = len(kb.departments)
        examples = [(i, analyse(canon(p))) for i, p in department_phrases(kb)]
        examples += [(self.departments, analyse(canon(t)))
                     for t in background_sample(len(examples))]
        self._model: IntentClassifier = train(
            [(i, u) for i, u in examples if u.text], self.departments + 1, store=store)

    def probabilities(self, utt: Utterance) -> tuple[np.ndarray, float]:
        """Per department (in `kb.departments` order) its probability, and that of chatter."""
        probs = self._model.probabilities(utt)
        return probs[:-1], float(probs[-1])
