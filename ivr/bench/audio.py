"""Audio as the benchmarks hear it: any file a recording comes in, and the telephone band.

Recordings arrive as WAV, FLAC, MP3 or AMR-NB; libsndfile reads most, sox decodes the rest.
The telephone band is what a call carries: 8 kHz G.711 μ-law, from a provided
`<name>_tel8k.wav` (band-limited 300–3400 Hz when it was made) or the file resampled. Shared
by `ivr bench asr` and `ivr bench dtmf`. Reads files (and runs sox); writes nothing.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ivr.media.codecs import mulaw_decode, mulaw_encode
from pcm.files import AudioFileError, read_audio
from pcm.resample import resample

TEL_RATE = 8000
TEL_SUFFIX = "_tel8k"


def load_audio(path: Path) -> tuple[np.ndarray, int]:
    """int16 mono samples and rate; formats libsndfile cannot read (AMR) go through sox."""
    try:
        return read_audio(path)
    except AudioFileError:
        if not path.is_file():
            raise
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "decoded.wav"
        cmd = ["sox", str(path), "-b", "16", "-e", "signed-integer", str(wav)]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise AudioFileError(f"cannot read audio file {path} (sox: {exc})") from exc
        return read_audio(wav)


def telephone_band(path: Path, samples: np.ndarray, rate: int) -> np.ndarray:
    """8 kHz μ-law round trip of a file: its `_tel8k` sibling when present, else resampled."""
    sibling = path.with_name(f"{path.stem}{TEL_SUFFIX}.wav")
    if sibling.is_file():
        samples, rate = read_audio(sibling)
    narrow = samples if rate == TEL_RATE else resample(samples, rate, TEL_RATE)
    return mulaw_decode(mulaw_encode(narrow))


def telephone_audio(path: Path) -> np.ndarray:
    """A file as a call would carry it: 8 kHz μ-law decoded to int16."""
    samples, rate = load_audio(path)
    return telephone_band(path, samples, rate)
