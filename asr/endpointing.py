"""Voice-activity endpointing: cut a caller's audio stream into utterances.

WebRTC VAD classifies 20 ms frames; an energy gate keeps near-silent line noise from ever
counting as speech. Speech starts after mostly-voiced 0.1 s (the pre-roll before it is kept
so the recognizer hears the onset), barge-in is signalled once the utterance holds
`min_speech_s` of voiced audio (so backchannels such as 嗯 do not cut a prompt), and an
utterance ends after `end_silence_s` of non-speech, which also bridges pauses between words.
Pure and synchronous: times are seconds of audio processed, never wall clock; no I/O, no
threads.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from asr.events import BargeIn, EndpointEvent, EndReason, SpeechStarted, UtteranceEnded
from ivr.audio import as_int16

FRAME_MS = 20
START_WINDOW = 5  # frames (0.1 s) looked at to decide that speech started ...
START_VOICED = 4  # ... of which this many must be voiced
# In speech, a voiced frame extends the utterance only if another voiced frame is close by,
# so an isolated click in the trailing silence cannot hold an utterance open.
CONTINUE_VOICED = 2
VAD_RATES = (8000, 16000, 32000, 48000)


@dataclass(frozen=True)
class EndpointerConfig:
    """Endpointing knobs (seconds, dBFS); defaults follow common telephony practice."""

    end_silence_s: float = 0.6
    min_speech_s: float = 0.3
    max_utterance_s: float = 15.0
    vad_aggressiveness: int = 2
    preroll_s: float = 0.3
    energy_floor_dbfs: float = -45.0


def _frames(seconds: float) -> int:
    """Whole 20 ms frames covering `seconds` (tolerating float noise such as 0.6/0.02)."""
    return max(1, math.ceil(seconds * 1000 / FRAME_MS - 1e-6))


def _frame_dbfs(frames: np.ndarray) -> np.ndarray:
    """RMS level of each row relative to int16 full scale (same scale as ivr.audio.rms_dbfs)."""
    x = frames.astype(np.float64)
    power = np.mean(x * x, axis=1) / (32768.0 * 32768.0)
    return 10.0 * np.log10(np.maximum(power, 1e-12))


class Endpointer:
    """Feed int16 mono audio in any chunk sizes; get typed speech events back."""

    def __init__(
        self,
        sample_rate: int,
        end_silence_s: float = 0.6,
        min_speech_s: float = 0.3,
        max_utterance_s: float = 15.0,
        vad_aggressiveness: int = 2,
        preroll_s: float = 0.3,
        energy_floor_dbfs: float = -45.0,
    ) -> None:
        if sample_rate not in VAD_RATES:
            raise ValueError(f"WebRTC VAD needs one of {VAD_RATES} Hz, got {sample_rate}")
        self.sample_rate = sample_rate
        self.frame_samples = sample_rate * FRAME_MS // 1000
        self.energy_floor_dbfs = energy_floor_dbfs
        self._end_silence = _frames(end_silence_s)
        self._min_speech = _frames(min_speech_s)
        self._max_utterance = _frames(max_utterance_s)
        self._preroll = _frames(preroll_s) if preroll_s > 0 else 0
        self._vad = webrtcvad.Vad(vad_aggressiveness)
        self._n_frames = 0  # frames processed: the stream clock
        self.reset()

    @classmethod
    def from_config(cls, sample_rate: int, config: EndpointerConfig) -> Endpointer:
        return cls(
            sample_rate,
            end_silence_s=config.end_silence_s,
            min_speech_s=config.min_speech_s,
            max_utterance_s=config.max_utterance_s,
            vad_aggressiveness=config.vad_aggressiveness,
            preroll_s=config.preroll_s,
            energy_floor_dbfs=config.energy_floor_dbfs,
        )

    @property
    def in_speech(self) -> bool:
        return self._utterance is not None

    @property
    def time_s(self) -> float:
        """Seconds of audio consumed into whole frames so far."""
        return self._t(self._n_frames)

    def reset(self) -> None:
        """Drop any utterance in progress and buffered audio; the clock keeps running."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._recent: deque[bool] = deque(maxlen=START_WINDOW)
        self._ring: deque[np.ndarray] = deque(maxlen=self._preroll + START_WINDOW)
        self._utterance: list[np.ndarray] | None = None
        self._onset = 0  # frame index of the first voiced frame
        self._last_voiced = 0  # frame index of the latest frame that extended the utterance
        self._voiced = 0  # voiced frames in the current utterance
        self._barged = False

    def process(self, samples: np.ndarray) -> list[EndpointEvent]:
        """Consume samples; return the events they caused, in order."""
        data = np.concatenate([self._pending, as_int16(samples)])
        n = len(data) // self.frame_samples
        self._pending = data[n * self.frame_samples :].copy()
        if n == 0:
            return []
        frames = data[: n * self.frame_samples].reshape(n, self.frame_samples)
        loud = _frame_dbfs(frames) >= self.energy_floor_dbfs
        events: list[EndpointEvent] = []
        for frame, is_loud in zip(frames, loud, strict=True):
            voiced = bool(is_loud) and self._vad.is_speech(frame.tobytes(), self.sample_rate)
            events.extend(self._step(frame.copy(), voiced))
            self._n_frames += 1
        return events

    def flush(self) -> UtteranceEnded | None:
        """End of input: close the utterance in progress (reason "flush") and reset."""
        ended = None
        if self._utterance is not None:
            self._utterance.append(self._pending)
            ended = self._end("flush")
        self.reset()
        return ended

    # ---- per-frame state machine -----------------------------------------------------------

    def _t(self, frame_index: int) -> float:
        return frame_index * FRAME_MS / 1000

    def _step(self, frame: np.ndarray, voiced: bool) -> list[EndpointEvent]:
        self._recent.append(voiced)
        if self._utterance is None:
            self._ring.append(frame)
            return self._maybe_start()
        self._utterance.append(frame)
        if voiced and sum(self._recent) >= CONTINUE_VOICED:
            self._last_voiced = self._n_frames
            self._voiced += 1
            # Only speech can make an utterance too long; trailing silence ends it normally.
            if self._n_frames + 1 - self._onset >= self._max_utterance:
                return [*self._maybe_barge_in(), self._end("max_length")]
            return self._maybe_barge_in()
        # A voiced frame never ends an utterance: it may be the first of a resumed word.
        if not voiced and self._n_frames - self._last_voiced >= self._end_silence:
            return [self._end("silence")]
        return []

    def _maybe_start(self) -> list[EndpointEvent]:
        if sum(self._recent) < START_VOICED:
            return []
        first_in_window = self._n_frames - len(self._recent) + 1
        self._onset = first_in_window + list(self._recent).index(True)
        self._last_voiced = self._n_frames
        self._voiced = sum(self._recent)
        self._barged = False
        # Keep exactly `preroll_s` before the onset (the ring may hold a little more).
        keep = self._preroll + self._n_frames - self._onset + 1
        self._utterance = list(self._ring)[-keep:]
        self._ring.clear()
        return [SpeechStarted(self._t(self._onset)), *self._maybe_barge_in()]

    def _maybe_barge_in(self) -> list[EndpointEvent]:
        if self._barged or self._voiced < self._min_speech:
            return []
        self._barged = True
        return [BargeIn(self._t(self._n_frames + 1), self._t(self._voiced))]

    def _end(self, reason: EndReason) -> UtteranceEnded:
        samples = np.concatenate(self._utterance or [np.zeros(0, dtype=np.int16)])
        start, end = self._t(self._onset), self._t(self._last_voiced + 1)
        ended = UtteranceEnded(samples, start, end, reason)
        self._utterance = None
        self._recent.clear()
        self._ring.clear()
        return ended
