"""What a caller hears between hold announcements: a configured recording, or a soft chime.

The generated chime (two quiet bell-like notes every few seconds over silence) tells the
caller the line is alive without masking speech or triggering a DTMF detector (its notes are
single sine partials, never a pair of DTMF frequencies). 8 kHz int16, like every prompt.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from pcm.files import read_audio
from pcm.resample import resample

RATE = 8000
NOTES_HZ = (523.25, 392.0)  # C5, G4: far from the DTMF rows (697-941) and columns (1209+)
LOOP_S = 6.0


@lru_cache(maxsize=1)
def chime(loop_s: float = LOOP_S) -> np.ndarray:
    out = np.zeros(int(loop_s * RATE), np.float64)
    for n, hz in enumerate(NOTES_HZ):
        start, length = int((0.1 + 0.6 * n) * RATE), int(1.2 * RATE)
        t = np.arange(length) / RATE
        note = np.sin(2 * np.pi * hz * t) * np.exp(-3.5 * t)
        out[start:start + length] += 0.12 * note
    return (out * 32767).astype(np.int16)


def hold_audio(path: Path | None) -> np.ndarray:
    """The configured hold recording at 8 kHz, or the chime; a bad file raises with its name
    at start-up, not in a caller's ear."""
    if path is None or not str(path):
        return chime()
    samples, rate = read_audio(path)
    return resample(samples, rate, RATE) if rate != RATE else samples
