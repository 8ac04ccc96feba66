"""A department classifier learned from the operator's own routed tickets.

The knowledge base's routing keywords say what each department is responsible for in general;
how a particular city splits the contested duties (road junctions to the traffic police or to
urban construction, restaurant fumes to urban management or to environment, driving schools to
the police or to transport) is only visible in where its past tickets went. Every hotline keeps
those tickets, so `ivr kb train-router` learns from them: a Complement Naive Bayes over
character n-grams (the classic choice for short texts with a few hundred examples per class —
it needs no tuning, trains in milliseconds and degrades gracefully with class imbalance), whose
per-department probabilities `LearnedRouter` blends with the knowledge-base evidence of
`LongTextRouter`. The blend weight is chosen by cross-validation on the training tickets
themselves, so nothing is tuned on the messages it is later scored on.

Pure numpy; `save`/`load` read and write one JSON file (no pickle: a model file may come from
elsewhere and must not run code).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialog.normalize import normalize
from dialog.router_long import LongTextRouter
from dialog.routing import blend_scores

__all__ = [
    "BlendChoice",
    "DepartmentModel",
    "DepartmentModelError",
    "LearnedRouter",
    "LearnedRouting",
    "RoutedExample",
    "blend_scores",
    "choose_blend",
    "features",
    "folds",
]

FORMAT = "hotline-ivr/ticket-model"
VERSION = 1
NGRAMS = (2, 3)
MIN_COUNT = 2  # n-grams in fewer tickets are noise (names, addresses)
ALPHA = 0.3  # smoothing of the complement counts
TITLE_REPEAT = 2  # a title says what the ticket is about: its n-grams count twice
MAX_CHARS = 1500  # the rest of very long letters is detail, not topic
BLEND_GRID = tuple(round(0.1 * i, 1) for i in range(11))


class DepartmentModelError(ValueError):
    """A model file or training set that cannot be used, with the reason."""


@dataclass(frozen=True)
class RoutedExample:
    """One routed ticket: what the citizen wrote and the department that handled it."""

    text: str
    department: str
    title: str = ""


def features(text: str, title: str = "") -> Counter[str]:
    """Character n-gram counts of a ticket (the title's repeated)."""
    counts: Counter[str] = Counter()
    for part, repeat in ((normalize(title), TITLE_REPEAT), (normalize(text)[:MAX_CHARS], 1)):
        for n in NGRAMS:
            grams = [part[i : i + n] for i in range(len(part) - n + 1)]
            for _ in range(repeat):
                counts.update(grams)
    return counts


def _vector(doc: Counter[str], vocabulary: dict[str, int], idf: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Sublinear TF-IDF, L2-normalised: a long letter is one vote, not twenty."""
    cols = np.asarray([vocabulary[g] for g in doc if g in vocabulary], dtype=np.int64)
    if not len(cols):
        return cols, np.zeros(0)
    tf = 1.0 + np.log(np.asarray([doc[g] for g in doc if g in vocabulary], dtype=float))
    values = tf * idf[cols]
    return cols, values / float(np.linalg.norm(values))


class DepartmentModel:
    """Complement Naive Bayes (Rennie et al., 2003) over TF-IDF weighted character n-grams."""

    def __init__(self, departments: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray,
                 weights: np.ndarray, trained_on: int, fingerprint: str,
                 blend: float = 0.5, phone_blend: float | None = None) -> None:
        self.departments = list(departments)
        self.vocabulary = vocabulary
        self.idf = idf
        self.weights = weights  # departments × vocabulary: −log P(n-gram | other departments)
        self.trained_on = trained_on
        self.fingerprint = fingerprint
        self.blend = blend  # the knowledge base's share when routing (see `choose_blend`)
        # ... when routing what a caller says (dialog.phone_prior); None: not on the phone
        self.phone_blend = phone_blend

    @classmethod
    def train(cls, tickets: Sequence[RoutedExample]) -> DepartmentModel:
        """Learn from routed tickets; needs at least two departments."""
        departments = sorted({t.department for t in tickets})
        if len(departments) < 2:
            raise DepartmentModelError(
                f"training needs tickets of at least two departments, got {departments}")
        docs = [features(t.text, t.title) for t in tickets]
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
        for doc, ticket in zip(docs, tickets, strict=True):
            cols, values = _vector(doc, vocabulary, idf)
            counts[index[ticket.department], cols] += values
        complement = counts.sum(axis=0) - counts + ALPHA
        weights = -np.log(complement / complement.sum(axis=1, keepdims=True))
        digest = hashlib.sha256()
        for ticket in tickets:
            digest.update(f"{ticket.department}\t{ticket.title}\t{ticket.text}\n".encode())
        return cls(departments, vocabulary, idf, weights, len(tickets), digest.hexdigest()[:16])

    def probabilities(self, text: str, title: str = "") -> dict[str, float]:
        """P(department | ticket) over the departments the model knows."""
        cols, values = _vector(features(text, title), self.vocabulary, self.idf)
        if not len(cols):
            uniform = 1.0 / len(self.departments)
            return {d: uniform for d in self.departments}
        # Complement NB: the department whose complement explains the text worst wins.
        scores = self.weights[:, cols] @ values
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        return {d: float(p) for d, p in zip(self.departments, probs, strict=True)}

    def predict(self, text: str, title: str = "") -> str:
        probs = self.probabilities(text, title)
        return max(probs, key=lambda d: probs[d])

    def to_json(self) -> dict[str, object]:
        terms = sorted(self.vocabulary, key=lambda g: self.vocabulary[g])
        return {"format": FORMAT, "version": VERSION, "departments": self.departments,
                "trained_on": self.trained_on, "fingerprint": self.fingerprint,
                "blend": self.blend, "phone_blend": self.phone_blend, "vocabulary": terms,
                "idf": [round(float(v), 6) for v in self.idf],
                "weights": [[round(float(w), 7) for w in row] for row in self.weights]}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a file

    @classmethod
    def load(cls, path: Path) -> DepartmentModel:
        """Read a model file; every problem is a DepartmentModelError naming the file."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DepartmentModelError(f"{path}: cannot read the router model: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DepartmentModelError(f"{path}: not a hotline-ivr router model "
                                   f"(train one with `ivr kb train-router`)")
        if data.get("version") != VERSION:
            raise DepartmentModelError(f"{path}: model version {data.get('version')}, this "
                                   f"hotline-ivr reads version {VERSION}: train it again")
        try:
            departments = [str(d) for d in data["departments"]]
            terms = [str(t) for t in data["vocabulary"]]
            weights = np.asarray(data["weights"], dtype=float)
            idf = np.asarray(data["idf"], dtype=float)
            blend = float(data.get("blend", 0.5))
            raw_phone = data.get("phone_blend")
            phone_blend = None if raw_phone is None else float(raw_phone)
        except (KeyError, TypeError, ValueError) as exc:
            raise DepartmentModelError(f"{path}: damaged router model: {exc}") from exc
        if (weights.shape != (len(departments), len(terms)) or idf.shape != (len(terms),)
                or len(departments) < 2):
            raise DepartmentModelError(f"{path}: damaged router model: weights are "
                                   f"{weights.shape}, expected {len(departments)}×{len(terms)}")
        if not 0.0 <= blend <= 1.0 or not (phone_blend is None or 0.0 <= phone_blend <= 1.0):
            raise DepartmentModelError(f"{path}: damaged router model: blend weights "
                                   f"{blend}, {phone_blend} must lie in 0..1")
        vocabulary = {t: i for i, t in enumerate(terms)}
        return cls(departments, vocabulary, idf, weights, int(data.get("trained_on", 0)),
                   str(data.get("fingerprint", "")), blend, phone_blend)


@dataclass(frozen=True)
class LearnedRouting:
    """The department for one ticket, with both halves of the evidence."""

    department: str
    score: float  # the blended score of that department (0..1)
    knowledge: float  # its share of the knowledge-base evidence
    learned: float  # its probability under the ticket model


class LearnedRouter:
    """Routes written messages with the knowledge base and a model of past tickets."""

    def __init__(self, long_router: LongTextRouter, model: DepartmentModel, blend: float) -> None:
        unknown = sorted(set(model.departments) - set(long_router.ids))
        if unknown:
            raise DepartmentModelError(
                f"the router model names departments intents.yaml does not have: {unknown}; "
                f"train it again on the current knowledge base")
        self.long_router = long_router
        self.model = model
        self.blend = blend

    @classmethod
    def from_file(cls, long_router: LongTextRouter, path: Path) -> LearnedRouter:
        """The router for a model file, with the blend weight chosen when it was trained."""
        model = DepartmentModel.load(path)
        return cls(long_router, model, model.blend)

    def route(self, text: str, title: str = "") -> LearnedRouting:
        evidence = self.long_router.evidence(text, title)
        learned = self.model.probabilities(text, title)
        return _best(self.long_router, evidence, learned, self.blend)


def _best(long_router: LongTextRouter, evidence: np.ndarray, learned: dict[str, float],
          blend: float) -> LearnedRouting:
    ids = long_router.ids
    scores = blend_scores(ids, evidence, learned, blend)
    if long_router.default in ids:  # the general queue is the fallback, not a competitor
        scores[ids.index(long_router.default)] = -1.0
    best = int(np.argmax(scores))
    if scores[best] <= 0.0:
        return LearnedRouting(long_router.default, 0.0, 0.0, 0.0)
    mass = float(evidence.sum())
    return LearnedRouting(ids[best], float(scores[best]),
                         float(evidence[best] / mass) if mass > 0 else 0.0,
                         learned.get(ids[best], 0.0))


def folds(items: Sequence[RoutedExample], k: int,
          ) -> Iterable[tuple[list[RoutedExample], list[RoutedExample]]]:
    """k train/held-out splits by a hash of each ticket (stable across runs)."""
    buckets = [int(hashlib.sha256(f"{t.title}\t{t.text}".encode()).hexdigest()[:8], 16) % k
               for t in items]
    for fold in range(k):
        train = [t for t, b in zip(items, buckets, strict=True) if b != fold]
        held = [t for t, b in zip(items, buckets, strict=True) if b == fold]
        if train and held and len({t.department for t in train}) >= 2:
            yield train, held


@dataclass(frozen=True)
class BlendChoice:
    """The cross-validated accuracy of every blend weight and the one chosen."""

    blend: float
    accuracy: dict[float, float]
    tickets: int


def choose_blend(long_router: LongTextRouter, tickets: Sequence[RoutedExample], k: int = 5,
                 ) -> BlendChoice:
    """The blend weight with the best k-fold accuracy on the training tickets (ties: the
    higher weight, i.e. trust the knowledge base more)."""
    right = dict.fromkeys(BLEND_GRID, 0)
    n = 0
    for train, held in folds(tickets, k):
        model = DepartmentModel.train(train)
        for ticket in held:
            n += 1
            evidence = long_router.evidence(ticket.text, ticket.title)
            learned = model.probabilities(ticket.text, ticket.title)
            for blend in BLEND_GRID:
                picked = _best(long_router, evidence, learned, blend).department
                right[blend] += picked == ticket.department
    if n == 0:
        raise DepartmentModelError(
            "too few tickets to cross-validate (need several per department)")
    accuracy = {b: right[b] / n for b in BLEND_GRID}
    best = max(BLEND_GRID, key=lambda b: (accuracy[b], b))
    return BlendChoice(best, accuracy, n)
