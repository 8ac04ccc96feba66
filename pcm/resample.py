"""A chunk-invariant polyphase resampler for any rational rate ratio.

Integer (Q22) filter arithmetic makes results exact and reproducible, so streaming a signal in
any chunk sizes gives the same output as resampling it whole: the recognizer (8 kHz calls to
a 16 kHz model) and the media adapters (bot audio to the wire rate) both rely on that. No I/O.
"""

from __future__ import annotations

import math

import numpy as np

from pcm.samples import I16_MAX as _I16_MAX
from pcm.samples import I16_MIN as _I16_MIN
from pcm.samples import as_int16

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
        if len(parts) == 1:
            return parts[0]  # a frame's worth: no copy
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def _compute(self, n_start: int, n_end: int) -> np.ndarray:
        if self._down == 1:
            return self._compute_upsample(n_start, n_end)
        return self._compute_gathered(n_start, n_end)

    def _compute_upsample(self, n_start: int, n_end: int) -> np.ndarray:
        """Integer upsampling (8 -> 16 kHz, every call's audio to the recognizer): output
        n = up*m + p is phase p's taps over the window at input m, so each phase is one
        integer correlation run in C, and the phases interleave. The same integer sums as
        `_compute_gathered`, so the same samples, at a fraction of the cost per frame."""
        up, taps = self._up, 2 * self._half
        acc = np.empty(n_end - n_start, dtype=np.int64)
        for p in range(up):
            first_n = n_start + (p - n_start) % up  # the first output of phase p
            if first_n >= n_end:
                continue
            m_lo, m_hi = first_n // up, (n_end - 1 - p) // up
            lo = m_lo - (self._half - 1) - self._base
            segment = self._buf[lo:lo + (m_hi - m_lo) + taps]
            acc[first_n - n_start::up] = np.correlate(segment, self._coefs[p], "valid")
        return _round_to_int16(acc)

    def _compute_gathered(self, n_start: int, n_end: int) -> np.ndarray:
        pos = np.arange(n_start, n_end, dtype=np.int64) * self._down
        centre, phase = pos // self._up, pos % self._up
        first = centre - (self._half - 1) - self._base
        windows = self._buf[first[:, None] + np.arange(2 * self._half)]
        acc = np.einsum("ij,ij->i", windows, self._coefs[phase])
        return _round_to_int16(acc)


def _round_to_int16(acc: np.ndarray) -> np.ndarray:
    """Q22 sums back to samples: round half up, clip to 16 bits."""
    rounded = (acc + (1 << (_COEF_BITS - 1))) >> _COEF_BITS
    # in place, not np.clip: its Python wrapper costs more than the clipping (it runs for
    # every 20 ms frame of every call)
    np.minimum(rounded, _I16_MAX, out=rounded)
    np.maximum(rounded, _I16_MIN, out=rounded)
    out: np.ndarray = rounded.astype(np.int16)
    return out


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """One-shot resampling of a whole signal (same result as a streamed Resampler)."""
    r = Resampler(src_rate, dst_rate)
    return np.concatenate([r.process(samples), r.flush()])
