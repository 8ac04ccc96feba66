"""Tests for dialog.tools.paireval: same-intent detection on a question-pair file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialog.tools.paireval import best_threshold, evaluate_pairs, format_pair_report, read_pairs

PAIRS = [
    ("还款银行怎么更换", "怎么更换绑定还款的卡", 1),
    ("借款额度怎么提高", "额度怎么才能提高", 1),
    ("还款银行怎么更换", "借款额度怎么提高", 0),
    ("怎么取消借款", "提前还款要手续费吗", 0),
]


def write(tmp_path: Path, rows: list[tuple[str, str, int]]) -> Path:
    path = tmp_path / "pairs.tsv"
    body = "".join(f"{a}\t{b}\t{label}\n" for a, b, label in rows)
    path.write_text("sentence1\tsentence2\tlabel\n" + body, encoding="utf-8")
    return path


def test_read_pairs_skips_the_header(tmp_path: Path) -> None:
    assert read_pairs(write(tmp_path, PAIRS)) == PAIRS


def test_best_threshold() -> None:
    threshold, accuracy = best_threshold(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0]))
    assert accuracy == 1.0 and 0.2 < threshold <= 0.8


def test_evaluate_pairs_separates_same_from_different(tmp_path: Path) -> None:
    report = evaluate_pairs(write(tmp_path, PAIRS * 3), fixed_threshold=0.3)
    assert report.pairs == 12 and report.positives == 6
    assert report.dev_accuracy == 1.0 and report.test_accuracy == 1.0
    assert report.fixed_accuracy is not None
    text = format_pair_report(report, "demo")
    assert "accuracy on the second half 1.000" in text
    assert report.to_json()["pairs"] == 12


def test_too_few_pairs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fewer than two"):
        evaluate_pairs(write(tmp_path, PAIRS[:1]))
