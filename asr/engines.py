"""Pick and load the speech recognition engine, once per process.

`load_engine("auto")` takes Vosk when a Vosk model for the configured language is installed
(an explicit path, the model cache or a pip package), else Whisper; the engine it returns
carries a `reason` sentence saying why, which is logged and shown by `GET /healthz`. A named
engine is loaded or fails with `ModelNotAvailable`, whose message holds the fixing command.
Loading reads model files (Whisper's are assembled on first use); nothing is downloaded.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from asr import catalog
from asr.base import ModelNotAvailable, RecognizerEngine
from asr.catalog import ENV_ASR_MODEL
from asr.model_cache import models_dir
from asr.vosk_models import (
    InstalledModel,
    describe,
    find_vosk_models,
    is_vosk_model_dir,
    resolve_vosk_model,
)
from asr.whisper_models import (
    BASE_NAMES,
    DEFAULT_CPU_THREADS,
    DEFAULT_FALLBACK,
    DEFAULT_READINGS,
    DEFAULT_WINDOW_S,
    ENV_WHISPER_MODEL,
    MAX_READINGS,
    resolve_whisper_model,
)

log = logging.getLogger(__name__)

ENV_VOSK_ALTERNATIVES = "IVR_VOSK_ALTERNATIVES"
_MAX_VOSK_ALTERNATIVES = 10  # asr.vosk_engine.MAX_ALTERNATIVES (importing it loads libvosk)
ENV_WHISPER_PROMPT = "IVR_WHISPER_PROMPT"  # text Whisper reads as what came before
ModelArg = str | Path | None
ENGINES = ("vosk", "whisper")  # auto tries them in this order
BENCH_ENGINES = ("fixed",)  # asr.fixed_engine: for capacity measurements, never chosen by auto

# (engine, model, cache, language, beam, parallel, window, fallback, threads, readings,
#  Vosk alternatives, Whisper prompt)
_EngineKey = tuple[str, str, str, str, int, int, float, bool, int, int, int, str]
_cache: dict[_EngineKey, RecognizerEngine] = {}
_lock = threading.Lock()


def _set_reason(engine: RecognizerEngine, reason: str) -> RecognizerEngine:
    # WhisperEngine declares no `reason`; the Protocol stays minimal, so set it dynamically.
    setattr(engine, "reason", reason)  # noqa: B010
    return engine


# the beam size, parallel decodes and encoder window of the load in progress (load_engine)
_whisper_settings = threading.local()


def _load_whisper(model: ModelArg, root: Path | None, language: str) -> RecognizerEngine:
    from asr.whisper_engine import WhisperEngine  # deferred: imports CTranslate2

    path = resolve_whisper_model(model, cache_dir=models_dir(root) / "whisper-base")
    beam = getattr(_whisper_settings, "size", 5)
    parallel = getattr(_whisper_settings, "parallel", 1)
    window = getattr(_whisper_settings, "window", DEFAULT_WINDOW_S)
    fallback = getattr(_whisper_settings, "fallback", DEFAULT_FALLBACK)
    threads = getattr(_whisper_settings, "cpu_threads", DEFAULT_CPU_THREADS)
    readings = getattr(_whisper_settings, "readings", DEFAULT_READINGS)
    prompt = os.environ.get(ENV_WHISPER_PROMPT, "").strip() or None
    log.info("ASR model: Whisper from %s (beam %d, %d decodes at once of %d thread%s, %g s "
             "window, %d readings%s%s)", path, beam, parallel, threads,
             "" if threads == 1 else "s", window, min(readings, beam),
             "" if fallback else ", no temperature fallback",
             ", with a prompt" if prompt else "")
    return WhisperEngine(path, language=language, beam_size=beam, num_workers=parallel,
                         initial_prompt=prompt, window_s=window, fallback=fallback,
                         cpu_threads=threads, readings=readings)


def _whisper_label(model: ModelArg) -> str:
    name = str(model or os.environ.get(ENV_WHISPER_MODEL) or "base")
    return "Whisper base from PyPI" if name.lower() in BASE_NAMES else f"Whisper model {name}"


def _load_vosk(model: ModelArg, root: Path | None, language: str) -> RecognizerEngine:
    return _vosk_engine(resolve_vosk_model(model, language=language, cache_dir=root), language)


def vosk_alternatives() -> int:
    """How many readings Vosk gives per utterance (`IVR_VOSK_ALTERNATIVES`; 0 or 1: one).

    With n-best on, the call matches the other readings when the best one means nothing
    (dialog.hypotheses), but Vosk drops its per-word confidences, so the confidence becomes
    the best reading's n-best posterior. Off by default: no Mandarin Vosk model was available
    to measure whether it helps (docs/models.md)."""
    raw = os.environ.get(ENV_VOSK_ALTERNATIVES, "").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= _MAX_VOSK_ALTERNATIVES:
        raise ValueError(f"{ENV_VOSK_ALTERNATIVES}={raw!r}: expected a whole number 0 to "
                         f"{_MAX_VOSK_ALTERNATIVES}")
    return value


def _vosk_engine(found: InstalledModel, language: str) -> RecognizerEngine:
    from asr.vosk_engine import VoskEngine  # deferred: loads libvosk

    alternatives = vosk_alternatives()
    log.info("ASR model: Vosk %s from %s (%s)%s", found.name, found.path, found.where,
             f", {alternatives} readings per utterance" if alternatives > 1 else "")
    return VoskEngine(found.path, language=found.language or language, model_name=found.name,
                      reason=f"model {found.name} ({found.where}: {found.path})",
                      alternatives=alternatives)


def _explicit_engine(model: str | Path) -> str:
    """Which engine an explicit model (directory or name) belongs to."""
    path = Path(str(model)).expanduser()
    if path.is_dir():
        if is_vosk_model_dir(path):
            return "vosk"
        if (path / "model.bin").is_file():
            return "whisper"
        raise ModelNotAvailable(
            f"{path} is neither a Vosk model (am/final.mdl) nor a Whisper CTranslate2 model "
            f"(model.bin); point {ENV_ASR_MODEL} or --model at a model directory"
        )
    info = catalog.find(str(model))
    return info.engine if info is not None else "whisper"


def _load_auto(model: ModelArg, root: Path | None, language: str) -> RecognizerEngine:
    if model is not None:
        engine_name = _explicit_engine(model)
        loader = _load_vosk if engine_name == "vosk" else _load_whisper
        engine = loader(model, root, language)
        return _set_reason(engine, f"auto: the configured model {model} is a {engine_name} model")
    installed = find_vosk_models(cache_dir=root)
    matching = [m for m in installed if m.language == language]
    problems: list[str] = []
    if matching:
        try:
            engine = _vosk_engine(matching[0], language)
        except ModelNotAvailable as exc:
            problems.append(f"vosk: {exc}")
            why = f"Vosk model {matching[0].name} failed to load ({exc})"
        else:
            m = matching[0]
            return _set_reason(engine, f"auto: Vosk model {m.name} for {language} is installed "
                                       f"({m.where}: {m.path})")
    else:
        problems.append(f"vosk: {catalog.missing_vosk_message(language, describe(installed))}")
        pull = catalog.recommended_vosk(language)
        hint = f" (try `ivr models pull {pull.name}`)" if pull is not None and pull.url else ""
        why = f"no Vosk model for {language} installed{hint}"
    try:
        engine = _load_whisper(None, root, language)
    except ModelNotAvailable as exc:
        problems.append(f"whisper: {exc}")
        raise ModelNotAvailable(
            "no speech recognition engine available. " + " | ".join(problems)
        ) from exc
    return _set_reason(engine, f"auto: {why}; using {_whisper_label(None)}")


def _load_named(name: str, model: ModelArg, root: Path | None, language: str) -> RecognizerEngine:
    if name == "fixed":
        from asr.fixed_engine import FixedEngine

        return FixedEngine()
    if name == "vosk":
        engine = _load_vosk(model, root, language)
        return _set_reason(engine, f"vosk: requested; {getattr(engine, 'reason', '')}")
    engine = _load_whisper(model, root, language)
    return _set_reason(engine, f"whisper: requested; using {_whisper_label(model)}")


def load_engine(
    name: str = "auto",
    model_dir: ModelArg = None,
    cache_dir: str | Path | None = None,
    language: str = "zh",
    beam_size: int = 5,
    parallel: int = 1,
    window_s: float = DEFAULT_WINDOW_S,
    fallback: bool = DEFAULT_FALLBACK,
    cpu_threads: int = DEFAULT_CPU_THREADS,
    readings: int = DEFAULT_READINGS,
) -> RecognizerEngine:
    """The process-wide engine for these arguments, loading it on first use.

    `name` is "auto", "vosk" or "whisper". `model_dir` is a local model directory or a model
    name (default `$IVR_ASR_MODEL`; for Whisper then `$IVR_WHISPER_MODEL`, else the base model
    from PyPI). `cache_dir` is the hotline-ivr cache root (default `$IVR_CACHE_DIR`), whose
    `models/` folder `ivr models pull` fills. `language` is what callers speak (ISO 639-1).
    `beam_size` is Whisper's (1 decodes greedily: faster, slightly less accurate; the
    capacity table in docs/benchmarks.md measures both). `parallel` is how many decodes the
    caller runs at once (its decode pool's size): Whisper's CTranslate2 then keeps that many
    workers, so concurrent decodes run side by side instead of one after another (2 on 2
    cores: 1.47 against 1.16 phone-band questions a second, a single decode 0.91 against
    0.86 s; docs/benchmarks.md). The returned engine has `name` and `reason` (why it was
    chosen). `window_s` is how much audio Whisper's encoder sees per utterance (speech plus
    padding; Whisper's own is 30 s, and 10 s decodes about 3.5 times faster for nearly the
    same accuracy, docs/benchmarks.md). `fallback` turns Whisper's temperature fallback on
    (an unsure decode sampled again at rising temperatures). `cpu_threads` is CTranslate2's
    threads per decode (one: decodes run side by side instead, docs/benchmarks.md).
    `readings` is how many of Whisper's beam hypotheses a transcript carries (the best and
    the runners-up as `alternatives`, tried when the best means nothing; 1: the best only).
    """
    if not 1 <= beam_size <= 10:
        raise ValueError(f"beam size {beam_size}: expected 1 to 10")
    if not 1 <= readings <= MAX_READINGS:
        raise ValueError(f"readings {readings}: expected 1 to {MAX_READINGS}")
    if name != "auto" and name not in ENGINES + BENCH_ENGINES:
        raise ValueError(f"unknown ASR engine {name!r}; choose auto, {', '.join(ENGINES)} "
                         f"(or {', '.join(BENCH_ENGINES)} to benchmark without recognition)")
    if model_dir is None or not str(model_dir):
        model_dir = os.environ.get(ENV_ASR_MODEL) or None
    parallel = max(1, parallel)
    key = (name, str(model_dir or ""), str(cache_dir or ""), language, beam_size, parallel,
           window_s, fallback, cpu_threads, readings, vosk_alternatives(),
           os.environ.get(ENV_WHISPER_PROMPT, ""))
    with _lock:  # two calls racing at start-up must not load the model twice
        if key not in _cache:
            root = Path(cache_dir) if cache_dir is not None else None
            _whisper_settings.size, _whisper_settings.parallel = beam_size, parallel
            _whisper_settings.window, _whisper_settings.fallback = window_s, fallback
            _whisper_settings.cpu_threads, _whisper_settings.readings = cpu_threads, readings
            if name == "auto":
                engine = _load_auto(model_dir, root, language)
            else:
                engine = _load_named(name, model_dir, root, language)
            log.info("ASR engine: %s — %s", engine.name, getattr(engine, "reason", ""))
            _cache[key] = engine
        return _cache[key]


def clear_engine_cache() -> None:
    """Forget loaded engines (tests; or to reload after the model changed)."""
    with _lock:
        _cache.clear()
