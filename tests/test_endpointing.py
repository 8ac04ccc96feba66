"""Endpointer on synthetic tone bursts (exact events and times) and on real recorded clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asr.endpointing import Endpointer, EndpointerConfig
from asr.events import BargeIn, EndpointEvent, SpeechStarted, UtteranceEnded
from ivr.audio import resample
from ivr.audiofile import read_audio

HOTLINE = Path(__file__).resolve().parents[1] / "audio_fixtures" / "hotline"


def tone(seconds: float, rate: int, level: float = 0.25, f0: float = 150.0) -> np.ndarray:
    """A harmonic-rich buzz (voice-like spectrum) that WebRTC VAD reliably calls speech."""
    t = np.arange(round(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, int(3400 / f0)))
    return (x / np.max(np.abs(x)) * level * 32767).astype(np.int16)


def silence(
    seconds: float, rate: int, noise_dbfs: float | None = None, seed: int = 0
) -> np.ndarray:
    n = round(seconds * rate)
    if noise_dbfs is None:
        return np.zeros(n, dtype=np.int16)
    rms = 32768 * 10 ** (noise_dbfs / 20)
    return np.random.default_rng(seed).normal(0, rms, n).astype(np.int16)


def run(ep: Endpointer, audio: np.ndarray, chunk: int = 333) -> list[EndpointEvent]:
    events: list[EndpointEvent] = []
    for i in range(0, len(audio), chunk):
        events.extend(ep.process(audio[i : i + chunk]))
    return events


def kinds(events: list[EndpointEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def ended(events: list[EndpointEvent]) -> list[UtteranceEnded]:
    return [e for e in events if isinstance(e, UtteranceEnded)]


def speech_only(samples: np.ndarray, rate: int) -> np.ndarray:
    """Trim a clip to its first..last 20 ms frame above -45 dBFS (the endpointer's gate)."""
    n = rate // 50
    frames = samples[: len(samples) // n * n].reshape(-1, n).astype(np.float64)
    loud = np.nonzero(10 * np.log10(np.mean(frames**2, axis=1) / 32768**2 + 1e-12) >= -45)[0]
    return samples[loud[0] * n : (loud[-1] + 1) * n]


def clip(name: str, rate: int = 16000) -> np.ndarray:
    samples, file_rate = read_audio(HOTLINE / f"{name}.wav")
    return samples if file_rate == rate else resample(samples, file_rate, rate)


# ---- synthetic signals: exact events and times -------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000])
@pytest.mark.parametrize("noise", [None, -60.0])
def test_two_bursts_exact_events_and_times(rate: int, noise: float | None) -> None:
    audio = np.concatenate(
        [silence(0.5, rate, noise), tone(1.0, rate), silence(1.0, rate, noise, 1), tone(0.4, rate),
         silence(0.3, rate, noise, 2), tone(0.4, rate), silence(1.0, rate, noise, 3)]
    )
    events = run(Endpointer(rate), audio)
    assert kinds(events) == ["SpeechStarted", "BargeIn", "UtteranceEnded"] * 2
    first, second = ended(events)
    assert events[0] == SpeechStarted(0.5)
    assert events[1] == BargeIn(0.8, 0.3)
    assert (first.t_start_s, first.t_end_s, first.reason) == (0.5, 1.5, "silence")
    # samples = 0.3 s pre-roll + 1.0 s speech + 0.6 s of the silence that ended it
    assert len(first.samples) == round(1.9 * rate)
    assert first.samples.dtype == np.int16
    # the 0.3 s pause inside the second burst pair does not split it
    assert events[3] == SpeechStarted(2.5)
    assert (second.t_start_s, second.t_end_s) == (2.5, 3.6)


def test_chunk_size_does_not_change_events() -> None:
    rate = 8000
    audio = np.concatenate([silence(0.37, rate), tone(0.9, rate), silence(0.8, rate),
                            tone(0.5, rate), silence(0.9, rate)])
    whole = run(Endpointer(rate), audio, chunk=len(audio))
    for chunk in (1, 7, 160, 161, 999):
        events = run(Endpointer(rate), audio, chunk=chunk)
        assert kinds(events) == kinds(whole)
        assert [e.t_start_s for e in ended(events)] == [e.t_start_s for e in ended(whole)]
        for a, b in zip(ended(events), ended(whole), strict=True):
            np.testing.assert_array_equal(a.samples, b.samples)


@pytest.mark.parametrize(("pause_s", "utterances"), [(0.5, 1), (0.58, 1), (0.62, 2), (1.0, 2)])
def test_pause_shorter_than_end_silence_does_not_split(pause_s: float, utterances: int) -> None:
    rate = 16000
    audio = np.concatenate([silence(0.3, rate), tone(0.4, rate), silence(pause_s, rate),
                            tone(0.4, rate), silence(1.0, rate)])
    assert len(ended(run(Endpointer(rate), audio))) == utterances


def test_short_burst_starts_speech_without_barge_in() -> None:
    rate = 16000
    audio = np.concatenate([silence(0.5, rate), tone(0.2, rate), silence(1.0, rate)])
    events = run(Endpointer(rate), audio)
    assert kinds(events) == ["SpeechStarted", "UtteranceEnded"]
    assert (events[1].t_start_s, events[1].t_end_s) == (0.5, 0.7)  # type: ignore[union-attr]


def test_click_shorter_than_start_window_is_ignored() -> None:
    rate = 16000
    audio = np.concatenate([silence(0.5, rate), tone(0.06, rate), silence(1.0, rate)])
    assert run(Endpointer(rate), audio) == []


def test_min_speech_s_sets_barge_in_time() -> None:
    rate = 16000
    audio = np.concatenate([silence(0.5, rate), tone(1.0, rate), silence(1.0, rate)])
    events = run(Endpointer(rate, min_speech_s=0.5), audio)
    assert [e for e in events if isinstance(e, BargeIn)] == [BargeIn(1.0, 0.5)]


def test_energy_gate_keeps_quiet_line_noise_out() -> None:
    rate = 16000
    noise = silence(3.0, rate, noise_dbfs=-50.0, seed=7)
    assert run(Endpointer(rate), noise) == []
    # the same noise with the gate lowered is called speech by the VAD: the gate is what helps
    assert run(Endpointer(rate, energy_floor_dbfs=-90.0), noise) != []


def test_quiet_speech_below_gate_is_not_speech() -> None:
    rate = 8000
    audio = np.concatenate([silence(0.5, rate), tone(1.0, rate, level=0.004), silence(1.0, rate)])
    assert run(Endpointer(rate), audio) == []


def test_max_length_cuts_long_speech() -> None:
    rate = 16000
    audio = np.concatenate([silence(0.5, rate), tone(2.5, rate), silence(1.0, rate)])
    events = run(Endpointer(rate, max_utterance_s=1.0), audio)
    cuts = ended(events)
    assert [(e.t_start_s, e.t_end_s, e.reason) for e in cuts] == [
        (0.5, 1.5, "max_length"), (1.5, 2.5, "max_length"), (2.5, 3.0, "silence")]
    assert len(cuts[0].samples) == round(1.3 * rate)  # pre-roll + 1.0 s, no trailing silence
    assert kinds(events).count("BargeIn") == 3


def test_flush_closes_utterance_in_progress() -> None:
    rate = 8000
    ep = Endpointer(rate)
    events = run(ep, np.concatenate([silence(0.5, rate), tone(0.8, rate)[:-37]]))
    assert kinds(events) == ["SpeechStarted", "BargeIn"]
    last = ep.flush()
    assert last is not None and last.reason == "flush"
    assert last.t_start_s == 0.5
    # every sample since the pre-roll is kept, including the partial frame held back
    assert len(last.samples) == round(0.3 * rate) + round(0.8 * rate) - 37
    assert ep.flush() is None
    assert not ep.in_speech


def test_reset_drops_utterance_and_keeps_clock() -> None:
    rate = 16000
    ep = Endpointer(rate)
    run(ep, np.concatenate([silence(0.5, rate), tone(0.5, rate)]))
    assert ep.in_speech
    ep.reset()
    assert not ep.in_speech
    events = run(ep, np.concatenate([silence(1.0, rate), tone(0.5, rate), silence(1.0, rate)]))
    assert kinds(events) == ["SpeechStarted", "BargeIn", "UtteranceEnded"]
    assert events[0] == SpeechStarted(2.0)


def test_config_and_rate_validation() -> None:
    ep = Endpointer.from_config(8000, EndpointerConfig(end_silence_s=0.3))
    audio = np.concatenate([silence(0.2, 8000), tone(0.5, 8000), silence(0.4, 8000)])
    assert len(ended(run(ep, audio))) == 1
    with pytest.raises(ValueError, match="WebRTC VAD"):
        Endpointer(11025)


# ---- real speech --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["A10", "A07", "A10_tel8k", "A40_tel8k"])
def test_real_clip_padded_with_silence_is_one_utterance(name: str) -> None:
    samples, rate = read_audio(HOTLINE / f"{name}.wav")
    n = rate // 50
    frames = samples[: len(samples) // n * n].reshape(-1, n).astype(np.float64)
    loud = np.nonzero(np.sqrt(np.mean(frames**2, axis=1)) > 32768 * 10 ** (-35 / 20))[0]
    truth_start, truth_end = 1.0 + loud[0] / 50, 1.0 + (loud[-1] + 1) / 50
    audio = np.concatenate([silence(1.0, rate), samples, silence(1.0, rate)])
    events = run(Endpointer(rate), audio, chunk=rate // 50)
    assert kinds(events) == ["SpeechStarted", "BargeIn", "UtteranceEnded"]
    (utt,) = ended(events)
    assert abs(utt.t_start_s - truth_start) <= 0.25
    assert abs(utt.t_end_s - truth_end) <= 0.25
    assert utt.reason == "silence"


@pytest.mark.parametrize(("gap_s", "utterances"), [(1.0, 2), (0.3, 1)])
def test_two_real_clips_split_only_on_long_gap(gap_s: float, utterances: int) -> None:
    rate = 16000
    a, b = speech_only(clip("A40"), rate), speech_only(clip("A50"), rate)
    audio = np.concatenate([silence(1.0, rate), a, silence(gap_s, rate), b, silence(1.0, rate)])
    assert len(ended(run(Endpointer(rate), audio))) == utterances


@pytest.mark.parametrize("name", ["A49", "A49_tel8k"])
def test_backchannel_does_not_barge_in(name: str) -> None:
    """A49 opens with a short 嗯 (~0.28 s voiced): speech, but not enough to cut a prompt."""
    samples, rate = read_audio(HOTLINE / f"{name}.wav")
    en = samples[: round(0.76 * rate)]  # 嗯 and the pause after it, before 是这样
    audio = np.concatenate([silence(1.0, rate), en, silence(1.0, rate)])
    events = run(Endpointer(rate), audio)
    assert kinds(events) == ["SpeechStarted", "UtteranceEnded"]
    # a lower threshold would have let the same 嗯 barge in
    assert "BargeIn" in kinds(run(Endpointer(rate, min_speech_s=0.2), audio))
    # the whole answer (嗯，是这样) does barge in, once, and stays one utterance
    whole = run(Endpointer(rate), np.concatenate([silence(1.0, rate), samples, silence(1.0, rate)]))
    assert kinds(whole) == ["SpeechStarted", "BargeIn", "UtteranceEnded"]
