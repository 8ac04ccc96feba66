"""Tests for ivr.dtmf: generator, streaming detector, speech rejection, and the fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ivr.dtmf import COL_HZ, KEYS, ROW_HZ, DtmfDetector, generate_dtmf
from ivr.media.codecs import mulaw_decode, mulaw_encode
from pcm.files import read_audio
from pcm.samples import as_int16

FIXTURES = Path(__file__).resolve().parent.parent / "audio_fixtures"
SEQUENCE = "0123456789*#ABCD"
SPEECH_CLIPS = sorted((FIXTURES / "hotline").glob("*.wav")) + sorted(
    (FIXTURES / "speech").glob("*.wav")
)
TALK_OFF_CLIPS = sorted((FIXTURES / "talk_off").glob("*.wav"))  # fired the old detector
DTMF_CLIPS = sorted((FIXTURES / "dtmf").glob("*.wav"))


def detect(samples: np.ndarray, rate: int) -> str:
    return "".join(DtmfDetector(rate).process(samples))


def two_tones(
    low: float,
    high: float,
    rate: int = 8000,
    seconds: float = 0.1,
    low_db: float = -10.5,
    high_db: float = -10.5,
) -> np.ndarray:
    """A tone pair with given per-tone peak levels (dBFS), padded with 50 ms of silence."""
    t = np.arange(round(rate * seconds)) / rate
    x = 32767 * (
        10 ** (low_db / 20) * np.sin(2 * np.pi * low * t)
        + 10 ** (high_db / 20) * np.sin(2 * np.pi * high * t)
    )
    pad = np.zeros(rate // 20)
    return as_int16(np.concatenate([pad, x, pad]))


def add_noise(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """White noise at `snr_db` below the signal's power while the tone sounds."""
    sig = x.astype(np.float64)
    power = np.mean(sig[sig != 0] ** 2)
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(x))
    return as_int16(sig + noise)


# ---- generator ------------------------------------------------------------------------------


def test_generate_layout_and_level() -> None:
    x = generate_dtmf("12", 8000, tone_s=0.05, gap_s=0.03, amplitude=0.25)
    assert x.dtype == np.int16 and len(x) == 2 * (400 + 240)
    assert np.all(x[400:640] == 0) and np.all(x[1040:] == 0)
    assert 0.45 * 32767 < np.abs(x).max() <= 0.5 * 32767 + 1
    spectrum = np.abs(np.fft.rfft(x[:400]))
    peaks = sorted(np.argsort(spectrum)[-2:] * 8000 / 400)
    # key 1 = 697 Hz + 1209 Hz, to within the 20 Hz FFT bin spacing
    assert peaks == pytest.approx([ROW_HZ[0], COL_HZ[0]], abs=10)


def test_generate_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        generate_dtmf("1x2")
    with pytest.raises(ValueError):
        generate_dtmf("1", amplitude=0.6)
    assert len(generate_dtmf("")) == 0
    assert detect(generate_dtmf("abcd"), 8000) == "ABCD"


# ---- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000])
@pytest.mark.parametrize("key", list(KEYS))
def test_every_key_clean_noisy_and_mulaw(key: str, rate: int) -> None:
    x = generate_dtmf(key, rate)
    assert detect(x, rate) == key
    assert detect(add_noise(x, 20, seed=ord(key) + rate), rate) == key
    assert detect(mulaw_decode(mulaw_encode(x)), rate) == key


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_sequence_detected_in_order_once_each(rate: int) -> None:
    x = generate_dtmf(SEQUENCE, rate)
    assert detect(x, rate) == SEQUENCE
    assert detect(add_noise(mulaw_decode(mulaw_encode(x)), 20, seed=rate), rate) == SEQUENCE


def test_long_press_reported_once_and_repeats_reported_again() -> None:
    assert detect(generate_dtmf("5", tone_s=1.5), 8000) == "5"
    assert detect(generate_dtmf("1122"), 8000) == "1122"


@pytest.mark.parametrize("seed", range(5))
def test_chunk_boundaries_do_not_matter(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = add_noise(generate_dtmf(SEQUENCE, 8000, tone_s=0.07, gap_s=0.05), 20, seed=seed)
    x = np.concatenate([np.zeros(int(rng.integers(0, 160)), dtype=np.int16), x])
    det = DtmfDetector(8000)
    keys, i = [], 0
    while i < len(x):
        n = int(rng.choice([0, 1, 2, 13, 80, 159, 160, 161, 999]))
        keys += det.process(x[i : i + n])
        i += n
    assert "".join(keys) == detect(x, 8000) == SEQUENCE


@pytest.mark.parametrize("offset", range(1200, 1360, 16))
def test_short_dropout_does_not_double_a_key(offset: int) -> None:
    x = generate_dtmf("5", tone_s=0.4)
    x[offset : offset + 80] = 0  # 10 ms break inside the press
    assert detect(x, 8000) == "5"
    x[offset : offset + 400] = 0  # 50 ms release: two presses
    assert detect(x, 8000) == "55"


def test_a_key_is_reported_once_released_with_when_it_sounded() -> None:
    det = DtmfDetector(8000)
    x = np.concatenate([np.zeros(800, np.int16), generate_dtmf("7", tone_s=0.5, gap_s=0.1)])
    assert det.feed(x[:4400]) == []  # held: not yet (its end decides whether it was clean)
    (key,) = det.feed(x[4400:])
    assert (key.key, key.clean) == ("7", True)
    assert key.start_s == pytest.approx(0.1, abs=0.021)
    assert key.end_s == pytest.approx(0.6, abs=0.021)


def test_a_key_still_held_at_the_end_is_reported_by_flush_as_not_clean() -> None:
    det = DtmfDetector(8000)
    assert det.feed(generate_dtmf("9", tone_s=0.3, gap_s=0)) == []
    (key,) = det.flush()
    assert (key.key, key.clean) == ("9", False)
    assert det.flush() == []


def test_reset_forgets_state() -> None:
    det = DtmfDetector(8000)
    x = generate_dtmf("9", tone_s=0.2, gap_s=0)
    assert det.process(x) == []
    det.reset()
    assert det.process(x) == []  # the press in progress was forgotten
    assert det.process(np.zeros(800, np.int16)) == ["9"]


# ---- rejection ------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", range(0, 160, 16))
def test_minimum_duration_and_pause(offset: int) -> None:
    lead = np.zeros(offset, np.int16)
    for ms, expected in ((30, ""), (45, "5"), (60, "5")):  # never below 30 ms, always 45+
        tone = generate_dtmf("5", tone_s=ms / 1000, gap_s=0.1)
        assert detect(np.concatenate([lead, tone]), 8000) == expected, ms
    for ms, expected in ((10, "5"), (30, "55")):  # a 10 ms break is bridged, 30 ms separates
        tone = generate_dtmf("5", tone_s=0.1, gap_s=ms / 1000)
        assert detect(np.concatenate([lead, tone, tone, np.zeros(800, np.int16)]),
                      8000) == expected, ms


def test_energy_floor() -> None:
    assert detect(two_tones(852, 1477, low_db=-30, high_db=-30), 8000) == "9"
    assert detect(two_tones(852, 1477, low_db=-45, high_db=-45), 8000) == ""


def test_single_tone_is_not_a_key() -> None:
    assert detect(two_tones(697, 1209, high_db=-90), 8000) == ""
    assert detect(two_tones(697, 1209, low_db=-90), 8000) == ""


@pytest.mark.parametrize(
    ("low_db", "high_db", "expected"),
    [
        (-10, -17, "5"),  # row 7 dB louder: normal twist within 8 dB
        (-10, -19, ""),  # 9 dB: too much
        (-13, -10, "5"),  # column 3 dB louder: reverse twist within 4 dB
        (-15, -10, ""),  # 5 dB: too much
    ],
)
def test_twist_limits(low_db: float, high_db: float, expected: str) -> None:
    assert detect(two_tones(770, 1336, low_db=low_db, high_db=high_db), 8000) == expected


@pytest.mark.parametrize(("deviation", "expected"), [(0.015, "D"), (-0.015, "D"), (0.035, "")])
def test_frequency_tolerance(deviation: float, expected: str) -> None:
    assert detect(two_tones(941 * (1 + deviation), 1633 * (1 - deviation)), 8000) == expected
    assert detect(two_tones(697 * (1 - deviation), 1209 * (1 + deviation)), 8000) == (
        "1" if expected else ""
    )


def test_row_tone_must_dominate_its_group() -> None:
    # 697 Hz with a second row tone 3.5 dB weaker: enough energy share, but ambiguous key
    second = two_tones(770, 3000, low_db=-14, high_db=-90)
    assert detect(as_int16(two_tones(697, 1209).astype(np.int32) + second), 8000) == ""
    weak = two_tones(770, 3000, low_db=-24, high_db=-90)  # 13.5 dB down: clearly dominated
    assert detect(as_int16(two_tones(697, 1209).astype(np.int32) + weak), 8000) == "1"


def test_a_strong_second_harmonic_is_speech_not_a_key() -> None:
    pair = two_tones(852, 1336)  # 8
    for harmonic_db, expected in ((-30, "8"), (-12, "")):  # relative to the column tone
        overtone = two_tones(2 * 1336, 3999, low_db=-10.5 + harmonic_db, high_db=-120)
        assert detect(as_int16(pair.astype(np.int32) + overtone), 8000) == expected


@pytest.mark.parametrize(("deviation", "expected"), [(0.0, "0"), (0.015, "0"), (0.025, ""),
                                                     (-0.025, "")])
def test_a_tone_must_peak_within_the_keypad_tolerance(deviation: float, expected: str) -> None:
    # 2.5 % off: a speech harmonic near a DTMF frequency, not a keypad within ±1.5 %
    assert detect(two_tones(941 * (1 + deviation), 1336), 8000) == expected


def test_the_level_ratio_of_a_press_must_hold_steady() -> None:
    rate, t = 8000, np.arange(800) / 8000
    steps = np.repeat([0.0, -4.0, 0.0, -4.0, 0.0], 160)  # the row tone wobbling by 4 dB
    for wobble, expected in ((steps * 0, "9"), (steps, "")):
        x = 3000 * (10 ** (wobble / 20) * np.sin(2 * np.pi * 852 * t)
                    + np.sin(2 * np.pi * 1477 * t))
        pad = np.zeros(400)
        assert detect(as_int16(np.concatenate([pad, x, pad])), rate) == expected


def test_a_press_between_silences_is_clean_and_one_against_speech_is_not() -> None:
    speech, _ = read_audio(FIXTURES / "hotline" / "A10_tel8k.wav")
    speech = speech[8000:12000]  # half a second of the caller talking
    tone = generate_dtmf("0", tone_s=0.1, gap_s=0)
    quiet = np.zeros(800, np.int16)

    def press(*parts: np.ndarray) -> list[tuple[str, bool]]:
        return [(k.key, k.clean) for k in DtmfDetector(8000).feed(np.concatenate(parts))]

    assert press(quiet, tone, quiet) == [("0", True)]
    assert press(speech, quiet, tone, quiet, speech) == [("0", True)]  # between words
    mixed = as_int16(speech[:800].astype(np.int32) // 8 + tone)  # talking over the tone
    assert press(speech, mixed, speech) in ([], [("0", False)])
    assert press(speech, tone, speech) == [("0", False)]  # no pause: inside the speech


def test_tones_must_carry_most_of_the_energy() -> None:
    # a louder out-of-band tone (2.5 kHz) makes the pair a minority of the energy
    pair = two_tones(852, 1336)
    extra = two_tones(2500, 3000, low_db=-7, high_db=-90)
    assert detect(pair, 8000) == "8"
    assert detect(as_int16(pair.astype(np.int32) + extra), 8000) == ""


@pytest.mark.parametrize("path", SPEECH_CLIPS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_detections_on_speech(path: Path) -> None:
    x, rate = read_audio(path)
    assert detect(x, rate) == ""
    assert detect(as_int16(x.astype(np.float64) * 3), rate) == ""  # loud, partly clipped


@pytest.mark.parametrize("path", TALK_OFF_CLIPS, ids=lambda p: p.name)
def test_speech_that_fired_the_old_detector_holds_no_key(path: Path) -> None:
    x, rate = read_audio(path)
    assert detect(x, rate) == ""
    assert detect(as_int16(x.astype(np.float64) * 2), rate) == ""


def test_speech_fixtures_exist() -> None:
    assert len(SPEECH_CLIPS) >= 40
    assert len(TALK_OFF_CLIPS) >= 8


# ---- generated fixtures ---------------------------------------------------------------------


def test_dtmf_fixtures_exist() -> None:
    names = {p.stem for p in DTMF_CLIPS}
    assert {"key0", "key1", "keys_123", "all_keys"} <= names


@pytest.mark.parametrize("path", DTMF_CLIPS, ids=lambda p: p.name)
def test_detector_recovers_fixture_sidecar(path: Path) -> None:
    x, rate = read_audio(path)
    assert rate == 8000
    expected = path.with_suffix(".txt").read_text(encoding="utf-8").strip()
    assert detect(x, rate) == expected
    assert detect(mulaw_decode(mulaw_encode(x)), rate) == expected
