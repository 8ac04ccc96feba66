"""The transcript comparison helpers of tests/transcripts.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.transcripts import assert_heard, assert_transcript_close, normalise_transcript


def test_the_ci_case_of_issue_8_is_the_same_transcript() -> None:
    a, b = "不好意思,我没听清楚你能再说一次吗?", "不好意思我没听清楚你能再说一次吗"
    assert normalise_transcript(a) == normalise_transcript(b)
    assert assert_transcript_close(a, b, 0.0) == 0.0


def test_a_failure_shows_both_texts_their_normal_forms_and_the_cer() -> None:
    with pytest.raises(AssertionError) as err:
        assert_transcript_close("轉人宫。", "转人工", 0.2, what="A40")
    message = str(err.value)
    assert "A40" in message and "'轉人宫。' → '转人宫'" in message
    assert "'转人工' → '转人工'" in message and "CER 0.333 > 0.2" in message


def test_heard_finds_key_words_in_order_after_normalising() -> None:
    assert_heard("我要投訴一家商店，賣給我的東西", "投诉", "商店")
    with pytest.raises(AssertionError, match="not heard"):
        assert_heard("我要投诉一家商店", "商店", "投诉")  # both there, but not in this order
    with pytest.raises(AssertionError, match="'质量'"):
        assert_heard("我要投诉一家商店", "质量")


def test_measurements_can_be_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "cer.tsv"
    monkeypatch.setenv("TRANSCRIPT_CER_LOG", str(log))
    assert_transcript_close("是得", "是的", 0.5, what="A46")
    assert log.read_text(encoding="utf-8") == "A46\t0.5000\t0.5\t是得\t是的\n"
