"""Voice-activity endpointing: cut a caller's audio stream into utterances.

WebRTC VAD classifies 20 ms frames; an energy gate measured above 200 Hz (so mains hum and DC
never count) keeps line noise out: a frame is loud only above `energy_floor_dbfs` and, when
`noise_margin_db` is set, that many dB above a tracked noise floor. Speech starts after a
mostly-voiced 0.1 s (the pre-roll before it is kept so the recognizer hears the onset),
barge-in is signalled once the utterance holds `min_speech_s` of firmly voiced audio (so
backchannels such as 嗯 do not cut a prompt), and an utterance ends after `end_silence_s` of
non-speech, which also bridges pauses between words. An optional no-input timer reports
`NoInput` when no speech starts within `no_input_s`. Every setting can change between frames
(`configure`). Pure and synchronous: times are seconds of audio processed, never wall clock;
no I/O, no threads.
"""

from __future__ import annotations

import functools
import math
from collections import deque
from dataclasses import dataclass, fields, replace

import numpy as np
import webrtcvad

from asr.events import BargeIn, EndpointEvent, EndReason, SpeechStarted, UtteranceEnded
from pcm.samples import as_int16

FRAME_MS = 20
START_WINDOW = 5  # frames (0.1 s) looked at to decide that speech started ...
START_VOICED = 4  # ... of which this many must be voiced
# In speech, a voiced frame extends the utterance only if another voiced frame is close by,
# so an isolated click in the trailing silence cannot hold an utterance open.
CONTINUE_VOICED = 2
VAD_RATES = (8000, 16000, 32000, 48000)
# Loudness ignores everything below this: 50/60 Hz hum and DC are not speech, and telephone
# speech carries its energy in 300-3400 Hz anyway.
BAND_LOW_HZ = 200.0
# The noise floor follows quieter frames at once and creeps up at this rate otherwise: fast
# enough to learn a new line-noise level within seconds, slow enough that the pauses between
# syllables keep pulling it back down during long speech.
NOISE_RISE_DB_PER_S = 3.0
NOISE_FLOOR_MIN_DBFS = -100.0  # digital silence would otherwise sit at -120 and adapt slowly


@dataclass(frozen=True)
class NoInput:
    """No speech started within `no_input_s` of arming the timer; `t_s` is when it expired."""

    t_s: float


EndpointerEvent = EndpointEvent | NoInput


@dataclass(frozen=True)
class EndpointerConfig:
    """Endpointing knobs (seconds, dBFS, dB); defaults follow common telephony practice.

    `no_input_s` None disables the automatic no-input timer (the dialog may run its own);
    `noise_margin_db` None disables the adaptive noise gate (the fixed floor still applies).
    Only voiced frames at least `barge_in_floor_dbfs` loud count towards `min_speech_s`:
    quiet word endings keep an utterance going, but cutting a prompt needs firm speech.
    """

    end_silence_s: float = 0.6
    min_speech_s: float = 0.3
    max_utterance_s: float = 15.0
    vad_aggressiveness: int = 2
    preroll_s: float = 0.3
    energy_floor_dbfs: float = -55.0
    noise_margin_db: float | None = 8.0
    barge_in_floor_dbfs: float = -45.0
    no_input_s: float | None = None

    def __post_init__(self) -> None:
        positive = {"end_silence_s": self.end_silence_s, "max_utterance_s": self.max_utterance_s}
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if self.min_speech_s < 0 or self.preroll_s < 0:
            raise ValueError("min_speech_s and preroll_s must not be negative")
        if self.no_input_s is not None and not self.no_input_s > 0:
            raise ValueError(f"no_input_s must be positive or None, got {self.no_input_s}")
        if self.vad_aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"vad_aggressiveness must be 0..3, got {self.vad_aggressiveness}")


CONFIG_FIELDS = frozenset(f.name for f in fields(EndpointerConfig))


def _frames(seconds: float) -> int:
    """Whole 20 ms frames covering `seconds` (tolerating float noise such as 0.6/0.02)."""
    return max(1, math.ceil(seconds * 1000 / FRAME_MS - 1e-6))


def band_dbfs(frames: np.ndarray, sample_rate: int) -> np.ndarray:
    """Level of each row above BAND_LOW_HZ, relative to int16 full scale (as rms_dbfs).

    The power of a Hann-windowed frame's spectrum above BAND_LOW_HZ, corrected for the
    window, so broadband signals read the same as their time-domain RMS. By Parseval, the
    whole one-sided spectrum's power is the windowed frame's energy times its length, so only
    the few bins below BAND_LOW_HZ are computed and subtracted. Window, weights and scale are
    folded into one vector and one small matrix made once per frame size, so a frame costs
    three products (the same level as summing the spectrum above the band edge, within float
    rounding, at a fraction of an FFT's cost for every 20 ms frame of every call).
    """
    energy_weights, low_basis = _band_weights(frames.shape[1], sample_rate)
    if len(frames) == 1:  # one 20 ms frame, the usual case: 1-D products and scalar math
        x = frames[0].astype(np.float64)
        low = x @ low_basis
        power = float((x * x) @ energy_weights) - float(low @ low)
        return np.array([10.0 * math.log10(max(power, 1e-12))])
    xs = frames.astype(np.float64)
    lows = xs @ low_basis
    powers = (xs * xs) @ energy_weights - np.einsum("ij,ij->i", lows, lows)
    levels: np.ndarray = 10.0 * np.log10(np.maximum(powers, 1e-12))
    return levels


@functools.lru_cache(maxsize=16)
def _band_weights(n: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """For `n`-sample frames: each sample's weight in the windowed energy, and the cosine and
    sine rows of the bins below BAND_LOW_HZ, windowed and scaled by the square root of their
    one-sided weights (DC and Nyquist once, the others twice), all divided by the window's
    normaliser and full scale. The frame's band power is then
    x² · energy_weights − |x · low_basis|². Made once, not 50 times a second per call."""
    window = np.hanning(n + 2)[1:-1]  # no zero end points: every sample counts
    low_bins = np.arange(math.ceil(BAND_LOW_HZ * n / sample_rate))
    phase = 2 * np.pi * np.outer(np.arange(n), low_bins) / n
    basis = np.hstack([np.cos(phase), np.sin(phase)])
    one_sided = np.where((low_bins == 0) | (2 * low_bins == n), 1.0, 2.0)
    scale = float(n * n * np.mean(window**2)) * 32768.0 * 32768.0
    energy_weights = n * window * window / scale
    low_basis = window[:, None] * basis * np.sqrt(np.concatenate([one_sided, one_sided]) / scale)
    return energy_weights, np.ascontiguousarray(low_basis)


class Endpointer:
    """Feed int16 mono audio in any chunk sizes; get typed speech events back."""

    def __init__(self, sample_rate: int, **settings: float | int | None) -> None:
        """`settings` are EndpointerConfig fields; unknown names raise TypeError."""
        if sample_rate not in VAD_RATES:
            raise ValueError(f"WebRTC VAD needs one of {VAD_RATES} Hz, got {sample_rate}")
        self.sample_rate = sample_rate
        self.frame_samples = sample_rate * FRAME_MS // 1000
        self._vad = webrtcvad.Vad()
        self._ring: deque[np.ndarray] = deque()
        self.config = EndpointerConfig()
        self._apply(EndpointerConfig(**settings))  # type: ignore[arg-type]
        self._n_frames = 0  # frames processed: the stream clock
        self._noise_db: float | None = None  # tracked noise floor, None until the first frame
        self._no_input_from: int | None = 0 if self.config.no_input_s is not None else None
        self._no_input_s: float | None = self.config.no_input_s
        self._rearm_s: float | None = None  # armed mid-utterance: start when it ends
        self.reset()

    @classmethod
    def from_config(cls, sample_rate: int, config: EndpointerConfig) -> Endpointer:
        return cls(sample_rate, **{name: getattr(config, name) for name in CONFIG_FIELDS})

    @property
    def in_speech(self) -> bool:
        return self._utterance is not None

    @property
    def speech_samples(self) -> int:
        """Samples of the utterance in progress up to the end of its last voiced frame.

        `utterance_audio()` beyond this is the silence heard since (0 when not in speech), so
        a whole-utterance recognizer can decode the same trimmed span mid-pause and at the end.
        """
        if self._utterance is None:
            return 0
        return (self._last_voiced + 1 - self._first_frame) * self.frame_samples

    @property
    def utterance_samples(self) -> int:
        """Samples of the utterance in progress so far (0 when not in speech)."""
        return len(self._utterance) * self.frame_samples if self._utterance is not None else 0

    @property
    def time_s(self) -> float:
        """Seconds of audio consumed into whole frames so far."""
        return self._t(self._n_frames)

    @property
    def noise_floor_dbfs(self) -> float | None:
        """The tracked line-noise level (above BAND_LOW_HZ), None before the first frame."""
        return self._noise_db

    def configure(self, **changes: float | int | None) -> None:
        """Change settings from the next frame on (e.g. a longer end_silence_s for digits).

        Applies to an utterance in progress too; unknown names raise TypeError, bad values
        ValueError (and then nothing changes).
        """
        self._apply(replace(self.config, **changes))  # type: ignore[arg-type]

    def arm_no_input(self, no_input_s: float | None = None) -> None:
        """Start the no-input timer now (e.g. when a prompt finished playing).

        `no_input_s` overrides the configured timeout for this arming only. Armed while the
        caller is speaking, the timer starts when that utterance ends.
        """
        seconds = no_input_s if no_input_s is not None else self.config.no_input_s
        if seconds is None or not seconds > 0:
            raise ValueError("arm_no_input needs a positive no_input_s (argument or config)")
        if self.in_speech:  # the caller is talking: count from the end of this utterance
            self._no_input_from, self._rearm_s = None, seconds
        else:
            self._no_input_from, self._no_input_s = self._n_frames, seconds

    def disarm_no_input(self) -> None:
        """Stop the no-input timer (e.g. while the bot is speaking)."""
        self._no_input_from = self._rearm_s = None

    def reset(self) -> None:
        """Drop any utterance in progress and buffered audio; clock and timer keep running."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._recent: deque[bool] = deque(maxlen=START_WINDOW)
        self._recent_firm: deque[bool] = deque(maxlen=START_WINDOW)  # voiced and loud
        self._ring.clear()
        self._utterance: list[np.ndarray] | None = None
        self._onset = 0  # frame index of the first voiced frame
        self._first_frame = 0  # frame index of the utterance's first frame (its pre-roll)
        self._last_voiced = 0  # frame index of the latest frame that extended the utterance
        self._voiced = 0  # firmly voiced frames in the current utterance (for barge-in)
        self._barged = False

    def process(self, samples: np.ndarray) -> list[EndpointerEvent]:
        """Consume samples; return the events they caused, in order."""
        data = as_int16(samples)
        if not len(self._pending) and len(data) == self.frame_samples:
            # one whole frame, as the wire brings them: no buffering, one level
            return self._frame(data, float(band_dbfs(data.reshape(1, -1), self.sample_rate)[0]))
        if len(self._pending):
            data = np.concatenate([self._pending, data])
        n = len(data) // self.frame_samples
        self._pending = data[n * self.frame_samples :].copy()
        if n == 0:
            return []
        frames = data[: n * self.frame_samples].reshape(n, self.frame_samples)
        levels = band_dbfs(frames, self.sample_rate)
        events: list[EndpointerEvent] = []
        for frame, level in zip(frames, levels.tolist(), strict=True):
            events.extend(self._frame(frame, level))
        return events

    def _frame(self, frame: np.ndarray, level: float) -> list[EndpointerEvent]:
        """One frame at its band level: gate, VAD, then the state machine and the timer."""
        voiced = self._is_loud(level) and self._vad.is_speech(frame.tobytes(), self.sample_rate)
        self._recent_firm.append(voiced and level >= self.config.barge_in_floor_dbfs)
        events = self._step(frame.copy(), voiced)
        self._n_frames += 1
        no_input = self._check_no_input()
        return events + no_input if no_input else events

    def utterance_audio(self, start: int = 0) -> np.ndarray:
        """Samples of the utterance in progress from sample `start` on (empty when none).

        The same samples, in the same order, begin the `UtteranceEnded.samples` that will
        close it, so a recognizer can be fed while the caller is still speaking.
        """
        if self._utterance is None:
            return np.zeros(0, dtype=np.int16)
        first, offset = divmod(start, self.frame_samples)
        frames = self._utterance[first:]
        if not frames:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(frames)[offset:]

    def flush(self) -> UtteranceEnded | None:
        """End of input: close the utterance in progress (reason "flush") and reset."""
        ended = None
        if self._utterance is not None:
            self._utterance.append(self._pending)
            ended = self._end("flush")
        self.reset()
        return ended

    # ---- settings and gates ------------------------------------------------------------------

    def _apply(self, config: EndpointerConfig) -> None:
        self.config = config
        self._end_silence = _frames(config.end_silence_s)
        self._min_speech = _frames(config.min_speech_s) if config.min_speech_s > 0 else 0
        self._max_utterance = _frames(config.max_utterance_s)
        self._preroll = _frames(config.preroll_s) if config.preroll_s > 0 else 0
        self._vad.set_mode(config.vad_aggressiveness)
        self._ring = deque(self._ring, maxlen=self._preroll + START_WINDOW)

    def _is_loud(self, level: float) -> bool:
        """Track the noise floor with this frame, then gate it against floor and margin."""
        floor = max(level, NOISE_FLOOR_MIN_DBFS)
        if self._noise_db is not None:
            rise = NOISE_RISE_DB_PER_S * FRAME_MS / 1000
            floor = min(floor, self._noise_db + rise)
        self._noise_db = floor
        gate = self.config.energy_floor_dbfs
        if self.config.noise_margin_db is not None:
            gate = max(gate, floor + self.config.noise_margin_db)
        return level >= gate

    def _check_no_input(self) -> list[EndpointerEvent]:
        if self._no_input_from is None or self._no_input_s is None or self.in_speech:
            return []
        if self._n_frames - self._no_input_from < _frames(self._no_input_s):
            return []
        self._no_input_from = None  # once per arming
        return [NoInput(self.time_s)]

    # ---- per-frame state machine -----------------------------------------------------------

    def _t(self, frame_index: int) -> float:
        return frame_index * FRAME_MS / 1000

    def _step(self, frame: np.ndarray, voiced: bool) -> list[EndpointerEvent]:
        self._recent.append(voiced)
        if self._utterance is None:
            self._ring.append(frame)
            return self._maybe_start()
        self._utterance.append(frame)
        if voiced and sum(self._recent) >= CONTINUE_VOICED:
            self._last_voiced = self._n_frames
            self._voiced += self._recent_firm[-1]
            # Only speech can make an utterance too long; trailing silence ends it normally.
            if self._n_frames + 1 - self._onset >= self._max_utterance:
                return [*self._maybe_barge_in(), self._end("max_length")]
            return self._maybe_barge_in()
        # A voiced frame never ends an utterance: it may be the first of a resumed word.
        if not voiced and self._n_frames - self._last_voiced >= self._end_silence:
            return [self._end("silence")]
        return []

    def _maybe_start(self) -> list[EndpointerEvent]:
        if sum(self._recent) < START_VOICED:
            return []
        first_in_window = self._n_frames - len(self._recent) + 1
        self._onset = first_in_window + list(self._recent).index(True)
        self._last_voiced = self._n_frames
        self._voiced = sum(self._recent_firm)
        self._barged = False
        self._no_input_from = None  # the caller spoke
        # Keep exactly `preroll_s` before the onset (the ring may hold a little more).
        keep = self._preroll + self._n_frames - self._onset + 1
        self._utterance = list(self._ring)[-keep:]
        self._first_frame = self._n_frames + 1 - len(self._utterance)
        self._ring.clear()
        return [SpeechStarted(self._t(self._onset)), *self._maybe_barge_in()]

    def _maybe_barge_in(self) -> list[EndpointerEvent]:
        if self._barged or self._voiced < self._min_speech:
            return []
        self._barged = True
        return [BargeIn(self._t(self._n_frames + 1), self._t(self._voiced))]

    def _end(self, reason: EndReason) -> UtteranceEnded:
        samples = np.concatenate(self._utterance or [np.zeros(0, dtype=np.int16)])
        start, end = self._t(self._onset), self._t(self._last_voiced + 1)
        ended = UtteranceEnded(samples, start, end, reason, self.speech_samples)
        self._utterance = None
        self._recent.clear()
        self._recent_firm.clear()
        self._ring.clear()
        # The no-input timer runs again from the end of the caller's last utterance.
        seconds, self._rearm_s = self._rearm_s or self.config.no_input_s, None
        if seconds is not None:
            self._no_input_from, self._no_input_s = self._n_frames + 1, seconds
        return ended
