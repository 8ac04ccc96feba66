"""Fixed-size framing of a sample stream (20 ms frames and the like). No I/O."""

from __future__ import annotations

import numpy as np

from pcm.samples import as_int16


def frame_samples_for(rate: int, ms: int = 20) -> int:
    """Samples in one `ms` frame at `rate`; the duration must be a whole number of samples."""
    n, rem = divmod(rate * ms, 1000)
    if n <= 0 or rem:
        raise ValueError(f"{ms} ms at {rate} Hz is not a whole number of samples")
    return n


class Framer:
    """Re-chunks a stream of arbitrary-length pieces into exact `frame_samples` frames."""

    def __init__(self, frame_samples: int) -> None:
        if frame_samples <= 0:
            raise ValueError("frame_samples must be positive")
        self.frame_samples = frame_samples
        self._pending = np.zeros(0, dtype=np.int16)

    @property
    def pending(self) -> int:
        """Samples held back waiting for a full frame."""
        return len(self._pending)

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        """Add samples; return the complete frames now available (possibly none)."""
        data = np.concatenate([self._pending, as_int16(samples)])
        n = len(data) // self.frame_samples
        cut = n * self.frame_samples
        frames = list(data[:cut].reshape(n, self.frame_samples)) if n else []
        self._pending = data[cut:].copy()
        return [f.copy() for f in frames]

    def clear(self) -> None:
        """Discard the held-back partial frame."""
        self._pending = np.zeros(0, dtype=np.int16)
