"""One 20 ms window of call audio judged against the DTMF receiver criteria.

Goertzel evaluates one DFT bin at an arbitrary frequency; here a precomputed, Hann-windowed
basis gives every frequency the checks need in one vectorised product. A window holds a key
only if all of these hold (ITU-T Q.24, Bellcore receiver requirements):

- both tones above an energy floor, each 6 dB over the other tones of its group; a tone's
  energy is the best of five points across the keypad tolerance (±1.5 %), so a keypad at
  the edge of its tolerance loses nothing;
- normal twist (row louder) at most 8 dB, reverse twist at most 4 dB;
- the two tones carry at least 90 % of the window's energy: a tone pair has nothing between
  or around its tones, voiced speech has harmonics and formants everywhere;
- the column tone's second harmonic at least 20 dB down (speech has harmonics, tones do not;
  the row tones' second harmonics fall among the column tones, so they cannot be used).

`peak_offsets` measures, over a longer span of a press, how far each tone's spectral peak
lies from its nominal frequency: 40 ms resolve a speech harmonic 2 % off a DTMF frequency,
20 ms do not. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivr.dtmf.tones import COL_HZ, KEYPAD, ROW_HZ

WINDOW_MS = 20
MIN_TONE_DBFS = -36.0  # each tone's peak amplitude, re int16 full scale
MIN_GROUP_DOMINANCE_DB = 6.0  # best tone over the runner-up within its group
MAX_NORMAL_TWIST_DB = 8.0  # row (low group) louder than column
MAX_REVERSE_TWIST_DB = 4.0  # column (high group) louder than row
MIN_TONE_FRACTION = 0.9  # share of the (windowed) energy the two tones must carry
MAX_SECOND_HARMONIC_DB = -20.0  # the column tone's 2nd harmonic, relative to the tone
FREQ_TOLERANCE = 0.015  # a keypad's allowed frequency error: must be accepted
TONE_LIKE = 0.7  # a window this much tone is the ragged edge of a press, not other sound
_GRID = np.array([-1.0, -0.5, 0.0, 0.5, 1.0]) * FREQ_TOLERANCE
_PEAK_SEARCH = np.linspace(-0.05, 0.05, 81)  # ±5 % in 0.125 % steps
NOMINAL = np.array(ROW_HZ + COL_HZ)


def db_ratio(db: float) -> float:
    """Power ratio for a level difference in dB."""
    return float(10 ** (db / 10))


@dataclass(frozen=True)
class Window:
    """What one window holds: the key it passes as (None if any check failed), the strongest
    row and column tone, their energies and the window's total energy."""

    key: str | None
    row: int
    col: int
    row_energy: float
    col_energy: float
    total_energy: float

    @property
    def tone_energy(self) -> float:
        return self.row_energy + self.col_energy

    @property
    def twist_db(self) -> float:
        """Row tone over column tone, in dB."""
        return 10 * float(np.log10(max(self.row_energy, 1e-12) / max(self.col_energy, 1e-12)))

    @property
    def tone_like(self) -> bool:
        """Mostly DTMF tone even if not a valid key (the ragged edge of a press)."""
        return self.total_energy > 0 and self.tone_energy >= TONE_LIKE * self.total_energy


class WindowAnalyser:
    """Judges fixed-length windows of one sample rate."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate < 2 * COL_HZ[-1] + 1:
            raise ValueError(f"sample rate {sample_rate} Hz cannot carry DTMF tones")
        self.sample_rate = sample_rate
        self.length = sample_rate * WINDOW_MS // 1000
        harmonics = 2 * np.array(COL_HZ)
        self._has_harmonic = harmonics < sample_rate / 2
        grid = (NOMINAL[None, :] * (1 + _GRID)[:, None]).ravel()
        freqs = np.concatenate([grid, np.where(self._has_harmonic, harmonics, 0.0)])
        self._window = np.hanning(self.length + 2)[1:-1]
        s1, s2 = self._window.sum(), float(np.dot(self._window, self._window))
        self._basis = _basis(freqs, self.length, sample_rate) * self._window[:, None]
        # |X(f)|^2 * _scale is the windowed energy a sinusoid at f contributes to the window
        self._scale = 2 * s2 / s1**2
        self._floor = s2 * (32768 * 10 ** (MIN_TONE_DBFS / 20)) ** 2 / 2

    def analyse(self, samples: np.ndarray) -> Window:
        x = np.asarray(samples, dtype=np.float64)
        if len(x) != self.length:
            raise ValueError(f"a window holds {self.length} samples, got {len(x)}")
        xw = x * self._window
        total = float(np.dot(xw, xw))
        energy = np.abs(x @ self._basis) ** 2 * self._scale
        tones = energy[: 8 * len(_GRID)].reshape(len(_GRID), 8).max(axis=0)
        harmonic = energy[8 * len(_GRID):]
        r, c = int(np.argmax(tones[:4])), int(np.argmax(tones[4:]))
        key = self._judge(tones, harmonic, total, r, c) if total > 0 else None
        return Window(key, r, c, float(tones[r]), float(tones[4 + c]), total)

    def _judge(self, tones: np.ndarray, harmonic: np.ndarray, total: float,
               r: int, c: int) -> str | None:
        rows, cols = tones[:4], tones[4:]
        row_e, col_e = float(rows[r]), float(cols[c])
        dominance = db_ratio(MIN_GROUP_DOMINANCE_DB)
        checks = (
            row_e >= self._floor and col_e >= self._floor,
            np.sort(rows)[-2] * dominance <= row_e and np.sort(cols)[-2] * dominance <= col_e,
            row_e <= col_e * db_ratio(MAX_NORMAL_TWIST_DB),
            col_e <= row_e * db_ratio(MAX_REVERSE_TWIST_DB),
            row_e + col_e >= MIN_TONE_FRACTION * total,
            not self._has_harmonic[c] or harmonic[c] <= col_e * db_ratio(MAX_SECOND_HARMONIC_DB),
        )
        return KEYPAD[r][c] if all(checks) else None

    def peak_offsets(self, samples: np.ndarray, row: int, col: int) -> tuple[float, float]:
        """Where the row and column tone's spectral peaks lie, as fractions off nominal,
        over `samples` (a whole press so far: the longer, the finer)."""
        x = np.asarray(samples, dtype=np.float64)
        window = np.hanning(len(x) + 2)[1:-1]
        out = []
        for f in (ROW_HZ[row], COL_HZ[col]):
            basis = _basis(f * (1 + _PEAK_SEARCH), len(x), self.sample_rate)
            spectrum = np.abs((x * window) @ basis)
            out.append(float(_PEAK_SEARCH[int(np.argmax(spectrum))]))
        return out[0], out[1]


def _basis(freqs: np.ndarray, length: int, rate: int) -> np.ndarray:
    n = np.arange(length)[:, None]
    basis: np.ndarray = np.exp(-2j * np.pi * np.asarray(freqs)[None, :] * n / rate)
    return basis
