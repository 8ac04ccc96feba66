"""Pick and load the speech recognition engine, once per process.

`load_engine("auto")` tries the engines in `AUTO_ORDER` and logs which one it chose and why;
a named engine is loaded or fails with `ModelNotAvailable`, whose message says how to fix it.
Loading reads (and on first use assembles) model files; nothing is downloaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from asr.base import ModelNotAvailable, RecognizerEngine
from asr.models import resolve_whisper_model

log = logging.getLogger(__name__)

ModelArg = str | Path | None
# Vosk will go first once it exists (streaming, phrase lists); Whisper is the fallback.
AUTO_ORDER = ("whisper",)

_cache: dict[tuple[str, str, str], RecognizerEngine] = {}
_lock = threading.Lock()


def _load_whisper(model_dir: ModelArg, cache_dir: Path | None) -> RecognizerEngine:
    from asr.whisper_engine import WhisperEngine  # deferred: imports CTranslate2

    whisper_cache = cache_dir / "models" / "whisper-base" if cache_dir is not None else None
    path = resolve_whisper_model(model_dir, cache_dir=whisper_cache)
    engine = WhisperEngine(path)
    log.info("ASR model: Whisper from %s", path)
    return engine


def _load_vosk(model_dir: ModelArg, cache_dir: Path | None) -> RecognizerEngine:
    raise ModelNotAvailable(
        "Vosk engine comes with issue 3; use the 'whisper' (or 'auto') engine for now"
    )


LOADERS: dict[str, Callable[[ModelArg, Path | None], RecognizerEngine]] = {
    "whisper": _load_whisper,
    "vosk": _load_vosk,
}


def _load_auto(model_dir: ModelArg, cache_dir: Path | None) -> RecognizerEngine:
    problems: list[str] = []
    for name in AUTO_ORDER:
        try:
            engine = LOADERS[name](model_dir, cache_dir)
        except ModelNotAvailable as exc:
            log.info("ASR engine %s not available: %s", name, exc)
            problems.append(f"{name}: {exc}")
            continue
        log.info("ASR engine: %s (auto: first available of %s)", name, ", ".join(AUTO_ORDER))
        return engine
    raise ModelNotAvailable("no speech recognition engine available. " + " | ".join(problems))


def load_engine(
    name: str = "auto",
    model_dir: ModelArg = None,
    cache_dir: str | Path | None = None,
) -> RecognizerEngine:
    """The process-wide engine for (`name`, `model_dir`), loading it on first use.

    `name` is "auto", "whisper" or "vosk"; `model_dir` a local model directory or a model
    name (default: `$IVR_WHISPER_MODEL`, else the Whisper base model from PyPI);
    `cache_dir` the hotline-ivr cache root (default `$IVR_CACHE_DIR`).
    """
    if name != "auto" and name not in LOADERS:
        raise ValueError(f"unknown ASR engine {name!r}; choose auto, {', '.join(LOADERS)}")
    key = (name, str(model_dir or ""), str(cache_dir or ""))
    with _lock:  # two calls racing at start-up must not load the model twice
        if key not in _cache:
            root = Path(cache_dir) if cache_dir is not None else None
            if name == "auto":
                _cache[key] = _load_auto(model_dir, root)
            else:
                _cache[key] = LOADERS[name](model_dir, root)
                log.info("ASR engine: %s (requested)", name)
        return _cache[key]


def clear_engine_cache() -> None:
    """Forget loaded engines (tests; or to reload after the model changed)."""
    with _lock:
        _cache.clear()
