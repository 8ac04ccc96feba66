"""Speech events produced by the endpointer and the recognition stream.

`Endpointer.process` yields `SpeechStarted`, `BargeIn` and `UtteranceEnded`;
`RecognitionStream.events()` passes the first two through and turns each ended utterance into
a `Final` (or a `RecognitionFailed` if the engine raised). All times are seconds of audio
processed on that stream (never wall clock). Frozen dataclasses, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from asr.base import Transcript

EndReason = Literal["silence", "max_length", "flush"]


@dataclass(frozen=True)
class SpeechStarted:
    """The caller started speaking; `t_s` is the onset of the first voiced frame."""

    t_s: float


@dataclass(frozen=True)
class BargeIn:
    """The current utterance has `voiced_s` ≥ min_speech_s of speech (once per utterance).

    `t_s` is when that threshold was reached: the moment a prompt may be cut.
    """

    t_s: float
    voiced_s: float


@dataclass(frozen=True, eq=False)
class UtteranceEnded:
    """One utterance: pre-roll + speech + trailing silence, int16 at the endpointer's rate.

    `t_start_s`/`t_end_s` bound the detected speech (first to last voiced frame); the
    samples extend before (pre-roll) and after (the silence that ended it). `reason` is
    "silence" (end_silence_s of non-speech), "max_length" (cut at max_utterance_s) or
    "flush" (the stream ended mid-utterance). `samples[:speech_samples]` is the pre-roll and
    speech, without the trailing silence.
    """

    samples: np.ndarray
    t_start_s: float
    t_end_s: float
    reason: EndReason
    speech_samples: int


@dataclass(frozen=True)
class Final:
    """The recognizer's result for one ended utterance; speech ran t_start_s..t_end_s.

    `wait_s` is how long the result took once the utterance had ended: the decode time, or
    less when a speculative decode had started before the endpoint."""

    transcript: Transcript
    t_end_s: float
    t_start_s: float | None = None
    wait_s: float | None = None


@dataclass(frozen=True)
class RecognitionFailed:
    """Decoding an utterance raised; the dialog should fall back (e.g. transfer to a human)."""

    error: str


@dataclass(frozen=True)
class Partial:
    """The engine's running hypothesis for the utterance in progress (streaming engines)."""

    text: str


EndpointEvent = SpeechStarted | BargeIn | UtteranceEnded
StreamEvent = SpeechStarted | BargeIn | Partial | Final | RecognitionFailed
