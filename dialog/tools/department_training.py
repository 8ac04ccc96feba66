"""Training the learned department model: `ivr kb train-router` runs this, a call never does.

The operator's routed messages (what a citizen wrote and the department that handled it) are
read from a TSV (`read_examples`), the Complement Naive Bayes of `dialog.department_model` is
fitted on them (`train_model`), and the two blend weights the server uses are chosen by k-fold
cross-validation on the same examples — one for whole letters (`choose_blend`), one for what a
caller would say, the title or the start of the text (`choose_phone_blend`) — so nothing is
tuned on the messages the model is later scored on. The runtime reads only the model file this
produces. Reads the training file; otherwise pure.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialog.department_model import (
    DepartmentModel,
    DepartmentModelError,
    best_department,
    features,
    vector,
)
from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher
from dialog.phone_prior import PhonePrior
from dialog.router_long import LongTextRouter
from dialog.types import MatchResult

MIN_COUNT = 2  # n-grams in fewer examples are noise (names, addresses)
ALPHA = 0.3  # smoothing of the complement counts
BLEND_GRID = tuple(round(0.1 * i, 1) for i in range(11))
CALLER_CHARS = 80  # a caller's problem statement is about one sentence
MAX_LISTED = 5
# The errors below say "tickets": `ivr kb train-router` prints them, and its output stays.


@dataclass(frozen=True)
class RoutedExample:
    """One routed message: what the citizen wrote and the department that handled it."""

    text: str
    department: str
    title: str = ""


def read_examples(path: Path, kb: KnowledgeBase, skip_unknown: bool = False,
                  ) -> tuple[list[RoutedExample], list[str]]:
    """The routed examples of a TSV and the problems skipped; raises ValueError for a file
    that cannot be used, naming the row."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from exc
    rows = [(n, line.split("\t")) for n, line in enumerate(lines, start=1)
            if line.strip() and not line.startswith("#")]
    if not rows:
        raise ValueError(f"{path}: no tickets")
    header = [c.strip() for c in rows[0][1]]
    if "text" not in header or not ({"department", "expected"} & set(header)):
        raise ValueError(f"{path}: the first row must name the columns: text, department "
                         f"(or expected), optional title; got {header}")
    text_col = header.index("text")
    dept_col = header.index("department" if "department" in header else "expected")
    title_col = header.index("title") if "title" in header else None
    examples: list[RoutedExample] = []
    unknown: list[str] = []
    for number, row in rows[1:]:
        if len(row) < len(header):
            raise ValueError(f"{path}: row {number} has {len(row)} column(s), "
                             f"the header {len(header)}")
        dept = row[dept_col].strip().removeprefix("dept:")
        if dept not in kb.departments:
            unknown.append(f"row {number}: department {dept!r}")
            continue
        title = row[title_col].strip() if title_col is not None else ""
        examples.append(RoutedExample(row[text_col].replace("\\n", "\n"), dept, title))
    if unknown and not skip_unknown:
        listed = "; ".join(unknown[:MAX_LISTED]) + (" …" if len(unknown) > MAX_LISTED else "")
        raise ValueError(f"{path}: {len(unknown)} ticket(s) name departments intents.yaml "
                         f"does not have ({listed}); known: {', '.join(kb.departments)}; "
                         f"use --skip-unknown to leave them out")
    return examples, unknown


def train_model(examples: Sequence[RoutedExample]) -> DepartmentModel:
    """Learn from routed examples; needs at least two departments."""
    departments = sorted({e.department for e in examples})
    if len(departments) < 2:
        raise DepartmentModelError(
            f"training needs tickets of at least two departments, got {departments}")
    docs = [features(e.text, e.title) for e in examples]
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    kept = sorted(g for g, c in df.items() if c >= MIN_COUNT)
    if not kept:
        raise DepartmentModelError("the tickets share no character n-grams to learn from")
    vocabulary = {g: i for i, g in enumerate(kept)}
    n = len(docs)
    idf = np.log((1.0 + n) / (1.0 + np.asarray([df[g] for g in kept], dtype=float))) + 1.0
    index = {d: i for i, d in enumerate(departments)}
    counts = np.zeros((len(departments), len(vocabulary)))
    for doc, example in zip(docs, examples, strict=True):
        cols, values = vector(doc, vocabulary, idf)
        counts[index[example.department], cols] += values
    complement = counts.sum(axis=0) - counts + ALPHA
    weights = -np.log(complement / complement.sum(axis=1, keepdims=True))
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.department}\t{example.title}\t{example.text}\n".encode())
    return DepartmentModel(departments, vocabulary, idf, weights, len(examples),
                           digest.hexdigest()[:16])


def folds(items: Sequence[RoutedExample], k: int,
          ) -> Iterable[tuple[list[RoutedExample], list[RoutedExample]]]:
    """k train/held-out splits by a hash of each example (stable across runs)."""
    buckets = [int(hashlib.sha256(f"{e.title}\t{e.text}".encode()).hexdigest()[:8], 16) % k
               for e in items]
    for fold in range(k):
        train = [e for e, b in zip(items, buckets, strict=True) if b != fold]
        held = [e for e, b in zip(items, buckets, strict=True) if b == fold]
        if train and held and len({e.department for e in train}) >= 2:
            yield train, held


@dataclass(frozen=True)
class BlendChoice:
    """The cross-validated accuracy of every blend weight and the one chosen."""

    blend: float
    accuracy: dict[float, float]
    examples: int  # the held-out examples the accuracy is measured on


def choose_blend(long_router: LongTextRouter, examples: Sequence[RoutedExample], k: int = 5,
                 ) -> BlendChoice:
    """The blend weight with the best k-fold accuracy on the training examples (ties: the
    higher weight, i.e. trust the knowledge base more)."""
    right = dict.fromkeys(BLEND_GRID, 0)
    n = 0
    for train, held in folds(examples, k):
        model = train_model(train)
        for example in held:
            n += 1
            evidence = long_router.evidence(example.text, example.title)
            learned = model.probabilities(example.text, example.title)
            for blend in BLEND_GRID:
                picked = best_department(long_router, evidence, learned, blend).department
                right[blend] += picked == example.department
    return _chosen(right, n)


def caller_text(example: RoutedExample) -> str:
    """What a caller with this example's problem would say first."""
    return example.title.strip() or example.text.strip()[:CALLER_CHARS]


def choose_phone_blend(matcher: Matcher, examples: Sequence[RoutedExample], k: int = 5,
                       ) -> BlendChoice:
    """The blend weight with the best k-fold routing accuracy on caller-like texts of the
    training examples (ties: the higher weight, i.e. trust the knowledge base more).

    Only examples whose text the matcher would route are counted: on the others the
    department is never used, so they cannot tell weights apart."""
    right = dict.fromkeys(BLEND_GRID, 0)
    n = 0
    for train, held in folds(examples, k):
        model = train_model(train)
        for example in held:
            text = caller_text(example)
            evidence = matcher.evidence(text)
            if evidence is None:
                continue
            decision = matcher.decide(text, evidence)
            if not _chooses_department(matcher, decision):
                continue  # answered, asked about, or declined: no department is chosen
            n += 1
            for blend in BLEND_GRID:
                routed = matcher.route(evidence, PhonePrior(model, blend), text)
                right[blend] += routed.department == example.department
    return _chosen(right, n)


def _chooses_department(matcher: Matcher, decision: MatchResult) -> bool:
    """A transfer whose department routing chooses: a routed problem, or a problem FAQ that
    only hands over (the city's routing overrules its department: dialog.second_looks)."""
    if decision.action != "transfer":
        return False
    intent = matcher.kb.intents.get(decision.intent) if decision.intent else None
    return decision.intent is None or (intent is not None and intent.kind == "faq")


def _chosen(right: dict[float, int], n: int) -> BlendChoice:
    """The best weight by accuracy, the higher one on a tie; `n` held-out examples scored."""
    if n == 0:
        raise DepartmentModelError(
            "too few tickets to cross-validate (need several per department)")
    accuracy = {b: right[b] / n for b in BLEND_GRID}
    best = max(BLEND_GRID, key=lambda b: (accuracy[b], b))
    return BlendChoice(best, accuracy, n)
