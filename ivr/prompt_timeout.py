"""What a call plays when its voice hangs: the recorded apology, loaded once.

The voice chain bounds each voice (a worker that does not answer within `tts_timeout_s` is
killed and the next voice tried, then the recorded apology), but a prompt source can still
hang outside the chain — in the prompt cache, in a voice without a worker — and the session
awaits its first piece while it holds the dialog. So the session bounds that wait too
(`tts_prompt_timeout_s`, `next_piece`) and plays this instead: never silence, never a hung
call. Reads the recording's file once.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ivr.clock import Clock, finished_within
from pcm.files import read_audio
from pcm.resample import resample

log = logging.getLogger(__name__)
RATE = 8000
BEEP_S = 0.4  # what plays when even the recording cannot be read


class PromptTimeout(Exception):
    """The voice gave no audio for a prompt in time."""


async def next_piece(pieces: Iterator[np.ndarray], clock: Clock, limit_s: float
                     ) -> np.ndarray | None:
    """The next rendered piece of a prompt (None after the last), rendered off the event loop
    in the caller's context (so the voice's log lines name the call); PromptTimeout when
    nothing comes within `limit_s` on `clock` (0: wait as long as it takes)."""
    loop = asyncio.get_running_loop()
    in_call = contextvars.copy_context()

    def render() -> np.ndarray | None:
        return in_call.run(next, pieces, None)

    future: asyncio.Future[np.ndarray | None] = loop.run_in_executor(None, render)
    if limit_s > 0 and not await finished_within(clock, future, limit_s):
        raise PromptTimeout(f"no audio within {limit_s:g} s")
    return await future


@functools.cache
def apology(path: Path) -> np.ndarray:
    """The recording at `path` as 8 kHz int16, or a short tone when it cannot be read."""
    try:
        samples, rate = read_audio(path)
        return resample(samples, rate, RATE) if rate != RATE else samples
    except Exception as exc:
        log.error("the recorded apology %s is unusable (%s); a tone plays instead", path, exc)
        t = np.arange(int(BEEP_S * RATE)) / RATE
        return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
