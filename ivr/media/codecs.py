"""Telephony wire codecs: G.711 μ-law and A-law, and 16-bit linear PCM packing (L16).

Vectorised table look-ups on int16 numpy arrays, so results are exact and reproducible
(`audioop` is gone in Python 3.13). The media adapters use them on the wire; tools that
simulate the telephone band (benchmarks, replay) use the same tables. No I/O.
"""

from __future__ import annotations

import numpy as np

from pcm.samples import as_int16

# ---- G.711 ----------------------------------------------------------------------------------
# The tables reproduce the ITU-T G.711 reference coder (Sun's g711.c, which audioop also used):
# μ-law quantises the 14-bit value sample >> 2, A-law the 13-bit value sample >> 3.

_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def _all_int16() -> np.ndarray:
    """Every int16 value, ordered by its uint16 bit pattern (the encoder table index)."""
    return np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.int16).astype(np.int32)


def _build_ulaw_decode() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _build_alaw_decode() -> np.ndarray:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


def _build_ulaw_encode() -> np.ndarray:
    pcm = _all_int16() >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), 8159) + 0x21
    seg = np.searchsorted(_ULAW_SEG_END, mag)
    code = (np.minimum(seg, 7) << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0x0F)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _build_alaw_encode() -> np.ndarray:
    pcm = _all_int16() >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)  # 13-bit range: always < 0x1000, so seg <= 7
    seg = np.searchsorted(_ALAW_SEG_END, mag)
    quant = (mag >> np.maximum(seg, 1)) & 0x0F
    return (((seg << 4) | quant) ^ mask).astype(np.uint8)


ULAW_DECODE: np.ndarray = _build_ulaw_decode()
ALAW_DECODE: np.ndarray = _build_alaw_decode()
_ULAW_ENCODE = _build_ulaw_encode()
_ALAW_ENCODE = _build_alaw_encode()


def _encode(samples: np.ndarray, table: np.ndarray) -> bytes:
    return table[as_int16(samples).view(np.uint16)].tobytes()


def mulaw_encode(samples: np.ndarray) -> bytes:
    """Encode int16 samples to G.711 μ-law bytes."""
    return _encode(samples, _ULAW_ENCODE)


def mulaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 μ-law bytes to int16 samples."""
    return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def alaw_encode(samples: np.ndarray) -> bytes:
    """Encode int16 samples to G.711 A-law bytes."""
    return _encode(samples, _ALAW_ENCODE)


def alaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 A-law bytes to int16 samples."""
    return ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


# ---- linear PCM -----------------------------------------------------------------------------


def pcm16_to_array(data: bytes) -> np.ndarray:
    """Little-endian signed 16-bit PCM bytes -> int16 array (native byte order)."""
    if len(data) % 2:
        raise ValueError(f"PCM16 data has an odd length ({len(data)} bytes)")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def array_to_pcm16(samples: np.ndarray) -> bytes:
    """int16 samples -> little-endian signed 16-bit PCM bytes."""
    return as_int16(samples).astype("<i2").tobytes()
