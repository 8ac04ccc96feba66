"""ASR benchmark: manifest rules, telephone band, streaming measurements, table and CLI.

Audio comes from audio_fixtures/hotline (linked into a tiny manifest in tmp); the mechanics
run against a scripted engine, the end-to-end CLI run against the real Whisper engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asr.base import Transcript
from asr.stream import make_executor
from asr.whisper_models import assemble_whisper_base
from ivr.bench.asr import (
    FileResult,
    ManifestRow,
    Pacing,
    bench_rows,
    is_chinese,
    markdown_table,
    read_manifest,
    stream_file,
    summarise,
)
from ivr.bench.audio import load_audio, telephone_band
from ivr.bench.cli import add_bench_parser
from ivr.media.codecs import mulaw_decode, mulaw_encode
from pcm.files import read_audio

HOTLINE = Path(__file__).resolve().parents[1] / "audio_fixtures" / "hotline"

REAL_MANDARIN_STYLE = (
    "file\ttranscript\tspeaker_or_dataset\tsample_rate\tduration_s\tnotes\n"
    "a.wav\t广州市房地产中介协会分析\tAISHELL-1\t16000\t4.28\ttranscript_source=dataset-ref; read\n"
    "b.wav\t\tunknown\t16000\t4.99\ttranscript_source=none; NO reference\n"
    "c.wav\t流浪地球\tunknown\t16000\t4.00\ttranscript_source=none; whisper guess\n"
    "d.wav\tWhat's the weather like?\tazure\t16000\t2.03\ttranscript_source=repo-test\n"
    "e.wav\the must be home now 他一定在家\tfunasr\t16000\t8.39\ttranscript_source=model-output\n"
    "f.wav\t哦嗯\twenet\t16000\t0.92\ttranscript_source=repo-txt; filler\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- manifests ------------------------------------------------------------------------------


def test_real_mandarin_manifest_scores_reliable_chinese_rows_only(tmp_path: Path) -> None:
    manifest = read_manifest(write(tmp_path / "manifest.tsv", REAL_MANDARIN_STYLE))
    assert manifest.name == tmp_path.name
    assert [(r.path, r.reference) for r in manifest.rows] == [
        (tmp_path / "a.wav", "广州市房地产中介协会分析"), (tmp_path / "f.wav", "哦嗯")]
    assert manifest.skipped == [("b.wav", "no transcript"), ("c.wav", "transcript_source=none"),
                                ("d.wav", "not Chinese"), ("e.wav", "not Chinese")]
    everything = read_manifest(tmp_path / "manifest.tsv", lang="en")
    assert [r.path.name for r in everything.rows] == ["a.wav", "d.wav", "e.wav", "f.wav"]


def test_hotline_style_manifest_with_text_column(tmp_path: Path) -> None:
    sub = tmp_path / "hotline_queries"
    sub.mkdir()
    text = "file\ttext\tintent_label\nA40.wav\t转人工。\thuman_agent\nA46.wav\t是的。\tyes\n"
    manifest = read_manifest(write(sub / "setA.tsv", text))
    assert manifest.name == "hotline_queries/setA"
    assert [(r.path.name, r.reference) for r in manifest.rows] == [
        ("A40.wav", "转人工。"), ("A46.wav", "是的。")]
    assert manifest.skipped == []


def test_reliable_column_and_bad_manifests(tmp_path: Path) -> None:
    text = "file\ttranscript\treliable\nx.wav\t你好\tyes\ny.wav\t再见\tno\nz.wav\t好的\t1\n"
    manifest = read_manifest(write(tmp_path / "m.tsv", text))
    assert [r.path.name for r in manifest.rows] == ["x.wav", "z.wav"]
    assert manifest.skipped == [("y.wav", "reliable=no")]
    with pytest.raises(ValueError, match="transcript"):
        read_manifest(write(tmp_path / "bad.tsv", "file\tintent\nx.wav\tyes\n"))


def test_is_chinese_ignores_punctuation_but_not_latin() -> None:
    assert is_chinese("你好，我的社保卡丢了。")
    assert is_chinese("语音" * 50 + "检查Microsoft的模型。")  # 9 Latin letters, 105 Han
    assert not is_chinese("检查Microsoft的基线")  # a short one is too English
    assert not is_chinese("我要 refund")  # half English
    assert not is_chinese("。！")


# ---- audio paths ----------------------------------------------------------------------------


def test_telephone_band_prefers_the_tel8k_sibling(tmp_path: Path) -> None:
    for name in ("A40.wav", "A40_tel8k.wav", "A46.wav"):
        shutil.copy(HOTLINE / name, tmp_path / name)
    wide, rate = read_audio(tmp_path / "A40.wav")
    tel = telephone_band(tmp_path / "A40.wav", wide, rate)
    provided, _ = read_audio(tmp_path / "A40_tel8k.wav")
    np.testing.assert_array_equal(tel, mulaw_decode(mulaw_encode(provided)))
    assert not np.array_equal(tel, provided)  # the μ-law round trip did change it
    # no sibling: resampled from 16 kHz, then μ-law; values are fixed points of the codec
    wide46, _ = read_audio(tmp_path / "A46.wav")
    tel46 = telephone_band(tmp_path / "A46.wav", wide46, 16000)
    assert abs(len(tel46) - len(wide46) // 2) <= 1
    np.testing.assert_array_equal(tel46, mulaw_decode(mulaw_encode(tel46)))


def test_load_audio_falls_back_to_sox(tmp_path: Path) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    pcm, _ = read_audio(HOTLINE / "A46_tel8k.wav")
    raw = tmp_path / "clip.ul"  # headerless μ-law: libsndfile cannot guess it, sox can
    raw.write_bytes(mulaw_encode(pcm))
    samples, rate = load_audio(raw)
    assert rate == 8000
    np.testing.assert_array_equal(samples, mulaw_decode(raw.read_bytes()))


def test_load_audio_scales_float_wavs(tmp_path: Path) -> None:
    pcm, rate = read_audio(HOTLINE / "A46.wav")
    path = tmp_path / "float.wav"
    sf.write(str(path), pcm.astype(np.float32) / 32768, rate, subtype="FLOAT")
    samples, got_rate = load_audio(path)
    assert got_rate == rate
    np.testing.assert_allclose(samples, pcm, atol=1)


# ---- streaming measurements with a scripted engine ----------------------------------------


class FakeEngine:
    """Hears 是的 in every utterance; the real RecognitionStream drives it. `calls` notes
    which recognizer (one per streamed file, numbered from 0) got each piece of audio."""

    name = "fake"
    sample_rate = 16000

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.made = 0

    def new_recognizer(self, phrases: list[str] | None = None) -> FakeRecognizer:
        self.made += 1
        return FakeRecognizer(self.calls, self.made - 1)


class FakeRecognizer:
    sample_rate = 16000

    def __init__(self, calls: list[int], number: int) -> None:
        self.n = 0
        self.calls = calls
        self.number = number

    def accept_audio(self, samples: np.ndarray) -> str | None:
        self.n += len(samples)
        self.calls.append(self.number)
        return None

    def finish(self) -> Transcript:
        n, self.n = self.n, 0
        return Transcript("是的", 1.0, n / 16000, 0.0, "fake")

    def reset(self) -> None:
        self.n = 0


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = make_executor(1)
    yield pool
    pool.shutdown(wait=True)


def test_stream_file_measures_each_utterance(executor: ThreadPoolExecutor) -> None:
    clip, rate = read_audio(HOTLINE / "A46_tel8k.wav")
    gap = np.zeros(rate, dtype=np.int16)
    audio = np.concatenate([clip, gap, clip, gap])
    run = asyncio.run(stream_file(FakeEngine(), audio, rate, executor))
    assert run.texts == ["是的", "是的"]
    assert len(run.latencies_s) == 2 and all(x >= 0 for x in run.latencies_s)
    assert all(0.3 < s < 1.0 for s in run.speech_s)  # 是的 is about half a second of speech
    assert run.failures == []
    assert run.wall_s > 0 and run.max_gap_s > 0


def test_bench_rows_scores_and_skips_unreadable_files(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    shutil.copy(HOTLINE / "A46.wav", tmp_path / "A46.wav")
    (tmp_path / "broken.wav").write_bytes(b"not audio at all")
    rows = [ManifestRow(tmp_path / "A46.wav", "是的。"), ManifestRow(tmp_path / "broken.wav", "好")]
    seen: list[tuple[int, str]] = []

    def progress(i: int, total: int, result: FileResult | None, error: str) -> None:
        seen.append((i, result.file if result else "error"))

    results, unreadable = asyncio.run(bench_rows(FakeEngine(), rows, "tel", progress))
    assert [r.file for r in results] == ["A46.wav"] and unreadable == 1
    assert seen == [(1, "A46.wav"), (2, "error")]
    assert results[0].cer == 0.0 and results[0].hypothesis == "是的"
    assert results[0].audio_s == pytest.approx(1.665, abs=0.01)


def test_concurrent_calls_share_the_pool_and_keep_row_order(tmp_path: Path) -> None:
    names = ["A46", "A40", "A46", "A40"]
    rows = [ManifestRow(HOTLINE / f"{n}.wav", "是的。") for n in names]
    pacing = Pacing(realtime=True, calls=2, pool=2)
    engine = FakeEngine()
    results, unreadable = asyncio.run(bench_rows(engine, rows, "tel", None, pacing))
    assert unreadable == 0 and [r.file for r in results] == [f"{n}.wav" for n in names]
    # Two at a time: while one call streams, another's audio reaches the recognizers too,
    # never a third's. (How long it took is the benchmark's to measure, not a test's.)
    assert engine.made == len(names)
    spans = [(engine.calls.index(r), len(engine.calls) - engine.calls[::-1].index(r))
             for r in range(engine.made)]
    streaming = [sum(first <= i < end for first, end in spans) for i in range(len(engine.calls))]
    assert max(streaming) == 2
    # each still at call pace: a lower bound the pacing sleeps guarantee, however slow the box
    assert all(r.wall_s >= 0.95 * r.audio_s for r in results)
    row = summarise("t", "fake", "tel", results, unreadable, pacing)
    assert (row.calls, row.pool, row.files) == (2, 2, 4)


def test_concurrent_calls_need_real_time_pacing_and_positive_sizes() -> None:
    with pytest.raises(ValueError, match="--realtime"):
        Pacing(calls=2)
    with pytest.raises(ValueError, match="at least 1"):
        Pacing(realtime=True, pool=0)


def test_summary_statistics_and_table() -> None:
    def result(cer: float, ref: str, latencies: list[float], speech: list[float]) -> FileResult:
        return FileResult("f.wav", ref, "", cer, 2.0, 0.5, latencies, speech, 0.021)

    results = [result(0.0, "一二三四", [0.1, 0.2], [1.0, 6.0]),
               result(0.5, "一二", [0.3], [2.0]),
               result(1.0, "一二三四五六", [0.4], [3.0])]
    row = summarise("set", "fake", "16k", results, skipped=1)
    assert row.cer_mean == pytest.approx(0.5) and row.cer_median == 0.5
    assert row.cer_pooled == pytest.approx((0 + 1 + 6) / 12)
    assert row.rtf == pytest.approx(1.5 / 6.0)
    assert row.latency_p50_s == pytest.approx(0.25)
    assert row.latency_short_p50_s == pytest.approx(0.3)  # the 6 s utterance is left out
    assert row.utterances == 4 and row.max_loop_gap_ms == pytest.approx(21.0)
    lines = markdown_table([row]).splitlines()
    assert len(lines) == 3 and lines[0].count("|") == lines[1].count("|") == lines[2].count("|")
    assert "| set | fake | 16 kHz | 3 (+1 skipped) | 50.0% | 50.0% | 58.3% | 0.250 |" in lines[2]


# ---- the command line -----------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ivr")
    add_bench_parser(parser.add_subparsers())
    return parser.parse_args(argv)


def test_cli_reports_a_missing_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(["bench", "asr", "--manifest", str(tmp_path / "nope.tsv")])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("ivr bench asr:") and "nope.tsv" in err and "Traceback" not in err


def test_cli_reports_a_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path / "m.tsv", "file\ttext\nA46.wav\t是的\n")
    args = parse(["bench", "asr", "--manifest", str(manifest), "--engine", "whisper",
                  "--model", str(tmp_path / "no-model")])
    assert args.func(args) == 2
    assert "model.bin" in capsys.readouterr().err


def test_cli_rejects_a_negative_speculation_delay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write(tmp_path / "m.tsv", "file\ttext\nA46.wav\t是的\n")
    args = parse(["bench", "asr", "--manifest", str(manifest), "--speculate-after", "-1"])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert "speculate_after_s" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble_whisper_base(tmp_path_factory.getbasetemp() / "whisper-base")


@pytest.mark.slow
def test_cli_end_to_end_with_whisper_both_bands(
    tmp_path: Path, whisper_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("A40", "A44"):
        for suffix in ("", "_tel8k"):
            (tmp_path / f"{name}{suffix}.wav").symlink_to(HOTLINE / f"{name}{suffix}.wav")
    manifest = write(tmp_path / "setA.tsv", "file\ttext\tintent_label\n"
                     "A40.wav\t转人工。\thuman_agent\n"
                     "A44.wav\t不好意思，我没听清楚，你能再说一次吗？\trepeat\n")
    args = parse(["bench", "asr", "--manifest", str(manifest), "--engine", "whisper",
                  "--model", str(whisper_dir), "--both", "--json"])
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert [(r["band"], r["files"]) for r in report["rows"]] == [("16k", 2), ("tel", 2)]
    for row in report["rows"]:
        assert row["speculations"] >= 2  # Whisper decodes each utterance from its pause on
        assert 0 <= row["speculations_wasted"] <= row["speculations"] - row["utterances"]
        assert row["cer_mean"] <= 0.35  # normalised CER; measured 0.0 (16k) and 0.031 (tel)
        assert row["latency_p50_s"] > 0
        # Memory is reported, not bounded: this process's high-water mark in MB (rounded).
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert 0 < row["peak_rss_mb"] <= peak_mb + 0.01
        assert row["max_loop_gap_ms"] >= 19  # a 20 ms ticker cannot beat its own period
    assert len(report["files"]) == 4
    assert {f["file"] for f in report["files"]} == {"A40.wav", "A44.wav"}
    assert all(not math.isnan(f["cer"]) for f in report["files"])
    assert "[1/2] A40.wav" in err and "[2/2] A44.wav" in err
    assert "speculative decodes:" in err
