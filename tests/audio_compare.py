"""Comparing call audio in tests: a recording as call audio, and whether one side's audio
arrived in what the other side received (the contact centre's bridge tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pcm.files import read_audio
from pcm.resample import resample


def clip_8k(path: Path) -> np.ndarray:
    """A recording as 8 kHz int16, the rate of phone calls and of the desk's audio."""
    samples, rate = read_audio(path)
    return resample(samples, rate, 8000) if rate != 8000 else samples


def similarity(heard: np.ndarray, clip: np.ndarray) -> float:
    """The best normalised cross-correlation of `clip` anywhere in `heard` (1.0: identical;
    μ-law and resampling leave about 0.99, unrelated speech stays near 0.1)."""
    heard, clip = heard.astype(np.float64), clip.astype(np.float64)
    n = 1 << int(np.ceil(np.log2(len(heard) + len(clip))))
    corr = np.fft.irfft(np.fft.rfft(heard, n) * np.conj(np.fft.rfft(clip, n)), n)[:len(heard)]
    energy = np.concatenate([[0.0], np.cumsum(heard ** 2)])
    windows = energy[len(clip):] - energy[:-len(clip)]
    corr = corr[:len(windows)]
    norm = np.sqrt(np.maximum(windows, 1e-9) * float(np.sum(clip ** 2)))
    return float(np.max(corr / norm))
