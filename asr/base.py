"""The small interface every speech recognition engine implements.

Engines are synchronous, blocking objects (decoding is CPU work); `asr.stream` runs them on a
bounded thread pool off the event loop. One `RecognizerEngine` (holding the model) is shared
per process; each call gets its own `Recognizer` from `new_recognizer()`. No I/O beyond
loading the model in the engine constructor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance.

    `alternatives` are the engine's other readings of the same audio, best first (Vosk's
    n-best when asked for): the caller's words may be one of them when the best one means
    nothing to the matcher."""

    text: str
    confidence: float | None
    audio_s: float
    decode_s: float
    engine: str
    alternatives: tuple[str, ...] = ()


class Recognizer(Protocol):
    """One caller's decoder. Feed 16-bit mono samples at `sample_rate`, then `finish()`."""

    sample_rate: int

    def accept_audio(self, samples: np.ndarray) -> str | None:
        """Add audio; return a partial hypothesis if the engine has one, else None."""

    def finish(self) -> Transcript:
        """Decode what was fed since the last finish/reset and start a new utterance."""

    def reset(self) -> None:
        """Drop buffered audio without decoding (e.g. on a cancelled utterance)."""


class RecognizerEngine(Protocol):
    """A loaded model; cheap to ask for recognizers, expensive to construct."""

    name: str
    sample_rate: int

    def new_recognizer(self, phrases: list[str] | None = None) -> Recognizer:
        """A fresh recognizer; `phrases` is a hint list engines may use or ignore."""


class ModelNotAvailable(RuntimeError):
    """Raised when a model cannot be found or assembled; the message says how to fix it."""


def supports_grammar(engine: RecognizerEngine) -> bool:
    """True when `engine` honours the `phrases` of `new_recognizer` (Vosk with a runtime graph).

    Engines may declare a `supports_grammar` attribute; those that do not ignore phrases.
    """
    return bool(getattr(engine, "supports_grammar", False))


def supports_context(engine: RecognizerEngine) -> bool:
    """True when `engine`'s recognizers take `set_context(text)`: the words the caller just
    heard, read as the text before the next utterances (Whisper's prompt). Optional: an
    engine that does not declare `supports_context` ignores the bot's questions."""
    return bool(getattr(engine, "supports_context", False))


def supports_choices(engine: RecognizerEngine) -> bool:
    """True when `engine`'s recognizers take `set_choices(texts)`: the replies the caller's
    next utterances are expected to be (a confirmation's 是的 / 不对), scored against the audio
    and offered as the last alternative reading when the transcript says none of them
    (asr.whisper_choices). Optional, like `set_context`."""
    return bool(getattr(engine, "supports_choices", False))


def engine_reason(engine: RecognizerEngine) -> str:
    """Why `asr.engines.load_engine` chose this engine (empty if it was built directly)."""
    return str(getattr(engine, "reason", ""))
