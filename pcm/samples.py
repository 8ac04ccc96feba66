"""Sample coercion and conversion: int16 is the one in-memory format of audio in hotline-ivr.

Recognizers want float32 in [-1, 1), files and wires carry int16; every conversion goes
through here so the scale (2**15) and the clipping rule are the same everywhere. No I/O.
"""

from __future__ import annotations

import math

import numpy as np

I16_MIN, I16_MAX = -32768, 32767
FULL_SCALE = 32768.0
SILENCE_DBFS = -120.0


def as_int16(samples: np.ndarray) -> np.ndarray:
    """Return `samples` as a 1-D int16 array; wider ints and floats are rounded and clipped."""
    arr = np.asarray(samples)
    if arr.ndim != 1:
        raise ValueError(f"expected 1-D samples, got shape {arr.shape}")
    if arr.dtype == np.int16:
        return arr
    if arr.size == 0:
        return np.zeros(0, dtype=np.int16)
    out: np.ndarray
    if arr.dtype.kind in "iu":
        out = np.clip(arr, I16_MIN, I16_MAX).astype(np.int16)
        return out
    if arr.dtype.kind == "f":
        out = np.clip(np.rint(arr), I16_MIN, I16_MAX).astype(np.int16)
        return out
    raise TypeError(f"cannot treat dtype {arr.dtype} as audio samples")


def int16_to_float32(samples: np.ndarray) -> np.ndarray:
    """int16 samples as float32 in [-1, 1) (full scale 32768), as recognizers take them."""
    return as_int16(samples).astype(np.float32) / np.float32(FULL_SCALE)


def float_to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16: scaled by 32768, rounded, clipped (exact inverse
    of `int16_to_float32` for int16 sources)."""
    arr = np.asarray(samples, dtype=np.float64)
    return as_int16(arr * FULL_SCALE)


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level relative to int16 full scale (a full-scale square wave is 0 dBFS).

    Digital silence and empty input report SILENCE_DBFS instead of -inf.
    """
    x = as_int16(samples).astype(np.float64)
    if x.size == 0:
        return SILENCE_DBFS
    rms = math.sqrt(float(np.dot(x, x)) / x.size)
    return max(SILENCE_DBFS, 20 * math.log10(rms / FULL_SCALE)) if rms > 0 else SILENCE_DBFS
