"""Tests for ivr.tts, ivr.prompt_cache and ivr.tts_worker against the real espeak-ng (no mocks)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ivr import prompt_cache
from ivr.prompt_cache import PromptCache
from ivr.tts import (
    TtsError,
    TtsSynthesizer,
    normalize_level,
    prepare_prompt,
    trim_silence,
)
from pcm.files import write_wav
from pcm.samples import rms_dbfs

SENTENCE = "您好，请问有什么可以帮您？"
VOICE = "sit/cmn-latn-pinyin"


class CountingSynthesizer:
    """Wraps a real synthesizer and counts the calls that reach it."""

    def __init__(self, inner: TtsSynthesizer) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        self.calls.append(text)
        return self.inner.synthesize(text)


@pytest.fixture(scope="module")
def synth() -> Iterator[TtsSynthesizer]:
    with TtsSynthesizer(VOICE, 170, timeout_s=15.0) as s:
        yield s


@pytest.fixture
def counting(synth: TtsSynthesizer) -> CountingSynthesizer:
    return CountingSynthesizer(synth)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def tone(hz: float, rate: int, seconds: float, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def one_shot_worker(tmp_path: Path, mode: str) -> list[str]:
    """A worker command whose first launch hangs or crashes on its first request and records
    its pid; every later launch is the real worker."""
    flag = tmp_path / f"{mode}.pid"
    script = tmp_path / f"{mode}_worker.py"
    script.write_text(
        "import os, sys, time\n"
        f"flag = {str(flag)!r}\n"
        "if not os.path.exists(flag):\n"
        "    open(flag, 'w').write(str(os.getpid()))\n"
        "    sys.stdin.readline()\n"
        f"    time.sleep(3600) if {mode!r} == 'hang' else sys.exit(3)\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ivr.tts_worker'])\n"
    )
    return [sys.executable, str(script)]


def failing_worker(tmp_path: Path) -> list[str]:
    """A worker that answers every request with ok=false, as if pyttsx3 were broken."""
    script = tmp_path / "failing_worker.py"
    script.write_text(
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    rid = json.loads(line)['id']\n"
        "    print(json.dumps({'id': rid, 'ok': False, 'error': 'pyttsx3 broken'}), flush=True)\n"
    )
    return [sys.executable, str(script)]


# ---- synthesis --------------------------------------------------------------------------------


def test_worker_protocol_writes_wav_and_reports_errors(tmp_path: Path) -> None:
    out = tmp_path / "nihao.wav"
    requests = [
        {"id": 1, "text": "你好", "voice": VOICE, "rate": 170, "out_path": str(out)},
        {
            "id": 2,
            "text": "x",
            "voice": "no/such-voice",
            "rate": 170,
            "out_path": str(tmp_path / "x.wav"),
        },
    ]
    done = subprocess.run(
        [sys.executable, "-m", "ivr.tts_worker"],
        input="".join(json.dumps(r) + "\n" for r in requests),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    # pyttsx3 prints "Audio saved to ..." itself; it must not reach the protocol stream
    assert replies[0] == {"id": 1, "ok": True, "error": None}
    assert replies[1]["id"] == 2 and replies[1]["ok"] is False
    assert "no/such-voice" in replies[1]["error"]
    assert out.stat().st_size > 8000


RATE_CHECK = """
import sys
from ivr import tts_worker
engine = tts_worker._Engine()
engine.save("你好", sys.argv[1], 130, sys.argv[2])
assert engine._espeak is not None and engine._espeak.current_rate() == 130
tts_worker._EspeakQueue.current_rate = lambda self: 200  # a rate change espeak-ng dropped
try:
    engine.save("你好", sys.argv[1], 130, sys.argv[2])
except RuntimeError as exc:
    print(exc)
"""


def test_worker_checks_the_rate_espeak_really_used(tmp_path: Path) -> None:
    # Run in a child: pyttsx3's loop is kept out of long-lived processes such as pytest.
    done = subprocess.run(
        [sys.executable, "-c", RATE_CHECK, VOICE, str(tmp_path / "x.wav")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "audio at rate 200 instead of 130" in done.stdout
    assert "3 attempts" in done.stdout


def test_synthesize_mandarin_has_speech_length_and_energy(synth: TtsSynthesizer) -> None:
    samples, rate = synth.synthesize("你好")
    assert samples.dtype == np.int16 and rate > 8000
    assert len(samples) / rate > 0.3  # two syllables, not a blip

    samples, rate = synth.synthesize(SENTENCE)
    at_8k = prepare_prompt(samples, rate)
    assert len(at_8k) / 8000 > 1.5
    assert rms_dbfs(at_8k) > -35.0


def test_unknown_voice_raises_instead_of_speaking_english(tmp_path: Path) -> None:
    with TtsSynthesizer("no/such-voice", timeout_s=15.0) as bad, pytest.raises(TtsError):
        bad.synthesize("你好")


def test_blank_text_is_empty_audio_without_a_worker(tmp_path: Path) -> None:
    with TtsSynthesizer(worker_cmd=["/nonexistent/worker"]) as s:
        samples, _ = s.synthesize("  ")
    assert samples.size == 0


def test_concurrent_callers_share_one_worker_safely(synth: TtsSynthesizer) -> None:
    # lengths differ clearly, so a caller handed another caller's audio would show
    texts = ["你好", SENTENCE, "请稍候", "你好，谢谢，再见"] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(synth.synthesize, texts))
    for text, (got, rate) in zip(texts, results, strict=True):
        alone, alone_rate = synth.synthesize(text)
        assert len(got) / rate == pytest.approx(len(alone) / alone_rate, rel=0.05)


# ---- worker supervision -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hang", "crash"])
def test_hung_or_crashed_worker_is_replaced(tmp_path: Path, mode: str) -> None:
    with TtsSynthesizer(VOICE, timeout_s=1.0, worker_cmd=one_shot_worker(tmp_path, mode)) as s:
        with pytest.raises(TtsError, match="no answer" if mode == "hang" else "died"):
            s.synthesize("你好")
        first_pid = int((tmp_path / f"{mode}.pid").read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(first_pid, 0)  # killed and reaped, not left behind
        s.timeout_s = 15.0  # the replacement is a real worker; give it room on a busy box
        samples, rate = s.synthesize("你好")
    assert len(samples) / rate > 0.3


def test_unstartable_worker_raises_tts_error() -> None:
    with TtsSynthesizer(worker_cmd=["/nonexistent/worker"]) as s, pytest.raises(TtsError):
        s.synthesize("你好")


def test_broken_pyttsx3_falls_back_to_espeak_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.tts")
    with TtsSynthesizer(VOICE, timeout_s=15.0, worker_cmd=failing_worker(tmp_path)) as s:
        first, rate = s.synthesize("你好")
        second, _ = s.synthesize("-谢谢")  # a leading dash must not reach espeak as an option
    assert len(first) / rate > 0.3 and len(second) / rate > 0.3
    assert sum("falling back" in r.message for r in caplog.records) == 1


def test_missing_espeak_names_the_apt_command(tmp_path: Path) -> None:
    with TtsSynthesizer(worker_cmd=failing_worker(tmp_path), espeak_cmd="no-espeak-here") as s:
        with pytest.raises(TtsError, match="apt-get install espeak-ng"):
            s.synthesize("你好")


# ---- level shaping ------------------------------------------------------------------------


def test_trim_silence_keeps_speech_and_a_short_pad() -> None:
    body = tone(300, 8000, 0.5)
    padded = np.concatenate([np.zeros(4000, np.int16), body, np.zeros(8000, np.int16)])
    trimmed = trim_silence(padded, 8000, pad_ms=30)
    assert len(body) <= len(trimmed) <= len(body) + 2 * 240 + 2
    assert trim_silence(np.zeros(800, np.int16), 8000).size == 0


def test_normalize_level_puts_robust_peak_near_target() -> None:
    loud = tone(440, 8000, 1.0, amplitude=30000)
    out = normalize_level(loud, target_dbfs=-16.0)
    robust_peak = np.percentile(np.abs(out.astype(np.float64)), 99)
    assert 20 * np.log10(robust_peak / 32767) == pytest.approx(-16.0, abs=0.2)
    assert dominant_hz(out, 8000) == pytest.approx(440, abs=2)


# ---- prompt cache -------------------------------------------------------------------------


def test_cache_hit_skips_synthesizer_and_survives_a_new_instance(
    tmp_path: Path, counting: CountingSynthesizer
) -> None:
    cache = PromptCache(tmp_path, counting, VOICE, 170)
    audio = cache.get(SENTENCE)
    assert len(audio) > 8000  # > 1 s of 8 kHz μ-law
    assert cache.get(SENTENCE) == audio
    assert counting.calls == [SENTENCE]
    assert (tmp_path / f"{cache.key_for(SENTENCE)}.ulaw").read_bytes() == audio
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".ulaw"]  # no temp leftovers

    reopened = PromptCache(tmp_path, counting, VOICE, 170)
    assert reopened.get(SENTENCE) == audio
    assert counting.calls == [SENTENCE]
    decoded = reopened.get_samples(SENTENCE)
    assert decoded.dtype == np.int16 and len(decoded) == len(audio)


def test_key_depends_on_rate_voice_and_format(
    tmp_path: Path, counting: CountingSynthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = PromptCache(tmp_path, counting, VOICE, 170)
    key = base.key_for("你好")
    assert key != PromptCache(tmp_path, counting, VOICE, 120).key_for("你好")
    assert key != PromptCache(tmp_path, counting, "sit/cmn", 170).key_for("你好")
    assert key == PromptCache(tmp_path, counting, VOICE, 170).key_for("你好")
    assert base.path_for("你好") == tmp_path / f"{key}.ulaw"
    monkeypatch.setattr(prompt_cache, "FORMAT_VERSION", prompt_cache.FORMAT_VERSION + "-next")
    assert base.key_for("你好") != key


def test_slower_rate_renders_a_different_longer_entry(tmp_path: Path) -> None:
    with TtsSynthesizer(VOICE, 120) as slow_s, TtsSynthesizer(VOICE, 240) as fast_s:
        slow = PromptCache(tmp_path, slow_s, VOICE, 120).get(SENTENCE)
        fast = PromptCache(tmp_path, fast_s, VOICE, 240).get(SENTENCE)
    assert len(slow) > 1.3 * len(fast)
    assert len(list(tmp_path.glob("*.ulaw"))) == 2


def test_recording_replaces_tts(tmp_path: Path, counting: CountingSynthesizer) -> None:
    wav = tmp_path / "welcome.wav"
    write_wav(wav, tone(1000, 22050, 0.5), 22050)
    cache = PromptCache(tmp_path / "cache", counting, VOICE, 170, recordings={"welcome": wav})
    by_key = cache.get_samples("欢迎致电", key="welcome")
    assert len(by_key) == pytest.approx(4000, abs=20)
    assert dominant_hz(by_key, 8000) == pytest.approx(1000, abs=5)

    cache.register_recording("请稍候", wav)
    assert dominant_hz(cache.get_samples("请稍候"), 8000) == pytest.approx(1000, abs=5)
    assert counting.calls == []


def test_missing_recording_warns_and_falls_back_to_tts(
    tmp_path: Path, counting: CountingSynthesizer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.prompt_cache")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    cache = PromptCache(tmp_path / "cache", counting, VOICE, 170)
    cache.register_recording("你好", tmp_path / "missing.wav")
    cache.register_recording("谢谢", junk)
    assert len(cache.get("你好")) > 1000
    assert len(cache.get("谢谢")) > 1000
    assert counting.calls == ["你好", "谢谢"]
    assert sum("using TTS instead" in r.message for r in caplog.records) == 2


def test_prerender_renders_only_missing_entries_with_progress(
    tmp_path: Path, counting: CountingSynthesizer
) -> None:
    cache = PromptCache(tmp_path, counting, VOICE, 170)
    cache.get("你好")
    seen: list[tuple[int, int, str]] = []
    cache.prerender(["你好", "谢谢", "再见", "谢谢"], lambda d, t, s: seen.append((d, t, s)))
    assert seen == [(1, 2, "谢谢"), (2, 2, "再见")]
    assert counting.calls == ["你好", "谢谢", "再见"]

    fresh = CountingSynthesizer(counting.inner)
    PromptCache(tmp_path, fresh, VOICE, 170).prerender(["你好", "谢谢", "再见"])
    assert fresh.calls == []


def test_prerender_reports_failures_after_rendering_the_rest(tmp_path: Path) -> None:
    with TtsSynthesizer("no/such-voice", timeout_s=15.0) as bad:
        cache = PromptCache(tmp_path, bad, "no/such-voice", 170)
        with pytest.raises(TtsError, match="2 of 2"):
            cache.prerender(["你好", "谢谢"])
