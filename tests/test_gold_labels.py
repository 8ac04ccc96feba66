"""Tests for scripts/gold_citizen_labels.py: a fixed, extendable sample and strict label files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import gold_citizen_labels as gold


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    offices = ["县教育局", "县公安局", "县交通运输局", "县人社局"]
    lines = [json.dumps({"msg_id": i, "title": f"标题{i}", "detail": "内容",
                         "reply": f"经查，问题已处理。{offices[i % 4]}"}, ensure_ascii=False)
             for i in range(40)]
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_larger_sample_extends_a_smaller_one(source: Path) -> None:
    small = gold.sample(source, "all", 10, seed=7)
    large = gold.sample(source, "all", 25, seed=7)
    assert [m["msg_id"] for m, _ in large[:10]] == [m["msg_id"] for m, _ in small]
    assert len({m["msg_id"] for m, _ in large}) == 25


def test_show_prints_no_automatic_label(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = gold.sample(source, "all", 5, seed=7)
    gold.show(rows, 0, 5)
    out = capsys.readouterr().out
    assert out.count("[") >= 5 and "education" not in out and "public_security" not in out


def test_label_files_are_strict(tmp_path: Path) -> None:
    good = tmp_path / "gold.txt"
    good.write_text("# comment\n0 education\n1 none\n", encoding="utf-8")
    assert gold.read_gold(good) == {0: "education", 1: "none"}
    bad = tmp_path / "bad.txt"
    bad.write_text("0 education\nfirst housing\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.txt:2"):
        gold.read_gold(bad)
