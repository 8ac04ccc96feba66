"""The encoder's window: faster-whisper's zero padding cut to the configured length."""

from __future__ import annotations

import numpy as np

from asr.whisper_engine import TRAILING_FRAMES, trim_padding


def padded(speech_frames: int, total: int = 3000, mels: int = 80) -> np.ndarray:
    """Features as faster-whisper hands them to the encoder: speech, then zero columns."""
    features = np.zeros((mels, total), dtype=np.float32)
    features[:, :speech_frames] = -0.6  # log-mel of quiet audio normalises below zero
    features[3, speech_frames - 1] = 0.4
    return features


def test_short_speech_is_encoded_in_the_window() -> None:
    out = trim_padding(padded(230), 1000)
    assert out.shape == (80, 1000)
    assert out.flags["C_CONTIGUOUS"]
    assert np.array_equal(out, padded(230)[:, :1000])


def test_speech_longer_than_the_window_keeps_all_of_it_and_some_silence() -> None:
    assert trim_padding(padded(1800), 1000).shape == (80, 1800 + TRAILING_FRAMES)
    assert trim_padding(padded(2990), 1000).shape == (80, 3000)  # never beyond the input


def test_whisper_s_own_window_and_shorter_inputs_pass_unchanged() -> None:
    features = padded(230)
    assert trim_padding(features, 3000) is features
    short = padded(200, total=800)
    assert trim_padding(short, 1000) is short


def test_silence_and_batches() -> None:
    assert trim_padding(np.zeros((80, 3000), np.float32), 1000).shape == (80, 1000)
    batch = np.stack([padded(1500), padded(300)])
    assert trim_padding(batch, 1000).shape == (2, 80, 1500 + TRAILING_FRAMES)
