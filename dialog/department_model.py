"""The department classifier learned from the city's own routed messages, as routing uses it.

The knowledge base's routing keywords say what each department is responsible for in general;
how a particular city splits the contested duties (road junctions to the traffic police or to
urban construction, restaurant fumes to urban management or to environment, driving schools to
the police or to transport) is only visible in where its past messages went. Every hotline
keeps that record, so `ivr kb train-router` learns from it (`dialog.tools.department_training`):
a Complement Naive Bayes over character n-grams (the classic choice for short texts with a few
hundred examples per class — it needs no tuning, trains in milliseconds and degrades gracefully
with class imbalance). This module is what the server needs of it: reading a trained model
file, the per-department probabilities, and `LearnedRouter`, which blends them with the
knowledge-base evidence of `LongTextRouter` by the weight chosen when the model was trained.

Pure numpy; `save`/`load` read and write one JSON file (no pickle: a model file may come from
elsewhere and must not run code).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialog.normalize import normalize
from dialog.router_long import LongTextRouter
from dialog.routing import blend_scores

__all__ = [
    "DepartmentModel",
    "DepartmentModelError",
    "LearnedRouter",
    "LearnedRouting",
    "best_department",
    "features",
    "vector",
]

# The file format tag predates the rename and stays: trained model files must keep loading.
FORMAT = "hotline-ivr/ticket-model"
VERSION = 1
NGRAMS = (2, 3)
TITLE_REPEAT = 2  # a title says what the message is about: its n-grams count twice
MAX_CHARS = 1500  # the rest of very long letters is detail, not topic


class DepartmentModelError(ValueError):
    """A model file or training set that cannot be used, with the reason."""


def features(text: str, title: str = "") -> Counter[str]:
    """Character n-gram counts of a message (the title's repeated)."""
    counts: Counter[str] = Counter()
    for part, repeat in ((normalize(title), TITLE_REPEAT), (normalize(text)[:MAX_CHARS], 1)):
        for n in NGRAMS:
            grams = [part[i : i + n] for i in range(len(part) - n + 1)]
            for _ in range(repeat):
                counts.update(grams)
    return counts


def vector(doc: Counter[str], vocabulary: dict[str, int], idf: np.ndarray,
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
        self.blend = blend  # the knowledge base's share on letters (training: `choose_blend`)
        # ... when routing what a caller says (dialog.phone_prior); None: not on the phone
        self.phone_blend = phone_blend

    def probabilities(self, text: str, title: str = "") -> dict[str, float]:
        """P(department | message) over the departments the model knows."""
        cols, values = vector(features(text, title), self.vocabulary, self.idf)
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
            raise DepartmentModelError(
                f"{path}: damaged router model: weights are "
                f"{weights.shape}, expected {len(departments)}×{len(terms)}")
        if not 0.0 <= blend <= 1.0 or not (phone_blend is None or 0.0 <= phone_blend <= 1.0):
            raise DepartmentModelError(f"{path}: damaged router model: blend weights "
                                       f"{blend}, {phone_blend} must lie in 0..1")
        vocabulary = {t: i for i, t in enumerate(terms)}
        return cls(departments, vocabulary, idf, weights, int(data.get("trained_on", 0)),
                   str(data.get("fingerprint", "")), blend, phone_blend)


@dataclass(frozen=True)
class LearnedRouting:
    """The department for one message, with both halves of the evidence."""

    department: str
    score: float  # the blended score of that department (0..1)
    knowledge: float  # its share of the knowledge-base evidence
    learned: float  # its probability under the learned model


class LearnedRouter:
    """Routes written messages with the knowledge base and the learned department model."""

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
        return best_department(self.long_router, evidence, learned, self.blend)


def best_department(long_router: LongTextRouter, evidence: np.ndarray,
                    learned: dict[str, float], blend: float) -> LearnedRouting:
    """The department with the best blend of knowledge-base `evidence` and `learned`
    probabilities (`blend`: the knowledge base's share); the general queue when none scores."""
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
