"""The streaming DTMF receiver: key presses in call audio, each reported once, with evidence.

20 ms windows every 10 ms (`ivr.dtmf.analysis` judges each). A press starts when three
windows in a row (40 ms of audio) hold the same key, their twist is steady (a tone pair's
level ratio does not wander; speech's does) and, over those 40 ms, both tones peak within
the keypad tolerance; it ends after four windows without it, so a 10 ms dropout does not
split a press and a 40 ms pause separates two. Feeding the same stream in any chunk sizes
gives the same keys.

A press is reported when it ends, as `DtmfKey`: the key, when it sounded, and whether it was
*clean*, i.e. nothing but the tone: the sound just before and just after it (other than the
tone's own ragged edges) stays 15 dB below the tone. A key pressed between words is clean; a
"tone" inside continuous speech is not, and the call does not act on it (see ivr.session).
Pure numpy, no I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ivr.dtmf.analysis import FREQ_TOLERANCE, Window, WindowAnalyser, db_ratio
from pcm.samples import as_int16

HOP_MS = 10
START_WINDOWS = 3  # windows in a row that start a press: 40 ms of tone
END_WINDOWS = 4  # windows in a row without the key that end it
MAX_TWIST_SPREAD_DB = 1.5  # how much the twist may vary across the starting windows
PEAK_SLACK = 0.001  # the peak search's step, on top of the keypad tolerance
CLEAN_MARGIN_DB = 15.0  # around a clean key, other sound stays this far below the tone
_CONTEXT = 3  # windows before a press (and after it) that tell whether it stood alone
_HISTORY = START_WINDOWS + 2 * _CONTEXT


@dataclass(frozen=True)
class DtmfKey:
    """One key press: the key, when it sounded (seconds of audio fed), and whether it was a
    clean tone standing alone (the only kind a call acts on)."""

    key: str
    start_s: float
    end_s: float
    clean: bool


@dataclass
class _Press:
    key: str
    first: int  # index of its first window
    last: int  # index of its latest window holding the key
    tone_energy: float  # the weakest of its starting windows
    before: float  # the loudest other sound just before it


class DtmfDetector:
    """Streaming DTMF receiver: `feed` samples, get each press once it has ended."""

    def __init__(self, sample_rate: int) -> None:
        self.analyser = WindowAnalyser(sample_rate)
        self.sample_rate = sample_rate
        self.hop = sample_rate * HOP_MS // 1000
        self.reset()

    def reset(self) -> None:
        """Forget any partial window and press (e.g. at the start of a new call)."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._hops: deque[np.ndarray] = deque(maxlen=START_WINDOWS + 1)  # the last 40 ms
        self._windows: deque[Window] = deque(maxlen=_HISTORY)
        self._index = -1  # index of the newest window
        self._press: _Press | None = None
        self._misses = 0

    def process(self, samples: np.ndarray) -> list[str]:
        """Feed samples; return the keys of the presses that ended within them."""
        return [k.key for k in self.feed(samples)]

    def feed(self, samples: np.ndarray) -> list[DtmfKey]:
        """Feed samples; return each press that ended within them."""
        data = np.concatenate([self._pending, as_int16(samples)])
        keys = []
        n = len(data) // self.hop
        for i in range(n):
            found = self._hop(data[i * self.hop:(i + 1) * self.hop])
            if found is not None:
                keys.append(found)
        self._pending = data[n * self.hop:].copy()
        return keys

    def flush(self) -> list[DtmfKey]:
        """End of audio: a press still sounding is reported, as not clean (its end, and
        what came after it, are unknown)."""
        press, self._press = self._press, None
        return [] if press is None else [self._report(press, clean=False)]

    def _hop(self, chunk: np.ndarray) -> DtmfKey | None:
        self._hops.append(chunk)
        if len(self._hops) < 2:
            return None
        window = self.analyser.analyse(np.concatenate(list(self._hops)[-2:]))
        self._index += 1
        self._windows.append(window)
        if self._press is not None:
            return self._continue(self._press, window)
        self._maybe_start()
        return None

    def _continue(self, press: _Press, window: Window) -> DtmfKey | None:
        if window.key == press.key:
            press.last, self._misses = self._index, 0
            return None
        self._misses += 1
        if self._misses < END_WINDOWS:
            return None
        self._press = None
        after = _sound(list(self._windows)[-_CONTEXT:])
        limit = press.tone_energy / db_ratio(CLEAN_MARGIN_DB)
        return self._report(press, clean=press.before <= limit and after <= limit)

    def _maybe_start(self) -> None:
        recent = list(self._windows)
        starting = recent[-START_WINDOWS:]
        key = starting[0].key
        if len(starting) < START_WINDOWS or key is None or any(w.key != key for w in starting):
            return
        twists = [w.twist_db for w in starting]
        if max(twists) - min(twists) > MAX_TWIST_SPREAD_DB:
            return
        span = np.concatenate(list(self._hops))  # the 40 ms the starting windows cover
        offsets = self.analyser.peak_offsets(span, starting[0].row, starting[0].col)
        if max(abs(o) for o in offsets) > FREQ_TOLERANCE + PEAK_SLACK:
            return
        before = _sound(recent[:-START_WINDOWS][-(_CONTEXT + 1):-1])
        self._press = _Press(key, self._index - START_WINDOWS + 1, self._index,
                             min(w.tone_energy for w in starting), before)
        self._misses = 0

    def _report(self, press: _Press, clean: bool) -> DtmfKey:
        hop_s = self.hop / self.sample_rate
        return DtmfKey(press.key, round(press.first * hop_s, 3),
                       round((press.last + 2) * hop_s, 3), clean)


def _sound(windows: list[Window]) -> float:
    """The loudest of `windows` that is not DTMF tone (speech, noise, music)."""
    return max((w.total_energy for w in windows if not w.tone_like), default=0.0)
