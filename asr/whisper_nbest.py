"""Whisper's other beam hypotheses, kept beside faster-whisper's transcript.

Beam search already holds several finished readings of an utterance; faster-whisper asks
CTranslate2 for one and drops the rest. When the best reading means nothing to the matcher,
the next ones often do (公销站 → 公交站; on the blind dev split through the phone band,
trying them took 77 % to about 80 % right, docs/benchmarks.md), so `NBestModel` wraps the
CTranslate2 model that faster-whisper drives: a beam-search `generate` asks for `n`
hypotheses, faster-whisper goes on using the first (the same best reading as before), and the
others are kept for the calling thread. Temperature-fallback (sampling) calls are passed
through untouched, and `others()` returns nothing unless the utterance was decoded by exactly
one beam-search call, so a sampled or multi-window transcript never gets readings that belong
to another decode. It also keeps the encoder output the utterance was decoded from, against
which the replies a question expects are scored (asr.whisper_choices). Thread-safe:
CTranslate2 decodes from several threads at once, and each thread keeps its own record.
"""

from __future__ import annotations

import threading
from typing import Any

from asr.whisper_models import MAX_READINGS

_SEVERAL = object()  # an utterance decoded from more than one encoder output


class NBestModel:
    """A CTranslate2 Whisper model whose beam searches also return their runners-up."""

    def __init__(self, model: Any, readings: int) -> None:
        if not 1 <= readings <= MAX_READINGS:
            raise ValueError(f"Whisper readings {readings}: expected 1 to {MAX_READINGS}")
        self._model = model
        self.readings = readings
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def begin(self) -> None:
        """Forget this thread's hypotheses: a new utterance starts."""
        self._local.calls = []
        self._local.encoded = None

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        n = min(self.readings, int(kwargs.get("beam_size", 1)))
        wanted = "num_hypotheses" not in kwargs and "sampling_temperature" not in kwargs
        if wanted and n > 1:
            kwargs["num_hypotheses"] = n
        results = self._model.generate(*args, **kwargs)
        calls = getattr(self._local, "calls", None)
        if calls is not None:
            calls.append(results[0] if wanted and n > 1 and len(results) == 1 else None)
            encoded = args[0] if args else kwargs.get("features")
            seen = self._local.encoded
            self._local.encoded = encoded if seen is None or seen is encoded else _SEVERAL
        return results

    def encoded(self) -> Any:
        """The encoder output this thread's utterance was decoded from (a CTranslate2
        StorageView): one window, however many times it was decoded (the temperature
        fallback decodes the same one again); None for several windows. Scoring expected
        replies against it (asr.whisper_choices) costs no second encoding."""
        encoded = getattr(self._local, "encoded", None)
        return None if encoded is _SEVERAL else encoded

    def others(self) -> list[list[int]]:
        """The token ids of the runners-up of this thread's utterance, best first; empty
        unless it was decoded by exactly one beam search that returned them."""
        calls = getattr(self._local, "calls", None) or []
        if len(calls) != 1 or calls[0] is None:
            return []
        return [list(ids) for ids in calls[0].sequences_ids[1:]]
