"""`ivr bench dtmf`: talk-off over speech, detection over generated presses, the command."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ivr.bench.cli import add_bench_parser
from ivr.bench.dtmf import (
    TONE_CASES,
    ToneCase,
    _in_order,
    detect_keys,
    generate_speech,
    press_all,
    read_sentences,
    speech_files,
    talk_off,
    tone_results,
)
from ivr.bench.dtmf_cli import SPLICE
from ivr.dtmf import KEYS
from pcm.files import write_wav
from tests.conftest import FIXTURES


def test_speech_files_take_each_recording_once(tmp_path: Path) -> None:
    for name in ("A01.wav", "A01_tel8k.wav", "B.flac", "C_tel8k.wav", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    names = [p.name for p in speech_files(tmp_path)]
    assert names == ["A01.wav", "B.flac", "C_tel8k.wav"]  # A01's band is its _tel8k sibling


def test_keys_in_order_count_each_right_key_once() -> None:
    assert _in_order(KEYS, KEYS) == 16
    assert _in_order("0123", "01234") == 4
    assert _in_order("00", "0") == 1
    assert _in_order("", KEYS) == 0


def test_every_valid_tone_case_is_found_and_every_invalid_one_refused() -> None:
    results = tone_results(seeds=1)
    assert [r.case.name for r in results] == [c.name for c in TONE_CASES]
    failing = [r.case.name for r in results if not r.passed]
    assert failing == []
    assert {r.case.valid for r in results} == {True, False}


def test_a_press_generator_case_sounds_like_it_says() -> None:
    x = press_all(ToneCase("t", True, tone_s=0.05, gap_s=0.05, mulaw=False))
    assert len(x) == round(0.05 * 8000) * 33  # a gap, then 16 × (tone + gap)
    assert "".join(k for _, k in detect_keys(x)) == KEYS


def test_talk_off_on_the_fixtures_finds_no_digit() -> None:
    row = talk_off("talk_off", speech_files(FIXTURES / "talk_off"))
    assert row.files >= 8 and row.seconds > 30
    assert row.false == [] and row.per_hour == 0


def test_talk_off_reports_where_a_false_digit_fell(tmp_path: Path) -> None:
    tone = press_all(ToneCase("t", True, mulaw=False))[:4000]  # "1" and "2" in half a second
    write_wav(tmp_path / "keys.wav", tone, 8000)
    row = talk_off("x", [tmp_path / "keys.wav"])
    assert [f.key for f in row.false] == ["1", "2"]
    assert row.per_hour == pytest.approx(2 / (0.5 / 3600))


def test_read_sentences_takes_the_chinese_field_of_each_line(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("id\tquestion\n1\t社保卡怎么补办？\n2\t社保卡怎么补办？\n"
                    '{"title": "路灯坏了", "n": 3}\nno chinese here\n', encoding="utf-8")
    assert read_sentences(path, 10) == ["社保卡怎么补办？", "路灯坏了"]
    assert read_sentences(path, 1) == ["社保卡怎么补办？"]


@pytest.mark.skipif(not SPLICE.is_file(), reason="the shared speech kit is not beside the "
                    "checkout (../shared/audio/speech_kit)")
def test_the_speech_kit_makes_telephone_band_sentences_once(tmp_path: Path) -> None:
    made = generate_speech(SPLICE, ["我想补办社保卡", "公积金怎么提取", "营业执照怎么办"],
                           tmp_path, snr_every=3)
    assert [p.name for p in made] == ["s00000_tel8k.wav", "s00001_tel8k.wav",
                                      "s00002_tel8k.wav"]  # the third with noise
    assert not list(tmp_path.glob("s0000?.wav"))  # 16 kHz originals are not kept
    stamp = made[0].stat().st_mtime_ns
    assert generate_speech(SPLICE, ["我想补办社保卡"], tmp_path) == made[:1]
    assert made[0].stat().st_mtime_ns == stamp  # reused, not made again


def test_the_command_prints_both_tables_and_json(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="ivr")
    add_bench_parser(parser.add_subparsers())
    speech = tmp_path / "speech"
    shutil.copytree(FIXTURES / "talk_off", speech)
    args = parser.parse_args(["bench", "dtmf", "--speech", str(speech), "--kit-sentences", "0",
                              "--seeds", "1"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "| speech | files | hours | false digits | per hour | keys |" in out
    assert "| too short (20 ms) | no |" in out
    args = parser.parse_args(["bench", "dtmf", "--speech", str(speech), "--kit-sentences", "0",
                              "--seeds", "1", "--json"])
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["talk_off"][0]["false_digits"] == [] and report["talk_off"][0]["files"] >= 8
    assert all(t["passed"] for t in report["tones"])


def test_a_missing_speech_folder_is_one_clear_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="ivr")
    add_bench_parser(parser.add_subparsers())
    args = parser.parse_args(["bench", "dtmf", "--speech", str(tmp_path / "nowhere")])
    assert args.func(args) == 2
    assert capsys.readouterr().err.strip() == (
        f"ivr bench dtmf: no such file or folder: {tmp_path / 'nowhere'}")


def test_generated_presses_differ_by_seed_but_not_by_run() -> None:
    case = ToneCase("n", True, snr_db=20)
    assert np.array_equal(press_all(case, 1), press_all(case, 1))
    assert not np.array_equal(press_all(case, 1), press_all(case, 2))
