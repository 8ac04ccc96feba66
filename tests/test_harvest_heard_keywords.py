"""Tests for scripts/harvest_heard_keywords.py: where the recognizer wrote a keyword, and that
held-out dumps are refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import harvest_heard_keywords as harvest  # noqa: E402


@pytest.mark.parametrize(("text", "transcript", "keyword", "heard"), [
    ("工资条上扣了公积金可账户里没钱", "工资调上扣了工资金可账户里没钱", "公积金", ["工资金"]),
    ("驾校不给退钱", "假校不给退钱", "驾校", ["假校"]),
    ("驾校不给退钱", "驾校不给退钱", "驾校", ["驾校"]),  # heard right: the caller skips it
    ("驾校不给退钱", "价不给退钱", "驾校", []),  # two characters heard as one: nothing claimed
])
def test_what_the_transcript_holds_in_the_keyword_s_place(
        text: str, transcript: str, keyword: str, heard: list[str]) -> None:
    assert harvest.heard_in_place(text, transcript, keyword) == heard


def test_held_out_dumps_are_refused(tmp_path: Path) -> None:
    dump = tmp_path / "test.jsonl"
    dump.write_text(json.dumps({"text": "驾校", "transcript": "假校"}) + "\n", "utf-8")
    run = subprocess.run([sys.executable, str(SCRIPTS / "harvest_heard_keywords.py"), str(dump)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2 and "dev splits only" in run.stderr
