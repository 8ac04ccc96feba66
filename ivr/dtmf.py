"""In-band DTMF: a tone generator and a streaming Goertzel detector that rejects speech.

The detector cuts the stream into fixed 20 ms blocks (independent of how the caller chunks
it), measures the eight DTMF frequencies in each block, validates the pair with the usual
checks (energy floor, in-group dominance, twist, tone-to-total energy) and reports a key once,
when it has held for two consecutive blocks (40 ms). Pure numpy, no I/O.
"""

from __future__ import annotations

import numpy as np

from pcm.samples import as_int16

ROW_HZ = (697.0, 770.0, 852.0, 941.0)
COL_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = ("123A", "456B", "789C", "*0#D")
KEYS = "".join(KEYPAD)
_KEY_TONES = {
    key: (ROW_HZ[r], COL_HZ[c]) for r, row in enumerate(KEYPAD) for c, key in enumerate(row)
}

BLOCK_MS = 20
MIN_TONE_DBFS = -36.0  # each tone's peak amplitude, re int16 full scale
MIN_GROUP_DOMINANCE_DB = 6.0  # best tone over the runner-up within its group
MAX_NORMAL_TWIST_DB = 8.0  # row (low group) louder than column
MAX_REVERSE_TWIST_DB = 4.0  # column (high group) louder than row
MIN_TONE_FRACTION = 0.7  # share of the (windowed) block energy the two tones must carry
_RAMP_S = 0.002  # raised-cosine edges keep generated tones free of clicks


def generate_dtmf(
    digits: str,
    sample_rate: int = 8000,
    tone_s: float = 0.1,
    gap_s: float = 0.1,
    amplitude: float = 0.3,
) -> np.ndarray:
    """Synthesize `digits` as DTMF: each key is `tone_s` of tone then `gap_s` of silence.

    `amplitude` is each tone's peak as a fraction of full scale (at most 0.5 so the pair
    never clips).
    """
    if not 0 < amplitude <= 0.5:
        raise ValueError(f"amplitude must be in (0, 0.5], got {amplitude}")
    if sample_rate < 2 * COL_HZ[-1] + 1:
        raise ValueError(f"sample rate {sample_rate} Hz cannot carry DTMF tones")
    n_tone, n_gap = round(tone_s * sample_rate), round(gap_s * sample_rate)
    t = np.arange(n_tone) / sample_rate
    envelope = np.ones(n_tone)
    n_ramp = min(round(_RAMP_S * sample_rate), n_tone // 2)
    if n_ramp:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n_ramp) + 0.5) / n_ramp)
        envelope[:n_ramp], envelope[n_tone - n_ramp :] = ramp, ramp[::-1]
    parts = []
    for key in digits.upper():
        if key not in _KEY_TONES:
            raise ValueError(f"not a DTMF key: {key!r}")
        low, high = _KEY_TONES[key]
        tone = np.sin(2 * np.pi * low * t) + np.sin(2 * np.pi * high * t)
        parts.extend([amplitude * 32767 * envelope * tone, np.zeros(n_gap)])
    if not parts:
        return np.zeros(0, dtype=np.int16)
    return np.rint(np.concatenate(parts)).astype(np.int16)


def _db_ratio(db: float) -> float:
    """Power ratio for a level difference in dB."""
    return float(10 ** (db / 10))


class DtmfDetector:
    """Streaming DTMF detector: feed samples, get each key once at key-down."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate < 2 * COL_HZ[-1] + 1:
            raise ValueError(f"sample rate {sample_rate} Hz cannot carry DTMF tones")
        self.sample_rate = sample_rate
        self.block = sample_rate * BLOCK_MS // 1000
        n = np.arange(self.block)[:, None]
        freqs = np.array(ROW_HZ + COL_HZ)[None, :]
        # A Hann window widens each bin enough to accept the +-1.5 % frequency error keypads
        # are allowed (a rectangular 20 ms block loses ~4 dB there) while neighbouring
        # tones, 73+ Hz apart, still fall 14 dB down.
        self._window = np.hanning(self.block + 2)[1:-1]
        s1, s2 = self._window.sum(), np.dot(self._window, self._window)
        # Goertzel evaluates one DFT bin at an arbitrary frequency; a precomputed windowed
        # basis gives the same value for all eight tones in one vectorised product.
        self._basis = np.exp(-2j * np.pi * freqs * n / sample_rate) * self._window[:, None]
        # |X(f)|^2 * _scale is the windowed energy a sinusoid at f contributes to the block
        self._scale = 2 * s2 / s1**2
        floor_amp = 32768 * 10 ** (MIN_TONE_DBFS / 20)
        self._floor = s2 * floor_amp**2 / 2
        self.reset()

    def reset(self) -> None:
        """Forget any partial block and key state (e.g. at the start of a new call)."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._prev: str | None = None  # candidate of the previous block
        self._active: str | None = None  # key already reported and still held
        self._misses = 0  # consecutive blocks without the active key

    def process(self, samples: np.ndarray) -> list[str]:
        """Feed samples; return the keys whose key-down completed within them."""
        data = np.concatenate([self._pending, as_int16(samples)])
        n_blocks = len(data) // self.block
        keys = []
        for i in range(n_blocks):
            key = self._step(self.classify(data[i * self.block : (i + 1) * self.block]))
            if key is not None:
                keys.append(key)
        self._pending = data[n_blocks * self.block :].copy()
        return keys

    def _step(self, candidate: str | None) -> str | None:
        """Debounce: report after two agreeing blocks; release after two blocks without."""
        self._misses = 0 if candidate == self._active else self._misses + 1
        if self._misses >= 2:
            self._active = None
        report = None
        if candidate is not None and candidate == self._prev and candidate != self._active:
            self._active, self._misses, report = candidate, 0, candidate
        self._prev = candidate
        return report

    def classify(self, block: np.ndarray) -> str | None:
        """The key a single block carries, or None if it fails any validity check."""
        x = as_int16(block).astype(np.float64)
        if len(x) != self.block:
            raise ValueError(f"block must hold {self.block} samples, got {len(x)}")
        xw = x * self._window
        total = float(np.dot(xw, xw))
        if total <= 0:
            return None
        energy = np.abs(x @ self._basis) ** 2 * self._scale
        rows, cols = energy[:4], energy[4:]
        r, c = int(np.argmax(rows)), int(np.argmax(cols))
        row_e, col_e = float(rows[r]), float(cols[c])
        if row_e < self._floor or col_e < self._floor:
            return None
        dominance = _db_ratio(MIN_GROUP_DOMINANCE_DB)
        if np.sort(rows)[-2] * dominance > row_e or np.sort(cols)[-2] * dominance > col_e:
            return None
        if row_e > col_e * _db_ratio(MAX_NORMAL_TWIST_DB):
            return None
        if col_e > row_e * _db_ratio(MAX_REVERSE_TWIST_DB):
            return None
        if row_e + col_e < MIN_TONE_FRACTION * total:
            return None
        return KEYPAD[r][c]
