"""What every voice engine offers a worker process, and the error that says how to get one.

A `Voice` renders one clause of speakable text (`ivr.speakable`) to mono samples at its own
rate. Voices run inside a worker process (`ivr.voices.worker`), never in the server, so a
crash or a hang of a native library costs a restart, not a call. `identity` names the voice
and its settings for the prompt-cache key: two voices that may sound different must never
share one.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

ENGINES = ("neural", "local", "espeak")  # auto prefers them in this order (most intelligible)


class VoiceUnavailable(RuntimeError):
    """An engine cannot be loaded here; the message says why and the command that fixes it."""


class Voice(Protocol):
    """One loaded voice model (loaded once per worker process)."""

    name: str
    identity: str
    sample_rate: int

    def render(self, text: str) -> np.ndarray:
        """Speech for one clause (CJK characters only) as float32 in [-1, 1] or int16."""


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] (clipped) or int16 → int16."""
    x = np.asarray(samples)
    if x.dtype == np.int16:
        return x
    return np.clip(np.rint(x.astype(np.float64) * 32767.0), -32768, 32767).astype(np.int16)
