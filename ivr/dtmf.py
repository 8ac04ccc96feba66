"""In-band DTMF: a tone generator and a streaming Goertzel receiver that speech cannot fool.

A DTMF receiver must find every key a keypad sends and never fire on speech or music
("talk-off"), since a `0` heard in a caller's word would transfer them. The detector cuts the
stream into fixed 20 ms blocks (independent of how the caller chunks it) and accepts a block
as a key only if it passes every check of the receiver criteria (ITU-T Q.24, Bellcore):

- both tones present above an energy floor, each dominating the other tones of its group;
- each tone within the keypad tolerance of its nominal frequency (±1.5 %): its energy is
  measured at the best of five points across that tolerance and must beat the energy at
  ±3.5 %, so a speech harmonic near, but not at, a DTMF frequency is not one;
- normal and reverse twist limits;
- the two tones carry nearly all of the block's energy (a tone pair has nothing between or
  around its tones; voiced speech has harmonics and formants everywhere);
- no strong second harmonic of the column tone (speech has harmonics, tones do not; the row
  tone's second harmonic lies among the column tones, so it is not usable);
- a minimum duration of two blocks (40 ms) and a pause of two blocks before the same key
  counts again.

Each key is reported once, as `DtmfKey` with when it started and ended and whether it was
*clean*: the tone stood alone, with no speech-level sound just before or after it. The call
acts only on clean keys (see ivr.session). Pure numpy, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

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
MIN_TONE_FRACTION = 0.9  # share of the (windowed) block energy the two tones must carry
FREQ_TOLERANCE = 0.015  # a keypad's allowed frequency error: must be accepted
FREQ_REJECT = 0.035  # an error a receiver must refuse
MAX_SECOND_HARMONIC_DB = -20.0  # the column tone's 2nd harmonic, relative to the tone
CLEAN_MARGIN_DB = 15.0  # around a clean key, other sound stays this far below the tone
CONTEXT_BLOCKS = 3  # how far before a press (and after, in misses) "around" looks
TONE_LIKE = 0.7  # share of a block's energy in its two strongest tones: a press's edge
_GRID = (-1.0, -0.5, 0.0, 0.5, 1.0)  # points across the tolerance, in FREQ_TOLERANCE units
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


def _sound(blocks: list[BlockTones]) -> float:
    """The loudest block among `blocks` that is not DTMF tone (speech, noise, music)."""
    return max((b.total_energy for b in blocks if not b.tone_like), default=0.0)


@dataclass(frozen=True)
class DtmfKey:
    """One key press found in the audio: which key, when (seconds of audio fed so far), and
    whether it was a clean tone standing alone (the only key a call acts on)."""

    key: str
    start_s: float
    end_s: float
    clean: bool


@dataclass(frozen=True)
class BlockTones:
    """What one block holds: the candidate key (None if any check failed) and its levels."""

    key: str | None
    tone_energy: float  # the strongest row and column tone together
    total_energy: float

    @property
    def tone_like(self) -> bool:
        """Mostly DTMF tone, even if not a valid key (the ragged edge of a press)."""
        return self.total_energy > 0 and self.tone_energy >= TONE_LIKE * self.total_energy


@dataclass
class _Press:
    key: str
    start_block: int
    tone_energy: float
    before: float  # loudest non-tone sound in the blocks just before the press
    last_block: int = 0


class DtmfDetector:
    """Streaming DTMF receiver: feed samples, get each key once, when it is released."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate < 2 * COL_HZ[-1] + 1:
            raise ValueError(f"sample rate {sample_rate} Hz cannot carry DTMF tones")
        self.sample_rate = sample_rate
        self.block = sample_rate * BLOCK_MS // 1000
        n = np.arange(self.block)[:, None]
        nominal = np.array(ROW_HZ + COL_HZ)
        # Energy at five points across each tone's tolerance, at the two reject points, and
        # at the column tones' second harmonics (those below the Nyquist frequency).
        grid = nominal[None, :] * (1 + FREQ_TOLERANCE * np.array(_GRID))[:, None]
        reject = nominal[None, :] * (1 + FREQ_REJECT * np.array([-1.0, 1.0]))[:, None]
        harmonics = 2 * np.array(COL_HZ)
        harmonics = np.where(harmonics < sample_rate / 2, harmonics, 0.0)
        freqs = np.concatenate([grid.ravel(), reject.ravel(), harmonics])
        # A Hann window keeps neighbouring DTMF tones (73+ Hz apart) 14 dB down.
        self._window = np.hanning(self.block + 2)[1:-1]
        s1, s2 = self._window.sum(), np.dot(self._window, self._window)
        # Goertzel evaluates one DFT bin at an arbitrary frequency; a precomputed windowed
        # basis gives the same value for every frequency in one vectorised product.
        self._basis = np.exp(-2j * np.pi * freqs[None, :] * n / sample_rate) * self._window[:, None]
        self._has_harmonic = harmonics > 0
        # |X(f)|^2 * _scale is the windowed energy a sinusoid at f contributes to the block
        self._scale = 2 * s2 / s1**2
        floor_amp = 32768 * 10 ** (MIN_TONE_DBFS / 20)
        self._floor = s2 * floor_amp**2 / 2
        self.reset()

    def reset(self) -> None:
        """Forget any partial block and key state (e.g. at the start of a new call)."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._blocks = 0  # blocks analysed so far
        self._history: list[BlockTones] = []  # the last few blocks, newest last
        self._press: _Press | None = None  # the key being held
        self._misses = 0  # consecutive blocks without the held key

    def process(self, samples: np.ndarray) -> list[str]:
        """Feed samples; return the keys released within them (clean or not)."""
        return [k.key for k in self.feed(samples)]

    def feed(self, samples: np.ndarray) -> list[DtmfKey]:
        """Feed samples; return each key press that ended within them."""
        data = np.concatenate([self._pending, as_int16(samples)])
        n_blocks = len(data) // self.block
        keys = []
        for i in range(n_blocks):
            found = self._step(self.analyse(data[i * self.block : (i + 1) * self.block]))
            if found is not None:
                keys.append(found)
        self._pending = data[n_blocks * self.block :].copy()
        return keys

    def flush(self) -> list[DtmfKey]:
        """End of audio: a key still held is reported (as not clean: its end is unknown)."""
        press, self._press = self._press, None
        return [] if press is None else [self._key(press, clean=False)]

    def _step(self, tones: BlockTones) -> DtmfKey | None:
        """Two agreeing blocks start a press; two blocks without the key end it."""
        index = self._blocks
        self._blocks += 1
        history = self._history
        self._history = [*history[-(CONTEXT_BLOCKS + 1):], tones]
        press = self._press
        if press is not None:
            if tones.key == press.key:
                press.last_block, self._misses = index, 0
                return None
            self._misses += 1
            if self._misses < 2:
                return None
            self._press = None
            after = _sound(self._history[-2:])
            return self._key(press, self._quiet(press.tone_energy, press.before, after))
        prev = history[-1] if history else None
        if tones.key is not None and prev is not None and prev.key == tones.key:
            before = _sound(history[-(CONTEXT_BLOCKS + 1):-1])
            self._press = _Press(tones.key, index - 1,
                                 min(tones.tone_energy, prev.tone_energy), before, index)
            self._misses = 0
        return None

    @staticmethod
    def _quiet(tone_energy: float, before: float, after: float) -> bool:
        limit = tone_energy / _db_ratio(CLEAN_MARGIN_DB)
        return before <= limit and after <= limit

    def _key(self, press: _Press, clean: bool) -> DtmfKey:
        seconds = self.block / self.sample_rate
        return DtmfKey(press.key, round(press.start_block * seconds, 3),
                       round((press.last_block + 1) * seconds, 3), clean)

    def classify(self, block: np.ndarray) -> str | None:
        """The key a single block carries, or None if it fails any validity check."""
        return self.analyse(block).key

    def analyse(self, block: np.ndarray) -> BlockTones:
        """Check one block against every receiver criterion."""
        x = as_int16(block).astype(np.float64)
        if len(x) != self.block:
            raise ValueError(f"block must hold {self.block} samples, got {len(x)}")
        xw = x * self._window
        total = float(np.dot(xw, xw))
        if total <= 0:
            return BlockTones(None, 0.0, 0.0)
        energy = np.abs(x @ self._basis) ** 2 * self._scale
        n_grid = len(_GRID) * 8
        tones = energy[:n_grid].reshape(len(_GRID), 8).max(axis=0)  # best point per tone
        outside = energy[n_grid:n_grid + 16].reshape(2, 8).max(axis=0)
        harmonic = energy[n_grid + 16:]
        key = self._judge(tones, outside, harmonic, total)
        r, c = int(np.argmax(tones[:4])), int(np.argmax(tones[4:]))
        return BlockTones(key, float(tones[r] + tones[4 + c]), total)

    def _judge(self, tones: np.ndarray, outside: np.ndarray, harmonic: np.ndarray,
               total: float) -> str | None:
        rows, cols = tones[:4], tones[4:]
        r, c = int(np.argmax(rows)), int(np.argmax(cols))
        row_e, col_e = float(rows[r]), float(cols[c])
        if row_e < self._floor or col_e < self._floor:
            return None
        dominance = _db_ratio(MIN_GROUP_DOMINANCE_DB)
        if np.sort(rows)[-2] * dominance > row_e or np.sort(cols)[-2] * dominance > col_e:
            return None
        if outside[r] > row_e or outside[4 + c] > col_e:
            return None  # the energy peaks off the keypad's frequency
        if row_e > col_e * _db_ratio(MAX_NORMAL_TWIST_DB):
            return None
        if col_e > row_e * _db_ratio(MAX_REVERSE_TWIST_DB):
            return None
        if row_e + col_e < MIN_TONE_FRACTION * total:
            return None
        if self._has_harmonic[c] and harmonic[c] > col_e * _db_ratio(MAX_SECOND_HARMONIC_DB):
            return None
        return KEYPAD[r][c]
