"""Find the Vosk model to load on this machine. Reads the file system only, no network.

Models come from an explicit path (`IVR_ASR_MODEL` or --model), the cache
(`$IVR_CACHE_DIR/models/`, where `ivr models pull` installs them) or pip-installed
`vosk_model_*` packages, in that order. When none fits, `ModelNotAvailable` carries the
one-line command that installs one.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from asr import catalog
from asr.base import ModelNotAvailable
from asr.catalog import ENV_ASR_MODEL
from asr.model_cache import models_dir

INSTALL_MARKER = ".ivr-model.json"
VOSK_PACKAGE_PREFIX = "vosk_model"


@dataclass(frozen=True)
class InstalledModel:
    """A model directory found on this machine; `where` says how ("cache", "pip:NAME", ...)."""

    name: str
    path: Path
    where: str
    engine: str
    language: str | None


def is_vosk_model_dir(path: Path) -> bool:
    """True for a Vosk model folder (new layout `am/final.mdl`, or the old flat `final.mdl`)."""
    return (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()


def _language_of(name: str) -> str | None:
    info = catalog.find(name)
    return info.language if info is not None else catalog.guess_language(name)


def _top_level_names(dist: importlib.metadata.Distribution) -> list[str]:
    """Import names a distribution installs (top_level.txt, else the first path parts)."""
    text = dist.read_text("top_level.txt")
    if text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    names = {PurePosixPath(str(f)).parts[0] for f in dist.files or ()}
    return sorted(n for n in names if not n.endswith((".dist-info", ".egg-info", ".pth")))


def _package_dir(dist: importlib.metadata.Distribution, name: str, search: bool) -> Path:
    if not search:  # the running interpreter: ask the import system (handles odd layouts)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
    return Path(str(dist.locate_file(name)))


def find_pip_vosk_models(search_path: list[str] | None = None) -> list[InstalledModel]:
    """Installed `vosk_model_*` packages holding a `model/` folder, via importlib.metadata.

    `search_path` replaces sys.path (tests point it at fake site directories).
    """
    found: dict[Path, InstalledModel] = {}
    for dist in importlib.metadata.distributions(path=sys.path if search_path is None
                                                 else search_path):
        dist_name = dist.metadata["Name"] or ""
        for top in _top_level_names(dist):
            if not top.startswith(VOSK_PACKAGE_PREFIX):
                continue
            model = _package_dir(dist, top, search_path is not None) / "model"
            if model in found or not is_vosk_model_dir(model):
                continue
            known = catalog.by_package(top)
            name = known.name if known else dist_name or top.replace("_", "-")
            found[model] = InstalledModel(name, model, f"pip:{dist_name or top}", "vosk",
                                          _language_of(name))
    return list(found.values())


def find_cached_models(cache_dir: str | Path | None = None) -> list[InstalledModel]:
    """Vosk model folders under `<cache root>/models/` (downloaded by `ivr models pull`)."""
    root = models_dir(cache_dir)
    if not root.is_dir():
        return []
    return [
        InstalledModel(child.name, child, "cache", "vosk", _language_of(child.name))
        for child in sorted(root.iterdir())
        if not child.name.startswith(".") and is_vosk_model_dir(child)
    ]


def find_vosk_models(language: str | None = None, *, cache_dir: str | Path | None = None,
                     search_path: list[str] | None = None) -> list[InstalledModel]:
    """Installed Vosk models for `language` (all if None): the cache first, then pip packages."""
    models = find_cached_models(cache_dir) + find_pip_vosk_models(search_path)
    return [m for m in models if language is None or m.language == language]


def describe(models: list[InstalledModel]) -> list[str]:
    """"name (language)" for each model, as the fixing messages list them."""
    return [f"{m.name} ({m.language})" for m in models]


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.startswith((".", "~"))


def _explicit_vosk_model(path: Path) -> InstalledModel:
    if not is_vosk_model_dir(path):
        raise ModelNotAvailable(
            f"{path} is not a Vosk model directory (no am/final.mdl). Point {ENV_ASR_MODEL} "
            "or --model at the unpacked folder that holds am/, conf/ and graph/."
        )
    return InstalledModel(path.name, path, "explicit path", "vosk", _language_of(path.name))


def resolve_vosk_model(model: str | Path | None = None, *, language: str = "zh",
                       cache_dir: str | Path | None = None,
                       search_path: list[str] | None = None) -> InstalledModel:
    """The Vosk model to load: explicit path or name, else `$IVR_ASR_MODEL`, else discovery.

    A directory is used as-is; a name ("vosk-model-small-cn-0.22") is looked up among the
    installed models; with neither, the first installed model for `language` (cache before
    pip packages). Raises `ModelNotAvailable` with the command that installs one.
    """
    if model is None or not str(model):
        model = os.environ.get(ENV_ASR_MODEL) or None
    if model is not None:
        text = str(model)
        path = Path(text).expanduser()
        if isinstance(model, Path) or _looks_like_path(text) or path.is_dir():
            return _explicit_vosk_model(path)
        known = catalog.find(text)
        wanted = known.name if known is not None else text
        for found in find_vosk_models(cache_dir=cache_dir, search_path=search_path):
            if found.name == wanted:
                return found
        raise ModelNotAvailable(catalog.missing_named_message(wanted))
    candidates = find_vosk_models(cache_dir=cache_dir, search_path=search_path)
    for found in candidates:
        if found.language == language:
            return found
    raise ModelNotAvailable(catalog.missing_vosk_message(language, describe(candidates)))


def installed_sha256(path: Path) -> str | None:
    """The archive SHA-256 `pull_model` recorded for an installed model, if any."""
    try:
        data = json.loads((path / INSTALL_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("sha256") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
