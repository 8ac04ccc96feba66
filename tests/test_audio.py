"""Tests for ivr.audio (G.711, PCM16, resampler, framer, levels) and ivr.audiofile."""

from __future__ import annotations

import math
import pathlib
import warnings

import numpy as np
import pytest
import soundfile as sf

from ivr.media.codecs import (
    alaw_decode,
    alaw_encode,
    array_to_pcm16,
    mulaw_decode,
    mulaw_encode,
    pcm16_to_array,
)
from ivr.media.framing import Framer, frame_samples_for
from pcm.files import AudioFileError, read_audio, write_wav
from pcm.resample import Resampler, resample
from pcm.samples import SILENCE_DBFS, as_int16, rms_dbfs

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


def _audioop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import audioop
        except ImportError:
            pytest.skip("audioop not available (Python >= 3.13)")
    return audioop


def tone(freq: float, rate: int, seconds: float = 1.0, amp: float = 10000.0) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.rint(amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def mid_level_db(x: np.ndarray) -> float:
    """RMS level of the middle half, away from the filter's start/end transients."""
    q = len(x) // 4
    return rms_dbfs(x[q:-q])


# ---- G.711 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value"),
    [(0x00, -32124), (0x80, 32124), (0xFF, 0), (0x7F, 0), (0x7E, -8), (0xFE, 8), (0x0F, -16764)],
)
def test_mulaw_decode_known_values(code: int, value: int) -> None:
    assert mulaw_decode(bytes([code]))[0] == value


@pytest.mark.parametrize(
    ("code", "value"),
    [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xD4, 24), (0x80, 5504)],
)
def test_alaw_decode_known_values(code: int, value: int) -> None:
    assert alaw_decode(bytes([code]))[0] == value


def test_encode_known_values() -> None:
    x = np.array([0, 32767, -32768, 8, -8], dtype=np.int16)
    assert mulaw_encode(x) == bytes([0xFF, 0x80, 0x00, 0xFE, 0x7E])
    assert alaw_encode(x) == bytes([0xD5, 0xAA, 0x2A, 0xD5, 0x55])


def test_g711_matches_audioop_on_every_input() -> None:
    audioop = _audioop()
    pcm = ALL_INT16.astype("<i2").tobytes()
    assert mulaw_encode(ALL_INT16) == audioop.lin2ulaw(pcm, 2)
    assert alaw_encode(ALL_INT16) == audioop.lin2alaw(pcm, 2)
    assert np.array_equal(mulaw_decode(ALL_CODES), pcm16_to_array(audioop.ulaw2lin(ALL_CODES, 2)))
    assert np.array_equal(alaw_decode(ALL_CODES), pcm16_to_array(audioop.alaw2lin(ALL_CODES, 2)))


def test_g711_code_round_trip() -> None:
    assert alaw_encode(alaw_decode(ALL_CODES)) == ALL_CODES
    # μ-law has two zeros; 0x7F ("-0") decodes to 0, which encodes canonically as 0xFF
    expected = bytes(0xFF if c == 0x7F else c for c in ALL_CODES)
    assert mulaw_encode(mulaw_decode(ALL_CODES)) == expected


def test_g711_decode_is_monotonic_and_error_is_bounded() -> None:
    for enc, dec in ((mulaw_encode, mulaw_decode), (alaw_encode, alaw_decode)):
        back = dec(enc(ALL_INT16)).astype(np.int32)
        assert np.all(np.diff(back) >= 0)  # quantiser never reorders samples
        err = np.abs(back - ALL_INT16.astype(np.int32))
        # companding: error grows with magnitude but stays within one step (< 1/16 of it)
        assert np.all(err <= np.maximum(16, np.abs(ALL_INT16.astype(np.int32)) // 16 + 8))


def test_decoded_types_and_empty_input() -> None:
    assert mulaw_decode(b"").dtype == np.int16
    assert alaw_encode(np.zeros(0, dtype=np.int16)) == b""


# ---- PCM16 and coercion ---------------------------------------------------------------------


def test_pcm16_little_endian_round_trip() -> None:
    assert pcm16_to_array(b"\x01\x00\x00\x80\xff\x7f").tolist() == [1, -32768, 32767]
    assert array_to_pcm16(np.array([1, -2], dtype=np.int16)) == b"\x01\x00\xfe\xff"
    assert np.array_equal(pcm16_to_array(array_to_pcm16(ALL_INT16)), ALL_INT16)


def test_pcm16_odd_length_rejected() -> None:
    with pytest.raises(ValueError):
        pcm16_to_array(b"\x00\x01\x02")


def test_as_int16_rounds_and_clips() -> None:
    assert as_int16(np.array([1.6, -40000.0, 40000.0])).tolist() == [2, -32768, 32767]
    assert as_int16(np.array([70000, -5], dtype=np.int32)).tolist() == [32767, -5]
    with pytest.raises(ValueError):
        as_int16(np.zeros((2, 2), dtype=np.int16))


# ---- resampler ------------------------------------------------------------------------------

RATIOS = [
    (8000, 16000),
    (16000, 8000),
    (44100, 16000),
    (48000, 16000),
    (22050, 16000),
    (24000, 16000),
    (44100, 8000),
    (48000, 8000),
    (22050, 8000),
    (24000, 8000),
]


@pytest.mark.parametrize(("src", "dst"), RATIOS)
def test_chunked_equals_whole(src: int, dst: int) -> None:
    rng = np.random.default_rng(src + dst)
    x = rng.integers(-30000, 30000, src // 2).astype(np.int16)
    whole = resample(x, src, dst)
    r = Resampler(src, dst)
    parts, i = [], 0
    while i < len(x):
        n = int(rng.choice([0, 1, 1, 2, 3, 17, 160, 441, 999]))
        parts.append(r.process(x[i : i + n]))
        i += n
    parts.append(r.flush())
    assert np.array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize(("src", "dst"), RATIOS)
def test_output_length_and_dtype(src: int, dst: int) -> None:
    for n in (0, 1, 7, src // 10 + 3):
        y = resample(np.ones(n, dtype=np.int16), src, dst)
        assert y.dtype == np.int16
        assert len(y) == math.ceil(n * dst / src)


@pytest.mark.parametrize(("src", "dst"), RATIOS)
def test_tone_keeps_amplitude_and_phase(src: int, dst: int) -> None:
    # output sample n sits at input time n*src/dst: compare with the tone sampled at dst
    y = resample(tone(1000, src), src, dst)
    expected = tone(1000, dst)
    assert abs(mid_level_db(y) - mid_level_db(expected)) < 1.0
    q = len(y) // 4
    err = y[q:-q].astype(float) - expected[q:-q]
    assert rms_dbfs(err) < mid_level_db(expected) - 40


def test_anti_alias_attenuation() -> None:
    ref = mid_level_db(tone(6000, 16000))
    assert mid_level_db(resample(tone(6000, 16000), 16000, 8000)) < ref - 30
    # the design target is ~60 dB; also check a 44.1 kHz source folding onto 16 kHz
    assert mid_level_db(resample(tone(9000, 44100), 44100, 16000)) < ref - 50


def test_upsampling_suppresses_images() -> None:
    y = resample(tone(1000, 8000), 8000, 16000)
    spectrum = np.abs(np.fft.rfft(y[4000:12000] * np.hanning(8000)))
    freqs = np.fft.rfftfreq(8000, 1 / 16000)
    image = spectrum[np.abs(freqs - 7000) < 20].max()  # 8 kHz - 1 kHz mirror
    assert 20 * np.log10(image / spectrum.max()) < -50


def test_dc_is_exact_and_full_scale_clips_without_wrapping() -> None:
    y = resample(np.full(4000, 12345, dtype=np.int16), 44100, 8000)
    assert np.all(y[200:-200] == 12345)
    square = np.where(np.arange(16000) // 20 % 2, 32767, -32768).astype(np.int16)
    z = resample(square, 16000, 8000).astype(np.int32)
    # overshoot (Gibbs) must saturate, never wrap to the opposite sign
    assert z.max() == 32767 and z.min() == -32768
    assert np.all(np.sign(z[100:-100:10]) == np.sign(square[200:-200:20].astype(np.int32)))


def test_identity_ratio_returns_input_unchanged() -> None:
    x = np.array([5, -7, 32767, -32768], dtype=np.int16)
    r = Resampler(16000, 16000)
    assert np.array_equal(r.process(x), x)
    assert len(r.flush()) == 0


def test_flush_resets_for_a_new_stream() -> None:
    x = tone(440, 8000, 0.3)
    r = Resampler(8000, 16000)
    first = np.concatenate([r.process(x), r.flush()])
    second = np.concatenate([r.process(x), r.flush()])
    assert np.array_equal(first, second)


def test_invalid_rates_rejected() -> None:
    with pytest.raises(ValueError):
        Resampler(0, 8000)


# ---- framer and levels ----------------------------------------------------------------------


def test_framer_emits_exact_frames_and_keeps_remainder() -> None:
    x = np.arange(1000, dtype=np.int16)
    f = Framer(160)
    frames: list[np.ndarray] = []
    for a, b in [(0, 0), (0, 1), (1, 159), (159, 160), (160, 500), (500, 1000)]:
        frames += f.push(x[a:b])
    assert [len(fr) for fr in frames] == [160] * 6
    assert np.array_equal(np.concatenate(frames), x[:960])
    assert f.pending == 40
    assert [len(fr) for fr in f.push(x[:120])] == [160]
    f.clear()
    assert f.pending == 0


def test_frame_samples_for() -> None:
    assert frame_samples_for(8000) == 160
    assert frame_samples_for(16000) == 320
    assert frame_samples_for(44100) == 882
    assert frame_samples_for(16000, ms=30) == 480
    with pytest.raises(ValueError):
        frame_samples_for(22050, ms=10)


def test_rms_dbfs() -> None:
    assert rms_dbfs(np.full(100, -32768, dtype=np.int16)) == pytest.approx(0.0)
    assert rms_dbfs(tone(1000, 8000, amp=32768 / 2)) == pytest.approx(-6.02 - 3.01, abs=0.01)
    assert rms_dbfs(np.zeros(10, dtype=np.int16)) == SILENCE_DBFS
    assert rms_dbfs(np.zeros(0, dtype=np.int16)) == SILENCE_DBFS


# ---- audio files ----------------------------------------------------------------------------


def test_wav_round_trip(tmp_path) -> None:
    x = tone(700, 8000, 0.2)
    write_wav(tmp_path / "a.wav", x, 8000)
    y, rate = read_audio(tmp_path / "a.wav")
    assert rate == 8000 and y.dtype == np.int16
    assert np.array_equal(y, x)
    assert sf.info(str(tmp_path / "a.wav")).subtype == "PCM_16"


def test_stereo_flac_folds_to_mono(tmp_path) -> None:
    left = np.full(100, 30000, dtype=np.int16)
    right = np.full(100, 20000, dtype=np.int16)
    sf.write(str(tmp_path / "s.flac"), np.stack([left, right], axis=1), 16000)
    y, rate = read_audio(tmp_path / "s.flac")
    assert rate == 16000 and y.shape == (100,)
    assert np.all(y == 25000)  # averaged without int16 overflow


def test_unreadable_files_raise_audio_file_error(tmp_path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 10)
    for path in (junk, tmp_path / "missing.wav", tmp_path):
        with pytest.raises(AudioFileError):
            read_audio(path)


def test_read_audio_scales_float_wav(tmp_path: pathlib.Path) -> None:
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(800) / 8000)
    path = tmp_path / "float.wav"
    sf.write(str(path), tone, 8000, subtype="FLOAT")
    samples, rate = read_audio(path)
    assert rate == 8000
    assert 16000 <= int(np.abs(samples).max()) <= 16384


@pytest.mark.parametrize("up", [2, 3, 6])
def test_the_upsampling_fast_path_gives_the_same_samples_as_the_general_one(up: int) -> None:
    rng = np.random.default_rng(up)
    signal = rng.integers(-32768, 32767, 4000, dtype=np.int16)
    fast, general = Resampler(8000, 8000 * up), Resampler(8000, 8000 * up)
    general._compute = general._compute_gathered  # type: ignore[method-assign]
    for chunk in np.array_split(signal, [7, 160, 161, 1000, 1333, 3999]):
        assert np.array_equal(fast.process(chunk), general.process(chunk))
    assert np.array_equal(fast.flush(), general.flush())
