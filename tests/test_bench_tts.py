"""`ivr bench tts`: the texts it reads, and a real run (a voice, the telephone band and the
installed recognizer) whose scores come out as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.bench.blind_audio_cli import DEFAULT_SHARED
from ivr.bench.tts import read_texts
from ivr.cli import main
from ivr.voices.zhtts_voice import FRONT_END


def test_texts_from_lines_or_a_tsv_column(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("社保卡丢了怎么办\n\n好的\n社保卡丢了怎么办\n公积金怎么提取\n",
                     encoding="utf-8")
    assert read_texts(plain) == ["社保卡丢了怎么办", "公积金怎么提取"]  # short and repeats out
    tsv = tmp_path / "a.tsv"
    tsv.write_text("file\ttext\tlabel\nA.wav\t我想问一下医保\tx\n", encoding="utf-8")
    assert read_texts(tsv) == ["我想问一下医保"]
    answers = tmp_path / "b.tsv"
    answers.write_text("id\tquestion\tanswer\n1\t问什么\t免征个人所得税。\n", encoding="utf-8")
    assert read_texts(answers) == ["免征个人所得税。"]
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="no texts"):
        read_texts(empty)


def test_bench_scores_each_voice_on_given_texts(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("请说出您的问题。\n感谢您的来电，再见。\n", encoding="utf-8")
    status = main(["bench", "tts", "--engine", "neural", "--engine", "espeak",
                   "--texts", str(texts), "--reference", "none", "--json"])
    assert status == 0
    rows = {r["engine"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert set(rows) == {"neural", "espeak"}
    for row in rows.values():
        # unintelligible audio (espeak's) may be heard as more characters than were said,
        # and differently run to run (Whisper samples an unsure decode again): CER over 1
        assert row["texts"] == 2 and 0 <= row["cer"] <= 5
        assert row["first_audio_p50_s"] > 0 and row["rtf"] > 0
        assert [r["text"] for r in row["results"]] == ["请说出您的问题。", "感谢您的来电，再见。"]
    assert FRONT_END in rows["neural"]["voice"]
    assert rows["neural"]["cer"] < 0.3  # short prompts the neural voice says clearly


def test_bench_says_what_is_wrong_with_a_texts_file(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.txt"
    assert main(["bench", "tts", "--texts", str(missing), "--reference", "none"]) == 2
    assert "--texts" in capsys.readouterr().err


def test_timing_only_renders_without_a_recognizer(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("请说出您的问题。\n", encoding="utf-8")
    assert main(["bench", "tts", "--engine", "espeak", "--texts", str(texts),
                 "--timing-only"]) == 0
    table = capsys.readouterr().out
    assert "| espeak (" in table and "| 1 | – | – |" in table  # no scores, timings only
    assert "none (--timing-only)" in table


KIT = DEFAULT_SHARED / "audio" / "speech_kit" / "splice.py"


@pytest.mark.skipif(not KIT.is_file(), reason=f"shared speech kit not found at {KIT}")
def test_the_same_texts_said_by_human_voices_are_a_reference_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--kit-reference: the texts spliced from real word recordings, heard by the same
    recognizer: what it makes of human speech on exactly these words."""
    texts = tmp_path / "texts.txt"
    texts.write_text("请说出您的问题。\n社保卡丢了请先挂失，可以拨打幺二三三三。\n",
                     encoding="utf-8")
    status = main(["bench", "tts", "--engine", "neural", "--texts", str(texts),
                   "--reference", "none", "--kit-reference", "--kit-cache",
                   str(tmp_path / "kit"), "--json"])
    assert status == 0
    rows = {r["engine"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    kit = rows["reference-kit"]
    assert kit["texts"] == 2 and kit["cer"] < 0.5 and kit["rtf"] is None
    assert "幺二三三三" in kit["results"][1]["expected"]  # said as the voice says it
    assert list((tmp_path / "kit").glob("*.wav"))  # renders kept for the next run


def test_a_missing_speech_kit_is_a_clear_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("请说出您的问题。\n", encoding="utf-8")
    status = main(["bench", "tts", "--engine", "espeak", "--texts", str(texts),
                   "--reference", "none", "--kit-reference", "--shared",
                   str(tmp_path / "nowhere"), "--kit-cache", str(tmp_path / "kit")])
    assert status == 2
    assert "speech kit not found" in capsys.readouterr().err
