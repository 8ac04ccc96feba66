"""The server's side of each voice: a worker process per engine, with timeout and restart.

`WorkerVoiceClient` drives `ivr.voices.worker` (neural, local) the way `TtsSynthesizer`
drives the pyttsx3 worker: one request at a time under a lock, a hard timeout after which the
worker is killed and a fresh one started, and a restart when its peak memory passes
`max_rss_mb`, so a leak in a native library cannot grow without bound. `EspeakVoiceClient`
adapts `TtsSynthesizer` (pyttsx3 with the espeak-ng command as its own fallback) to the same
shape. Each `synthesize(text)` renders one clause and returns (int16 samples, rate); every
failure is a `TtsError`. Does I/O: subprocesses, temp WAV files.
"""

from __future__ import annotations

import itertools
import logging
import queue
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ivr.tts import TtsError, TtsSynthesizer, WorkerGone, WorkerProcess
from pcm.files import AudioFileError, read_audio

log = logging.getLogger(__name__)

DEFAULT_MAX_RSS_MB = 1024.0
LOAD_TIMEOUT_S = 60.0  # the first start rewrites the model file; later ones take < 1 s


class WorkerVoiceClient:
    """A neural or local voice in its own worker process, loaded once per worker."""

    def __init__(self, engine: str, cache_dir: Path, *, model: str = "", speed: float = 1.0,
                 threads: int = 1,
                 timeout_s: float = 10.0, max_rss_mb: float = DEFAULT_MAX_RSS_MB,
                 worker_cmd: list[str] | None = None) -> None:
        self.name = engine
        self.identity = ""
        self.sample_rate = 0
        self.timeout_s = timeout_s
        self.max_rss_mb = max_rss_mb
        self.peak_rss_mb = 0.0
        self.restarts = 0
        self._cmd = worker_cmd or [sys.executable, "-m", "ivr.voices.worker", "--engine", engine,
                                   "--cache-dir", str(cache_dir), "--speed", f"{speed:g}",
                                   "--threads", str(threads), "--model", model]
        self._lock = threading.Lock()
        self._worker: WorkerProcess | None = None
        self._ids = itertools.count(1)
        self._tmp: Path | None = None

    def start(self) -> None:
        """Start the worker and load the voice; TtsError with the reason if it cannot."""
        with self._lock:
            reply = self._request({"op": "describe"}, LOAD_TIMEOUT_S)
            if not reply.get("ok"):
                self._stop()
                raise TtsError(str(reply.get("error") or "voice failed to load"))
            self.identity = str(reply["identity"])
            self.sample_rate = int(reply["rate"])
            self.peak_rss_mb = max(self.peak_rss_mb, float(reply.get("rss_mb") or 0.0))

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """One clause as (int16 samples, rate); TtsError on failure, timeout or crash."""
        if not text.strip():
            return np.zeros(0, dtype=np.int16), self.sample_rate or 8000
        with self._lock:
            out = self._scratch() / f"{next(self._ids)}.wav"
            try:
                reply = self._request({"text": text, "out_path": str(out)}, self.timeout_s)
                if not reply.get("ok"):
                    raise TtsError(f"{self.name} voice: {reply.get('error')}")
                self.peak_rss_mb = max(self.peak_rss_mb, float(reply.get("rss_mb") or 0.0))
                try:
                    samples, rate = read_audio(out)
                except AudioFileError as exc:
                    raise TtsError(f"{self.name} voice wrote unreadable audio: {exc}") from exc
                rss = float(reply.get("rss_mb") or 0.0)
                if rss > self.max_rss_mb:
                    log.warning("%s voice worker at %.0f MB (limit %.0f MB); restarting it",
                                self.name, rss, self.max_rss_mb)
                    self._stop()
                    self.restarts += 1
                return samples, rate
            finally:
                out.unlink(missing_ok=True)

    def _request(self, payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        if self._worker is None:
            self._worker = WorkerProcess(self._cmd)
        payload = {"id": next(self._ids), **payload}
        try:
            return self._worker.request(payload, timeout_s)
        except queue.Empty as exc:
            self._stop()
            self.restarts += 1
            raise TtsError(f"{self.name} voice gave no answer within {timeout_s:g} s; "
                           "its worker was restarted") from exc
        except WorkerGone as exc:
            self._stop()
            self.restarts += 1
            raise TtsError(f"{self.name} voice worker died ({exc}); restarting it") from exc

    def _scratch(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix=f"ivr-{self.name}-"))
        return self._tmp

    def _stop(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None


class EspeakVoiceClient:
    """pyttsx3 on espeak-ng (`TtsSynthesizer`), as one of the chain's voices."""

    name = "espeak"

    def __init__(self, voice: str, rate: int, timeout_s: float = 10.0,
                 synthesizer: TtsSynthesizer | None = None) -> None:
        self.synth = synthesizer or TtsSynthesizer(voice=voice, rate=rate, timeout_s=timeout_s)
        self.identity = f"espeak-ng/{voice}/rate={rate}"
        self.sample_rate = 22050
        self.peak_rss_mb = 0.0
        self.restarts = 0

    def start(self) -> None:
        if shutil.which(self.synth.espeak_cmd) is None:
            raise TtsError("espeak-ng is not installed; install it with: sudo apt-get "
                           "install espeak-ng")
        self.synth.start()

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        return self.synth.synthesize(text)

    def close(self) -> None:
        self.synth.close()
