"""Endpointer on synthetic tone bursts (exact events and times) and on real recorded clips.

Real answers and backchannels come from audio_fixtures/hotline, laid over line noise (white
noise at -50 and -35 dBFS, 50 Hz mains hum) to check utterance counts and barge-in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import webrtcvad

from asr.endpointing import BAND_LOW_HZ, Endpointer, EndpointerConfig, NoInput, band_dbfs
from asr.events import BargeIn, EndpointEvent, SpeechStarted, UtteranceEnded
from pcm.files import read_audio
from pcm.resample import resample

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
    # the same noise with both gates off is called speech by the VAD: the gates are what help
    assert run(Endpointer(rate, energy_floor_dbfs=-90.0, noise_margin_db=None), noise) != []
    # the adaptive noise gate alone also keeps it out
    assert run(Endpointer(rate, energy_floor_dbfs=-90.0), noise) == []


def test_quiet_speech_below_gate_is_not_speech() -> None:
    rate = 8000
    audio = np.concatenate([silence(0.5, rate), tone(1.0, rate, level=0.004), silence(1.0, rate)])
    assert run(Endpointer(rate), audio) == []


@pytest.mark.parametrize("gain_db", [-28.0, -32.0])
def test_quiet_caller_is_heard_but_cannot_barge_in(gain_db: float) -> None:
    """是的 about 30 dB down (peaks near -40 dBFS): speech, but too weak to cut a prompt."""
    rate = 16000
    quiet = np.rint(clip("A46") * 10 ** (gain_db / 20)).astype(np.int16)
    audio = np.concatenate([silence(1.0, rate), quiet, silence(1.0, rate)])
    assert kinds(run(Endpointer(rate), audio)) == ["SpeechStarted", "UtteranceEnded"]
    old_fixed_gate = Endpointer(rate, energy_floor_dbfs=-45.0, noise_margin_db=None)
    if gain_db <= -32:
        assert run(old_fixed_gate, audio) == []  # a -45 dBFS gate alone missed this caller
    if gain_db >= -28:
        lenient = run(Endpointer(rate, barge_in_floor_dbfs=-55.0), audio)
        assert "BargeIn" in kinds(lenient)  # it is the barge-in floor that holds it back


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


# ---- line noise, backchannels and real answers -------------------------------------------

BACKGROUNDS = ["digital", "white-50", "white-35", "hum-20"]


def line_noise(kind: str, seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Float samples of a line background: digital silence, white noise or mains hum.

    `kind` is "digital", "white-<dB>" or "hum-<dB>" (50 Hz; "hum60-<dB>" for 60 Hz), the
    level in dBFS RMS.
    """
    n = round(seconds * rate)
    if kind == "digital":
        return np.zeros(n)
    name, level = kind.split("-")
    rms = 32768 * 10 ** (-float(level) / 20)
    if name == "white":
        return np.random.default_rng(seed).normal(0, rms, n)
    hz = {"hum": 50, "hum60": 60}[name]
    return rms * np.sqrt(2) * np.sin(2 * np.pi * hz * np.arange(n) / rate)


def on_line(parts: list[np.ndarray], rate: int, kind: str) -> np.ndarray:
    """Concatenate clips and silences, then lay the line background under all of it."""
    audio = np.concatenate([p.astype(np.float64) for p in parts])
    audio += line_noise(kind, len(audio) / rate, rate, seed=len(audio))
    return np.clip(np.rint(audio), -32768, 32767).astype(np.int16)


def frame_rms_dbfs(samples: np.ndarray, rate: int) -> np.ndarray:
    n = rate // 50
    frames = samples[: len(samples) // n * n].reshape(-1, n).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) / 32768**2 + 1e-12)


def loud_span(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """Seconds from the first to the end of the last 20 ms frame above -35 dBFS."""
    loud = np.nonzero(frame_rms_dbfs(samples, rate) > -35)[0]
    return loud[0] / 50, (loud[-1] + 1) / 50


def first_word(name: str) -> tuple[np.ndarray, int]:
    """The first run of frames above -30 dBFS in a fixture: e.g. the 嗯 of 嗯，是这样."""
    samples, rate = read_audio(HOTLINE / f"{name}.wav")
    loud = frame_rms_dbfs(samples, rate) > -30
    start = int(np.argmax(loud))
    stop = start + int(np.argmin(loud[start:]))  # first quiet frame after the run
    n = rate // 50
    return samples[start * n : stop * n], rate


def vad_alone_calls_speech(audio: np.ndarray, rate: int) -> float:
    """Share of frames WebRTC VAD (no energy gates) calls speech after its 0.1 s warm-up."""
    vad = webrtcvad.Vad(2)
    n = rate // 50
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    return float(np.mean([vad.is_speech(f.tobytes(), rate) for f in frames[5:]]))


@pytest.mark.parametrize("kind", ["white-50", "white-35", "hum-20", "hum60-20"])
@pytest.mark.parametrize("rate", [8000, 16000])
def test_line_noise_alone_is_never_speech(kind: str, rate: int) -> None:
    audio = on_line([silence(8.0, rate)], rate, kind)
    assert run(Endpointer(rate), audio, chunk=rate // 50) == []


@pytest.mark.parametrize("rate", [8000, 16000])
def test_gates_are_what_keep_noise_and_hum_out(rate: int) -> None:
    hum = on_line([silence(3.0, rate)], rate, "hum-20")
    assert vad_alone_calls_speech(hum, rate) > 0.5  # the VAD alone would take hum for a voice
    white = on_line([silence(3.0, rate)], rate, "white-35")
    assert run(Endpointer(rate, noise_margin_db=None), white) != []  # fixed -45 dBFS gate only


@pytest.mark.parametrize("kind", BACKGROUNDS)
@pytest.mark.parametrize(("suffix", "rate"), [("", 16000), ("_tel8k", 8000)])
def test_three_real_answers_on_a_noisy_line(kind: str, suffix: str, rate: int) -> None:
    """嗯，是这样 / 对，没错 / 是的, 1.5 s apart: exactly three utterances, each barging in."""
    parts, spans, t = [silence(1.0, rate)], [], 1.0
    for name in ("A49", "A47", "A46"):
        samples, file_rate = read_audio(HOTLINE / f"{name}{suffix}.wav")
        assert file_rate == rate
        a, b = loud_span(samples, rate)
        spans.append((t + a, t + b))
        parts += [samples, silence(1.5, rate)]
        t += len(samples) / rate + 1.5
    events = run(Endpointer(rate), on_line(parts, rate, kind), chunk=rate // 50)
    assert kinds(events) == ["SpeechStarted", "BargeIn", "UtteranceEnded"] * 3
    for utt, (a, b) in zip(ended(events), spans, strict=True):
        assert abs(utt.t_start_s - a) <= 0.25 and abs(utt.t_end_s - b) <= 0.25
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    barges = [e for e in events if isinstance(e, BargeIn)]
    for start, barge in zip(starts, barges, strict=True):
        assert barge.voiced_s >= 0.3
        assert barge.t_s - start.t_s >= 0.3 - 1e-9  # 0.3 s voiced cannot take less time


@pytest.mark.parametrize("kind", BACKGROUNDS)
@pytest.mark.parametrize("name", ["A49", "A49_tel8k", "A47", "A47_tel8k"])
def test_backchannel_cut_from_real_speech_never_barges_in(name: str, kind: str) -> None:
    """The 嗯 of A49 / 对 of A47 alone (~0.2-0.3 s): speech, twice, but never a barge-in."""
    word, rate = first_word(name)
    assert 0.15 <= len(word) / rate <= 0.3
    quiet = silence(1.5, rate)
    audio = on_line([silence(1.0, rate), word, quiet, word, quiet], rate, kind)
    events = run(Endpointer(rate), audio, chunk=rate // 50)
    assert kinds(events) == ["SpeechStarted", "UtteranceEnded"] * 2
    # it is the min_speech_s threshold that holds it back: a lower one lets it barge in
    assert "BargeIn" in kinds(run(Endpointer(rate, min_speech_s=0.1), audio))


@pytest.mark.parametrize("kind", BACKGROUNDS)
def test_backchannel_then_real_request_barges_in_once(kind: str) -> None:
    rate = 8000
    word, _ = first_word("A49_tel8k")
    request, _ = read_audio(HOTLINE / "A10_tel8k.wav")
    audio = on_line([silence(1.0, rate), word, silence(1.5, rate), request, silence(1.0, rate)],
                    rate, kind)
    events = run(Endpointer(rate), audio, chunk=rate // 50)
    assert kinds(events) == ["SpeechStarted", "UtteranceEnded",
                             "SpeechStarted", "BargeIn", "UtteranceEnded"]


# ---- settings changed between frames -------------------------------------------------------


def test_longer_end_silence_applies_from_the_next_frame() -> None:
    rate = 16000
    ep = Endpointer(rate)
    events = run(ep, np.concatenate([silence(0.5, rate), tone(0.5, rate), silence(0.4, rate)]),
                 chunk=rate // 50)
    assert kinds(events) == ["SpeechStarted", "BargeIn"]
    ep.configure(end_silence_s=1.0)  # 0.4 s into the pause: the default 0.6 s has not run out
    (utt,) = ended(run(ep, silence(2.0, rate), chunk=rate // 50))
    assert utt.t_end_s == 1.0
    assert len(utt.samples) == round((0.3 + 0.5 + 1.0) * rate)  # 1.0 s of trailing silence


def test_shorter_end_silence_ends_on_the_next_frame() -> None:
    rate = 8000
    ep = Endpointer(rate)
    run(ep, np.concatenate([silence(0.5, rate), tone(0.5, rate), silence(0.4, rate)]))
    ep.configure(end_silence_s=0.2)
    events = run(ep, silence(0.02, rate))
    (utt,) = ended(events)
    assert len(utt.samples) == round((0.3 + 0.5 + 0.42) * rate)


def test_end_silence_override_between_real_utterances() -> None:
    """Digits read out with 0.9 s pauses split at 0.6 s, stay whole at 1.2 s, split again."""
    rate = 16000
    a, b = speech_only(clip("A40"), rate), speech_only(clip("A50"), rate)
    turn = np.concatenate([a, silence(0.9, rate), b, silence(2.0, rate)])
    ep = Endpointer(rate)
    assert len(ended(run(ep, turn))) == 2
    ep.configure(end_silence_s=1.2)
    (whole,) = ended(run(ep, turn))
    assert whole.t_end_s - whole.t_start_s > (len(a) + len(b)) / rate + 0.8
    ep.configure(end_silence_s=0.6)
    assert len(ended(run(ep, turn))) == 2


def test_max_utterance_and_min_speech_change_mid_stream() -> None:
    rate = 16000
    ep = Endpointer(rate)
    run(ep, np.concatenate([silence(0.5, rate), tone(0.5, rate)]))
    ep.configure(max_utterance_s=0.7)
    cut = ended(run(ep, tone(0.5, rate)))
    assert [(u.t_start_s, u.t_end_s, u.reason) for u in cut] == [(0.5, 1.2, "max_length")]
    ep.configure(min_speech_s=0.5, max_utterance_s=15.0)
    events = run(ep, np.concatenate([silence(1.0, rate), tone(1.0, rate), silence(1.0, rate)]))
    assert [e for e in events if isinstance(e, BargeIn)] == [BargeIn(3.0, 0.5)]


def test_configure_rejects_bad_settings_and_keeps_the_old_ones() -> None:
    ep = Endpointer(8000, end_silence_s=0.8)
    with pytest.raises(ValueError, match="end_silence_s"):
        ep.configure(end_silence_s=0.0)
    with pytest.raises(TypeError):
        ep.configure(end_silence=1.0)
    assert ep.config.end_silence_s == 0.8
    with pytest.raises(ValueError, match="no_input_s"):
        Endpointer(8000, no_input_s=-1.0)


# ---- no-input timer ------------------------------------------------------------------------


def test_no_input_fires_once_after_the_timeout() -> None:
    rate = 8000
    events = run(Endpointer(rate, no_input_s=2.0), silence(5.0, rate, noise_dbfs=-50.0))
    assert events == [NoInput(2.0)]


def test_no_input_rearms_after_each_real_utterance() -> None:
    rate = 16000
    answer = clip("A46")
    ep = Endpointer(rate, no_input_s=1.5)
    events = run(ep, np.concatenate([silence(1.0, rate), answer, silence(3.0, rate)]),
                 chunk=rate // 50)
    assert kinds(events) == ["SpeechStarted", "BargeIn", "UtteranceEnded", "NoInput"]
    (utt,) = ended(events)
    # the utterance is reported 0.6 s after its last voiced frame; the timer runs from there
    assert events[-1].t_s == pytest.approx(utt.t_end_s + 0.6 + 1.5, abs=1e-9)  # type: ignore[union-attr]


def test_speech_before_the_timeout_cancels_it() -> None:
    rate = 16000
    ep = Endpointer(rate, no_input_s=2.0)
    events = run(ep, np.concatenate([silence(1.5, rate), tone(0.5, rate), silence(2.0, rate)]))
    assert kinds(events) == ["SpeechStarted", "BargeIn", "UtteranceEnded"]  # re-armed at 2.6
    assert run(ep, silence(0.6, rate)) == [NoInput(4.6)]


def test_arm_and_disarm_no_input_explicitly() -> None:
    rate = 8000
    ep = Endpointer(rate)  # no timer configured: the dialog arms it after each prompt
    assert run(ep, silence(3.0, rate)) == []
    ep.arm_no_input(1.0)
    assert run(ep, silence(2.0, rate)) == [NoInput(4.0)]
    ep.arm_no_input(1.0)
    ep.disarm_no_input()
    assert run(ep, silence(2.0, rate)) == []
    with pytest.raises(ValueError, match="no_input_s"):
        ep.arm_no_input()


def test_no_input_armed_while_speaking_counts_from_the_utterance_end() -> None:
    rate = 16000
    ep = Endpointer(rate)
    run(ep, np.concatenate([silence(0.5, rate), tone(0.5, rate)]))
    ep.arm_no_input(1.0)
    events = run(ep, silence(3.0, rate))
    assert kinds(events) == ["UtteranceEnded", "NoInput"]
    assert events[-1] == NoInput(2.6)  # ended at 1.0 + 0.6 s, then 1.0 s without speech


# ---- streaming the utterance audio ---------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 160, 333, 4000])
def test_utterance_audio_streams_exactly_the_final_samples(chunk: int) -> None:
    rate = 8000
    a, _ = read_audio(HOTLINE / "A10_tel8k.wav")
    b, _ = read_audio(HOTLINE / "A40_tel8k.wav")
    audio = np.concatenate([silence(0.5, rate), a, silence(0.3, rate), b, tone(0.5, rate)])
    ep = Endpointer(rate)
    streamed: list[np.ndarray] = []
    fed = 0
    finished: list[tuple[np.ndarray, np.ndarray]] = []
    for i in range(0, len(audio), chunk):
        for event in ep.process(audio[i : i + chunk]):
            if isinstance(event, UtteranceEnded):
                so_far = np.concatenate(streamed) if streamed else np.zeros(0, np.int16)
                finished.append((so_far, event.samples))
                streamed, fed = [], 0
        piece = ep.utterance_audio(fed)
        fed += len(piece)
        streamed.append(piece)
    last = ep.flush()
    assert last is not None
    finished.append((np.concatenate(streamed), last.samples))
    # A10 (its own trailing silence + 0.3 s splits it from A40), A40, the tone cut by flush
    assert len(finished) == 3
    for head, whole in finished:
        np.testing.assert_array_equal(whole[: len(head)], head)
    # most of each utterance was available before it ended
    assert all(len(head) >= 0.5 * len(whole) for head, whole in finished)
    assert ep.utterance_audio().size == 0


# ---- where speech ends inside the utterance (for decoding a trimmed span) ------------------


@pytest.mark.parametrize("chunk", [160, 333, 4000])
def test_speech_samples_mark_the_end_of_speech_in_a_pause_and_at_the_end(chunk: int) -> None:
    rate = 16000
    frame = rate // 50
    ep = Endpointer(rate)
    assert ep.speech_samples == ep.utterance_samples == 0
    run(ep, np.concatenate([silence(0.5, rate), tone(0.5, rate), silence(0.3, rate)]), chunk)
    assert ep.in_speech
    # 0.3 s pre-roll + 0.5 s tone, then the pause heard so far (to within a frame of each)
    assert ep.speech_samples == pytest.approx(0.8 * rate, abs=frame)
    assert ep.utterance_samples == len(ep.utterance_audio())
    assert ep.utterance_samples - ep.speech_samples == pytest.approx(0.3 * rate, abs=frame + chunk)
    in_pause = ep.speech_samples
    head = ep.utterance_audio()[:in_pause]
    assert np.abs(head[-frame:]).max() > 1000 and not ep.utterance_audio()[in_pause:].any()
    events = ended(run(ep, silence(1.0, rate), chunk))
    assert len(events) == 1 and events[0].speech_samples == in_pause
    np.testing.assert_array_equal(events[0].samples[:in_pause], head)
    assert ep.speech_samples == ep.utterance_samples == 0


def test_speech_samples_move_when_speech_resumes_and_survive_flush() -> None:
    rate = 8000
    ep = Endpointer(rate)
    run(ep, np.concatenate([silence(0.5, rate), tone(0.5, rate), silence(0.4, rate)]))
    first_pause = ep.speech_samples
    run(ep, np.concatenate([tone(0.5, rate), silence(0.2, rate)]))
    assert ep.speech_samples == pytest.approx(first_pause + 0.9 * rate, abs=rate // 50)
    last = ep.flush()
    assert last is not None and last.reason == "flush"
    assert last.speech_samples == pytest.approx((0.3 + 1.4) * rate, abs=rate // 50)
    assert len(last.samples) - last.speech_samples == pytest.approx(0.2 * rate, abs=rate // 50)


def test_real_clip_speech_samples_leave_only_the_end_silence() -> None:
    rate = 16000
    events = ended(run(Endpointer(rate), np.concatenate([clip("A44"), silence(1.0, rate)])))
    assert len(events) == 1
    tail = len(events[0].samples) - events[0].speech_samples
    assert tail == round(0.6 * rate)  # exactly end_silence_s of frames after the last voiced


def _band_dbfs_by_fft(frames: np.ndarray, rate: int) -> np.ndarray:
    """The definition: a Hann-windowed spectrum's one-sided power above BAND_LOW_HZ."""
    n = frames.shape[1]
    window = np.hanning(n + 2)[1:-1]
    spectrum = np.fft.rfft(frames.astype(np.float64) * window, axis=1)
    weights = np.full(n // 2 + 1, 2.0)
    weights[-1] = 1.0 if n % 2 == 0 else 2.0
    weights[: int(np.ceil(BAND_LOW_HZ * n / rate))] = 0.0
    power = (np.abs(spectrum) ** 2 @ weights) / (n * n * np.mean(window**2))
    return 10 * np.log10(np.maximum(power / 32768.0**2, 1e-12))


@pytest.mark.parametrize("rate", [8000, 16000, 32000, 48000])
def test_band_level_by_parseval_equals_the_spectrum_above_the_band_edge(rate: int) -> None:
    """The endpointer computes only the bins below 200 Hz and subtracts them from the frame's
    energy; that is the same level as summing the spectrum above the edge (to far below any
    gate's resolution), for noise, hum, tones and digital silence, one frame or many."""
    n = rate * 20 // 1000
    t = np.arange(n) / rate
    rng = np.random.default_rng(rate)
    rows = [np.zeros(n)]
    for scale in (3.0, 300.0, 30000.0):
        rows += [rng.standard_normal(n) * scale / 3, scale * np.sin(2 * np.pi * 50 * t),
                 scale * np.sin(2 * np.pi * 1000 * t),
                 scale * np.sin(2 * np.pi * 50 * t) + scale / 100 * np.sin(2 * np.pi * 700 * t)]
    frames = np.clip(np.rint(rows), -32768, 32767).astype(np.int16)
    expected = _band_dbfs_by_fft(frames, rate)
    assert np.allclose(band_dbfs(frames, rate), expected, atol=1e-4)
    for i in range(len(frames)):  # the one-frame path
        assert band_dbfs(frames[i : i + 1], rate)[0] == pytest.approx(expected[i], abs=1e-4)
