"""Trained classifiers kept on disk, so a restart with the same knowledge base skips training.

The intent and department classifiers (dialog.classifier) train at every knowledge-base load.
With 5,000-odd training rows that is 6–10 s of CPU on this machine, paid by every server
start, every worker of a cluster and every test server, although the rows are the same each
time. A model is stored under the SHA-256 of exactly what it was trained on (every row's
features and class, the number of classes, the regularisation and this module's format), so
any edit of the knowledge base, its readings or the feature code trains afresh, and an
unchanged one loads in a few hundredths of a second.

Files are written whole (a temporary file renamed) and only the newest `KEEP` are kept; a
file that cannot be read is ignored and trained again, never an error. The directory is the
caller's choice (the server uses its cache directory); without one nothing is stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["KEEP", "Stored", "default_store", "load_model", "model_key", "save_model"]

log = logging.getLogger(__name__)

# Part of every key: a new version whenever training itself changes, so no model stored by an
# older trainer is reused (v2: trained to convergence, at most 200 L-BFGS steps instead of 40).
FORMAT = "classifier-v2"
KEEP = 8  # the intent and department models of the last few knowledge-base versions
_SUFFIX = ".npz"

Stored = tuple[dict[str, int], np.ndarray, np.ndarray]  # vocabulary, weights, bias


def default_store() -> Path:
    """Where the command-line tools keep models: the server's place, `$IVR_CACHE_DIR/classifiers`
    (default `~/.cache/hotline-ivr/classifiers`, as ivr.config), so `ivr match` and `ivr kb eval`
    on an unchanged knowledge base start in a second or two instead of training."""
    root = os.environ.get("IVR_CACHE_DIR") or Path.home() / ".cache" / "hotline-ivr"
    return Path(root) / "classifiers"


def model_key(rows: Sequence[Sequence[str]], labels: Sequence[int], classes: int,
              l2: float) -> str:
    """The SHA-256 of everything a model's weights depend on."""
    digest = hashlib.sha256(f"{FORMAT}\n{classes}\n{l2!r}\n".encode())
    for label, grams in zip(labels, rows, strict=True):
        digest.update(f"{label}\t".encode())
        digest.update("\x1f".join(grams).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def load_model(directory: Path, key: str) -> Stored | None:
    """The model stored under `key`, or None (absent, or unreadable: trained again)."""
    path = directory / f"{key}{_SUFFIX}"
    try:
        with np.load(path, allow_pickle=False) as data:
            words = [str(w) for w in data["vocabulary"]]
            weights, bias = data["weights"], data["bias"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring the stored classifier %s (%s): training again", path, exc)
        return None
    if weights.shape != (len(words), bias.shape[0]):
        log.warning("ignoring the stored classifier %s (shapes disagree): training again", path)
        return None
    os.utime(path)  # recently used: kept by the pruning below
    return {w: i for i, w in enumerate(words)}, weights, bias


def save_model(directory: Path, key: str, vocabulary: dict[str, int], weights: np.ndarray,
               bias: np.ndarray) -> None:
    """Store a model under `key` and drop all but the newest KEEP; a directory that cannot be
    written is logged and skipped (the model in memory serves anyway)."""
    words = np.asarray(sorted(vocabulary, key=vocabulary.__getitem__), dtype=str)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, vocabulary=words, weights=weights, bias=bias)
        os.replace(tmp, directory / f"{key}{_SUFFIX}")
        _prune(directory)
    except OSError as exc:
        log.warning("cannot store the trained classifier in %s: %s", directory, exc)


def _prune(directory: Path) -> None:
    stored = sorted(directory.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime,
                    reverse=True)
    for old in stored[KEEP:]:
        old.unlink(missing_ok=True)
