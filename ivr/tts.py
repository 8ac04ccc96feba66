"""Text-to-speech for prompts and answers, and the cache that serves them as 8 kHz μ-law.

`TtsSynthesizer` drives pyttsx3/espeak-ng in a separate worker process (`ivr.tts_worker`)
because pyttsx3's `runAndWait()` can hang inside a long-running server: a late or dead worker
is killed and replaced, and the caller gets a `TtsError` instead of a stall. If pyttsx3 itself
is broken, it falls back to the `espeak-ng` command line. The audio helpers here (trimming,
levels, clause pauses) are what `ivr.prompt_cache` stores. Does I/O: subprocesses, temp files.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from pcm.files import AudioFileError, read_audio
from pcm.resample import resample

logger = logging.getLogger(__name__)

DEFAULT_VOICE = "sit/cmn-latn-pinyin"
DEFAULT_RATE = 170
TARGET_RATE = 8000
APT_HINT = "sudo apt-get install espeak-ng"

Progress = Callable[[int, int, str], None]


class TtsError(RuntimeError):
    """Synthesis failed (timeout, crashed worker, missing espeak-ng, unreadable output)."""


class Synthesizer(Protocol):
    """Anything that turns text into int16 mono samples and their rate."""

    def synthesize(self, text: str) -> tuple[np.ndarray, int]: ...


class SpokenClause(Protocol):
    """A piece of speakable text and the pause after it (`ivr.speakable.Clause`)."""

    @property
    def text(self) -> str: ...

    @property
    def pause_s(self) -> float: ...


Speak = Callable[[str], Sequence[SpokenClause]]


# ---- level shaping (pure) --------------------------------------------------------------------


def trim_silence(
    samples: np.ndarray, rate: int, threshold_db: float = -40.0, pad_ms: float = 30.0
) -> np.ndarray:
    """Cut leading/trailing audio quieter than `threshold_db` below the peak, keeping a pad."""
    x = np.asarray(samples, dtype=np.int16)
    magnitude = np.abs(x.astype(np.int32))
    peak = int(magnitude.max()) if magnitude.size else 0
    if peak == 0:
        return x[:0]
    loud = np.flatnonzero(magnitude > peak * 10 ** (threshold_db / 20))
    pad = int(rate * pad_ms / 1000)
    return x[max(int(loud[0]) - pad, 0) : int(loud[-1]) + pad + 1]


def normalize_level(
    samples: np.ndarray, target_dbfs: float = -16.0, percentile: float = 99.0
) -> np.ndarray:
    """Scale so the robust peak (a high percentile of |x|) sits at `target_dbfs`.

    A percentile rather than the true peak keeps one click from setting the level; the few
    samples above it are clipped, which μ-law hides. For speech this lands the RMS near the
    -26 dBov nominal telephone level.
    """
    x = np.asarray(samples, dtype=np.int16)
    if x.size == 0:
        return x
    reference = float(np.percentile(np.abs(x.astype(np.float64)), percentile))
    if reference < 1.0:
        return x
    gain = 32767.0 * 10 ** (target_dbfs / 20) / reference
    scaled = np.rint(x.astype(np.float64) * gain)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def prepare_prompt(samples: np.ndarray, rate: int) -> np.ndarray:
    """TTS output → trimmed, level-normalised int16 at 8 kHz, ready for μ-law."""
    at_8k = resample(np.asarray(samples, dtype=np.int16), rate, TARGET_RATE)
    return normalize_level(trim_silence(at_8k, TARGET_RATE))


CLAUSE_PAD_MS = 20.0


def prepare_clause(samples: np.ndarray, rate: int, pause_s: float) -> np.ndarray:
    """One clause → trimmed (20 ms kept each side), level-normalised 8 kHz int16, followed by
    silence so the gap to the next clause is `pause_s` in all."""
    at_8k = resample(np.asarray(samples, dtype=np.int16), rate, TARGET_RATE)
    speech = normalize_level(trim_silence(at_8k, TARGET_RATE, pad_ms=CLAUSE_PAD_MS))
    return np.concatenate([speech, clause_gap(pause_s)])


def clause_gap(pause_s: float) -> np.ndarray:
    """The silence after a trimmed clause (8 kHz int16) that makes the gap to the next one
    `pause_s` in all, counting the padding kept on both sides."""
    gap = max(0.0, pause_s - 2 * CLAUSE_PAD_MS / 1000)
    return np.zeros(int(gap * TARGET_RATE), dtype=np.int16)


# ---- worker process ----------------------------------------------------------------------------


def default_worker_cmd() -> list[str]:
    """The command that starts `ivr.tts_worker` with this interpreter."""
    return [sys.executable, "-m", "ivr.tts_worker"]


class WorkerGone(Exception):
    """The worker exited or closed its stdout before replying."""


class WorkerProcess:
    """One worker process; a reader thread turns its stdout lines into a queue."""

    def __init__(self, cmd: Sequence[str]) -> None:
        try:
            self._proc = subprocess.Popen(
                list(cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
            )
        except OSError as exc:
            raise TtsError(f"cannot start TTS worker {list(cmd)!r}: {exc}") from exc
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self._proc.stdout is not None
        threading.Thread(
            target=self._read, args=(self._proc.stdout,), name="tts-worker-reader", daemon=True
        ).start()

    def _read(self, stream: IO[bytes]) -> None:
        """Runs until EOF, which comes when the worker exits or is killed; owns `stream`."""
        try:
            for line in stream:
                self._put_reply(line)
        except (OSError, ValueError):
            pass
        finally:
            stream.close()
            self._replies.put(None)  # EOF: the worker is gone

    def _put_reply(self, line: bytes) -> None:
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if isinstance(reply, dict):
            self._replies.put(reply)
        else:
            logger.warning("TTS worker wrote a stray line: %r", line[:200])

    def request(self, payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one request and wait for the reply with the same id; raise on timeout/exit."""
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write((json.dumps(payload) + "\n").encode("ascii"))
            self._proc.stdin.flush()
        except OSError as exc:
            raise WorkerGone(str(exc)) from exc
        while True:
            reply = self._replies.get(timeout=timeout_s)  # queue.Empty on timeout
            if reply is None:
                raise WorkerGone(f"exit code {self._proc.poll()}")
            if reply.get("id") == payload["id"]:
                return reply

    def kill(self) -> None:
        self._proc.kill()
        self._reap()

    def close(self) -> None:
        """Ask politely (EOF on stdin), then kill."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait(timeout=1.0)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
        self._reap()

    def _reap(self) -> None:
        try:
            self._proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            logger.error("TTS worker pid %s did not exit after kill", self._proc.pid)
        if self._proc.stdin is not None:
            self._proc.stdin.close()


# ---- synthesizer ---------------------------------------------------------------------------


class TtsSynthesizer:
    """Mandarin TTS through a pyttsx3 worker process, with a hard per-call timeout.

    Thread-safe: one lock serialises requests to the single worker. `worker_cmd` and
    `espeak_cmd` are injectable so tests can supply a hanging worker or a missing binary.
    """

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        rate: int = DEFAULT_RATE,
        timeout_s: float = 10.0,
        *,
        worker_cmd: Sequence[str] | None = None,
        espeak_cmd: str = "espeak-ng",
    ) -> None:
        self.voice = voice
        self.rate = rate
        self.timeout_s = timeout_s
        self.worker_cmd = list(worker_cmd) if worker_cmd is not None else default_worker_cmd()
        self.espeak_cmd = espeak_cmd
        self._lock = threading.Lock()
        self._worker: WorkerProcess | None = None
        self._tmpdir: Path | None = None
        self._ids = itertools.count(1)
        self._warned_fallback = False

    def start(self) -> None:
        """Start the worker now (optional) so the first synthesis does not pay for it."""
        with self._lock:
            self._ensure_worker()

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Speech for `text` as (int16 mono samples, sample rate); TtsError on any failure."""
        if not text.strip():
            return np.zeros(0, dtype=np.int16), TARGET_RATE
        with self._lock:
            request_id = next(self._ids)
            out_path = self._scratch_dir() / f"{request_id}.wav"
            try:
                error = self._synthesize_in_worker(request_id, text, out_path)
                if error is not None:
                    self._warn_fallback(error)
                    self._synthesize_with_espeak(text, out_path)
                return self._read_output(out_path)
            finally:
                out_path.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop the worker and remove temp files; later calls start a new worker."""
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None
            if self._tmpdir is not None:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
                self._tmpdir = None

    def __enter__(self) -> TtsSynthesizer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _scratch_dir(self) -> Path:
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="ivr-tts-"))
        return self._tmpdir

    def _ensure_worker(self) -> WorkerProcess:
        if self._worker is None:
            self._worker = WorkerProcess(self.worker_cmd)
        return self._worker

    def _synthesize_in_worker(self, request_id: int, text: str, out_path: Path) -> str | None:
        """None on success, the worker's error text if pyttsx3 failed; TtsError if it hung."""
        payload = {
            "id": request_id,
            "text": text,
            "voice": self.voice,
            "rate": self.rate,
            "out_path": str(out_path),
        }
        try:
            reply = self._ensure_worker().request(payload, self.timeout_s)
        except queue.Empty as exc:
            self._restart_worker()
            raise TtsError(
                f"TTS worker gave no answer within {self.timeout_s:g} s; restarted it"
            ) from exc
        except WorkerGone as exc:
            self._restart_worker()
            raise TtsError(f"TTS worker died ({exc}); restarted it") from exc
        return None if reply.get("ok") else str(reply.get("error") or "unknown error")

    def _restart_worker(self) -> None:
        """Kill the current worker and start a fresh one at once, so it warms up meanwhile."""
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
        try:
            self._ensure_worker()
        except TtsError as exc:
            logger.error("%s", exc)

    def _warn_fallback(self, error: str) -> None:
        if not self._warned_fallback:
            self._warned_fallback = True
            logger.warning("pyttsx3 failed (%s); falling back to the espeak-ng command", error)

    def _synthesize_with_espeak(self, text: str, out_path: Path) -> None:
        executable = shutil.which(self.espeak_cmd)
        if executable is None:
            raise TtsError(f"{self.espeak_cmd!r} not found; install it with: {APT_HINT}")
        # Text goes through stdin (UTF-8, `-b 1`) so a leading "-" is never read as an option.
        voice = self.voice.rsplit("/", 1)[-1]
        cmd = [executable, "-b", "1", "-v", voice, "-s", str(self.rate), "-w", str(out_path)]
        try:
            done = subprocess.run(
                cmd,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TtsError(f"espeak-ng gave no audio within {self.timeout_s:g} s") from exc
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace").strip()
            raise TtsError(f"espeak-ng failed (exit {done.returncode}): {stderr}")

    @staticmethod
    def _read_output(path: Path) -> tuple[np.ndarray, int]:
        try:
            return read_audio(path)
        except AudioFileError as exc:
            raise TtsError(f"unreadable TTS output {path}: {exc}") from exc


# ---- prompt cache ------------------------------------------------------------------------------
