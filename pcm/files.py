"""Audio file reading and writing for fixtures, prompts, recordings and tools.

Does file I/O through soundfile (libsndfile): any format it reads (wav, flac, ogg, ...) comes
back as int16 mono samples with their sample rate; writing is always 16-bit PCM WAV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from pcm.samples import as_int16, float_to_int16


class AudioFileError(Exception):
    """A file could not be read or written as audio."""


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read an audio file as (int16 mono samples, sample rate); channels are averaged.

    Read as float and scaled here: libsndfile hands float WAVs to an int16 read unscaled
    (peaking at ±1, i.e. silence), while int16 sources survive the float round trip exactly.
    """
    try:
        data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    except (sf.SoundFileError, RuntimeError, OSError, TypeError) as exc:
        raise AudioFileError(f"cannot read audio file {path}: {exc}") from exc
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    return float_to_int16(mono), int(rate)


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """Write int16 mono samples as a 16-bit PCM WAV file."""
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    try:
        sf.write(str(path), as_int16(samples), rate, subtype="PCM_16", format="WAV")
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        raise AudioFileError(f"cannot write audio file {path}: {exc}") from exc
