"""Same-intent detection on question-pair corpora: a sanity check of the semantic signal.

Reads a TSV of (sentence1, sentence2, label) with label 1 = same intent (BQ corpus, AFQMC),
scores every pair with `dialog.semantic.pair_similarity` (IDF from the file's own sentences),
picks the threshold that maximises accuracy on the first half and reports accuracy on the
second half with it (and on all pairs at a fixed threshold when one is given). Reads the file;
otherwise pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialog.normalize import normalize
from dialog.phonetic import analyse
from dialog.semantic import IdfTable, pair_similarity, terms


@dataclass(frozen=True)
class PairReport:
    pairs: int
    positives: int
    threshold: float  # chosen on the first half
    dev_accuracy: float  # first half, at `threshold`
    test_accuracy: float  # second half, at `threshold`
    majority_baseline: float  # second half, always answering the majority label
    fixed_threshold: float | None = None
    fixed_accuracy: float | None = None  # all pairs, at `fixed_threshold`

    def to_json(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


def read_pairs(path: str | Path) -> list[tuple[str, str, int]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 3 or cols[2].strip() not in ("0", "1"):
            continue  # header or malformed
        rows.append((cols[0], cols[1], int(cols[2])))
    return rows


def similarities(pairs: list[tuple[str, str, int]]) -> np.ndarray:
    grams = [(terms(analyse(normalize(a))), terms(analyse(normalize(b)))) for a, b, _ in pairs]
    idf = IdfTable(g for pair in grams for g in pair)
    return np.asarray([pair_similarity(a, b, idf) for a, b in grams])


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy of `score >= threshold` ⇔ label 1."""
    best = (0.5, 0.0)
    for t in np.unique(np.round(scores, 3)):
        accuracy = float(np.mean((scores >= t) == (labels == 1)))
        if accuracy > best[1]:
            best = (float(t), accuracy)
    return best


def evaluate_pairs(path: str | Path, fixed_threshold: float | None = None) -> PairReport:
    pairs = read_pairs(path)
    if len(pairs) < 2:
        raise ValueError(f"{path}: fewer than two labelled pairs")
    scores = similarities(pairs)
    labels = np.asarray([label for _, _, label in pairs])
    half = len(pairs) // 2
    threshold, dev_accuracy = best_threshold(scores[:half], labels[:half])
    test = (scores[half:] >= threshold) == (labels[half:] == 1)
    majority = max(float(np.mean(labels[half:])), 1.0 - float(np.mean(labels[half:])))
    fixed = None if fixed_threshold is None else float(
        np.mean((scores >= fixed_threshold) == (labels == 1)))
    return PairReport(len(pairs), int(labels.sum()), threshold, dev_accuracy,
                      float(np.mean(test)), majority, fixed_threshold, fixed)


def format_pair_report(report: PairReport, source: str = "") -> str:
    lines = [f"same-intent pairs: {source}", f"  pairs {report.pairs} "
             f"(same intent {report.positives})",
             f"  threshold {report.threshold:.3f} chosen on the first half "
             f"(accuracy {report.dev_accuracy:.3f})",
             f"  accuracy on the second half {report.test_accuracy:.3f} "
             f"(majority label {report.majority_baseline:.3f})"]
    if report.fixed_threshold is not None and report.fixed_accuracy is not None:
        lines.append(f"  accuracy on all pairs at {report.fixed_threshold:.3f}: "
                     f"{report.fixed_accuracy:.3f}")
    return "\n".join(lines) + "\n"
