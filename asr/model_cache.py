"""Where hotline-ivr keeps model files on disk; shared by the Whisper and Vosk model code.

One root (`$IVR_CACHE_DIR`, default ~/.cache/hotline-ivr) so a deployment can move every
assembled or downloaded model with a single setting, and operators find them in one place.
"""

from __future__ import annotations

import os
from pathlib import Path

# Large enough that hashing or copying a 145 MB model is a few dozen reads, small enough to
# keep memory flat on a 4 GB model.
CHUNK_BYTES = 4 * 1024 * 1024
ENV_CACHE_DIR = "IVR_CACHE_DIR"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """The hotline-ivr cache: `cache_dir`, else `$IVR_CACHE_DIR`, else ~/.cache/hotline-ivr."""
    if cache_dir is not None and str(cache_dir):
        return Path(cache_dir).expanduser()
    root = os.environ.get(ENV_CACHE_DIR) or Path.home() / ".cache" / "hotline-ivr"
    return Path(root).expanduser()


def models_dir(cache_dir: str | Path | None = None) -> Path:
    """Where downloaded models live: `<cache root>/models`, one folder per model name."""
    return cache_root(cache_dir) / "models"
