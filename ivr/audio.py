"""Pure audio core: G.711 μ-law/A-law codecs, PCM16 packing, a chunk-invariant resampler,
a fixed-size framer and a level meter.

Everything works on int16 numpy arrays with vectorised table look-ups or integer arithmetic,
so results are exact and reproducible (`audioop` is gone in Python 3.13). No I/O here.
"""

from __future__ import annotations

import math

import numpy as np

# ---- sample coercion ------------------------------------------------------------------------

_I16_MIN, _I16_MAX = -32768, 32767


def as_int16(samples: np.ndarray) -> np.ndarray:
    """Return `samples` as a 1-D int16 array; wider ints and floats are rounded and clipped."""
    arr = np.asarray(samples)
    if arr.ndim != 1:
        raise ValueError(f"expected 1-D samples, got shape {arr.shape}")
    if arr.dtype == np.int16:
        return arr
    if arr.size == 0:
        return np.zeros(0, dtype=np.int16)
    if arr.dtype.kind in "iu":
        return np.clip(arr, _I16_MIN, _I16_MAX).astype(np.int16)
    if arr.dtype.kind == "f":
        return np.clip(np.rint(arr), _I16_MIN, _I16_MAX).astype(np.int16)
    raise TypeError(f"cannot treat dtype {arr.dtype} as audio samples")


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


# ---- resampling -----------------------------------------------------------------------------

_COEF_BITS = 22  # fixed-point filter: integer sums are exact, so chunking cannot change output
_STOPBAND_DB = 60.0
_PASS_EDGE = 0.8  # passband ends at 0.8 x the lower Nyquist, stopband starts at the Nyquist
_OUT_BLOCK = 4096  # outputs per vectorised step, bounds the gathered window matrix


def _kaiser_beta(atten_db: float) -> float:
    return 0.1102 * (atten_db - 8.7)


def _design_polyphase(src: int, dst: int, up: int) -> tuple[np.ndarray, int]:
    """Windowed-sinc kernel sampled at the `up` fractional phases, as Q22 integers.

    Row p holds the taps for an output that falls p/up of the way past input sample i0;
    tap k multiplies input i0 - (half - 1) + k. Returns (coefs[up, 2*half], half).
    """
    low = min(src, dst)
    transition_hz = (1.0 - _PASS_EDGE) * low / 2
    n_taps = (_STOPBAND_DB - 8) / (2.285 * 2 * math.pi * transition_hz / src)
    half = max(2, math.ceil(n_taps / 2))
    cutoff = (1.0 + _PASS_EDGE) / 2 * low / src  # cutoff as a fraction of the input Nyquist
    phases = np.arange(up)[:, None] / up
    t = phases + (half - 1) - np.arange(2 * half)[None, :]
    window = np.i0(_kaiser_beta(_STOPBAND_DB) * np.sqrt(np.clip(1 - (t / half) ** 2, 0, None)))
    taps = cutoff * np.sinc(cutoff * t) * window
    taps /= taps.sum(axis=1, keepdims=True)  # unity DC gain in every phase
    scale = 1 << _COEF_BITS
    coefs = np.rint(taps * scale).astype(np.int64)
    # put the rounding residue on the largest tap so every phase sums to exactly 1.0
    peak = np.argmax(coefs, axis=1)
    coefs[np.arange(up), peak] += scale - coefs.sum(axis=1)
    return coefs, half


class Resampler:
    """Stateful polyphase FIR resampler for any rational ratio dst_rate/src_rate.

    Output sample n sits at input time n*src/dst (no delay); the filter looks `half` input
    samples ahead, so `process` holds back that much until more input or `flush` arrives.
    Feeding the same stream in any chunk sizes yields identical output.
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
        self.src_rate, self.dst_rate = src_rate, dst_rate
        g = math.gcd(src_rate, dst_rate)
        self._up, self._down = dst_rate // g, src_rate // g
        self._identity = self._up == self._down
        if not self._identity:
            self._coefs, self._half = _design_polyphase(src_rate, dst_rate, self._up)
        self._reset()

    def _reset(self) -> None:
        lead = 0 if self._identity else self._half - 1
        self._buf = np.zeros(lead, dtype=np.int64)  # zeros stand in for samples before t=0
        self._base = -lead  # absolute input index of _buf[0]
        self._received = 0
        self._next = 0  # next output index

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Feed input samples; return every output sample that is now fully determined."""
        data = as_int16(samples)
        if self._identity:
            return data.copy()
        self._received += len(data)
        self._buf = np.concatenate([self._buf, data.astype(np.int64)])
        last_ready = self._base + len(self._buf) - 1 - self._half  # newest usable centre
        n_end = ((last_ready + 1) * self._up + self._down - 1) // self._down
        return self._emit(n_end)

    def flush(self) -> np.ndarray:
        """End of stream: emit the tail (zero-padded lookahead) and reset for a new stream."""
        if self._identity:
            return np.zeros(0, dtype=np.int16)
        self._buf = np.concatenate([self._buf, np.zeros(self._half, dtype=np.int64)])
        n_total = -(-self._received * self._up // self._down)
        out = self._emit(n_total)
        self._reset()
        return out

    def _emit(self, n_end: int) -> np.ndarray:
        parts = []
        for start in range(self._next, n_end, _OUT_BLOCK):
            parts.append(self._compute(start, min(start + _OUT_BLOCK, n_end)))
        self._next = max(self._next, n_end)
        # drop input no future output can reach
        first_needed = self._next * self._down // self._up - (self._half - 1)
        drop = min(max(first_needed - self._base, 0), len(self._buf))
        self._buf, self._base = self._buf[drop:], self._base + drop
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def _compute(self, n_start: int, n_end: int) -> np.ndarray:
        pos = np.arange(n_start, n_end, dtype=np.int64) * self._down
        centre, phase = pos // self._up, pos % self._up
        first = centre - (self._half - 1) - self._base
        windows = self._buf[first[:, None] + np.arange(2 * self._half)]
        acc = np.einsum("ij,ij->i", windows, self._coefs[phase])
        out = (acc + (1 << (_COEF_BITS - 1))) >> _COEF_BITS
        return np.clip(out, _I16_MIN, _I16_MAX).astype(np.int16)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """One-shot resampling of a whole signal (same result as a streamed Resampler)."""
    r = Resampler(src_rate, dst_rate)
    return np.concatenate([r.process(samples), r.flush()])


# ---- framing and levels ---------------------------------------------------------------------


def frame_samples_for(rate: int, ms: int = 20) -> int:
    """Samples in one `ms` frame at `rate`; the duration must be a whole number of samples."""
    n, rem = divmod(rate * ms, 1000)
    if n <= 0 or rem:
        raise ValueError(f"{ms} ms at {rate} Hz is not a whole number of samples")
    return n


class Framer:
    """Re-chunks a stream of arbitrary-length pieces into exact `frame_samples` frames."""

    def __init__(self, frame_samples: int) -> None:
        if frame_samples <= 0:
            raise ValueError("frame_samples must be positive")
        self.frame_samples = frame_samples
        self._pending = np.zeros(0, dtype=np.int16)

    @property
    def pending(self) -> int:
        """Samples held back waiting for a full frame."""
        return len(self._pending)

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        """Add samples; return the complete frames now available (possibly none)."""
        data = np.concatenate([self._pending, as_int16(samples)])
        n = len(data) // self.frame_samples
        cut = n * self.frame_samples
        frames = list(data[:cut].reshape(n, self.frame_samples)) if n else []
        self._pending = data[cut:].copy()
        return [f.copy() for f in frames]

    def clear(self) -> None:
        """Discard the held-back partial frame."""
        self._pending = np.zeros(0, dtype=np.int16)


SILENCE_DBFS = -120.0


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level relative to int16 full scale (a full-scale square wave is 0 dBFS).

    Digital silence and empty input report SILENCE_DBFS instead of -inf.
    """
    x = as_int16(samples).astype(np.float64)
    if x.size == 0:
        return SILENCE_DBFS
    rms = math.sqrt(float(np.dot(x, x)) / x.size)
    return max(SILENCE_DBFS, 20 * math.log10(rms / 32768)) if rms > 0 else SILENCE_DBFS
