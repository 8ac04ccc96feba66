"""Tests for scripts/dev_guard.py: every dev file's lines are kept, a diff marks each change,
and a held-out file gives its score only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import dev_guard as guard


def test_a_diff_marks_gains_losses_and_moves(capsys: pytest.CaptureFixture[str]) -> None:
    before = {"set": {"score": "", "lines": {"a": ["x", "none", False], "b": ["y", "y", True],
                                             "c": ["z", "p", False], "d": ["w", "w", True]}}}
    after = {"set": {"score": "", "lines": {"a": ["x", "x", True], "b": ["y", "none", False],
                                            "c": ["z", "q", False], "d": ["w", "w", True]}}}
    guard._print_diff(before, after)  # type: ignore[arg-type]
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["+ set", "- set", "~ set"]


def test_the_dev_files_exist_and_no_held_out_split_is_among_them() -> None:
    for path in [*guard.MATCH_FILES.values(), *guard.ANSWER_FILES.values()]:
        assert path.exists(), path
        assert not path.name.startswith("test"), path


def test_a_held_out_file_keeps_no_lines(tmp_path: Path) -> None:
    held = tmp_path / "held.tsv"
    held.write_text("text\texpected\n我的社保卡丢了怎么补办\tsbk_reissue\n", encoding="utf-8")
    guard.MATCH_FILES, saved = {}, guard.MATCH_FILES
    guard.ANSWER_FILES, saved_answers = {}, guard.ANSWER_FILES
    try:
        result = guard.run({}, {"held": held}, bank=0)
    finally:
        guard.MATCH_FILES, guard.ANSWER_FILES = saved, saved_answers
    assert result["held"]["lines"] == {}
    assert str(result["held"]["score"]).startswith("100.0% right")


def test_no_bank_questions_when_none_are_asked_for() -> None:
    assert guard._bank_questions(0) == []
