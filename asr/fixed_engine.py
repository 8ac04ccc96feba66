"""A recognizer that hears the same words in every utterance, at no cost: for measuring
everything that is not recognition (`ivr serve --asr-engine fixed`, `ivr loadtest`).

The capacity of a server is the smaller of two ceilings: what the recognizer can decode in
time, and what the transport, endpointing, dialog, voice and store can carry. With this engine
the second is measured alone: the call path, VAD endpointing and the decode pool run as in
production, and every utterance "says" `IVR_FIXED_TRANSCRIPT` (default a medical-insurance
question). Never for callers: it does not listen.
"""

from __future__ import annotations

import os

import numpy as np

from asr.base import Transcript

ENV_FIXED_TRANSCRIPT = "IVR_FIXED_TRANSCRIPT"
DEFAULT_TEXT = "我想问一下医保报销需要什么材料"
SAMPLE_RATE = 16000


class FixedEngine:
    name = "fixed"
    sample_rate = SAMPLE_RATE

    def __init__(self, text: str | None = None) -> None:
        self.text = text or os.environ.get(ENV_FIXED_TRANSCRIPT) or DEFAULT_TEXT
        self.reason = (f"fixed: a benchmark engine that hears {self.text!r} in every "
                       "utterance (never for callers)")

    def new_recognizer(self, phrases: list[str] | None = None) -> FixedRecognizer:
        return FixedRecognizer(self.text)


class FixedRecognizer:
    sample_rate = SAMPLE_RATE

    def __init__(self, text: str) -> None:
        self._text = text
        self._samples = 0

    def accept_audio(self, samples: np.ndarray) -> str | None:
        self._samples += samples.size
        return None

    def finish(self) -> Transcript:
        audio_s, self._samples = self._samples / SAMPLE_RATE, 0
        return Transcript(self._text if audio_s >= 0.2 else "", 1.0, audio_s, 0.0, "fixed")

    def reset(self) -> None:
        self._samples = 0
