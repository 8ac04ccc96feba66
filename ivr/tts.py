"""Text-to-speech for prompts and answers, and the cache that serves them as 8 kHz μ-law.

`TtsSynthesizer` drives pyttsx3/espeak-ng in a separate worker process (`ivr.tts_worker`)
because pyttsx3's `runAndWait()` can hang inside a long-running server: a late or dead worker
is killed and replaced, and the caller gets a `TtsError` instead of a stall. If pyttsx3 itself
is broken, it falls back to the `espeak-ng` command line. `PromptCache` renders each text once
(trimmed, level-normalised, 8 kHz μ-law), keeps it on disk and in memory, and serves recorded
audio instead of TTS where one is configured. Does I/O: subprocesses, temp and cache files.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from ivr.media.codecs import mulaw_decode, mulaw_encode
from pcm.files import AudioFileError, read_audio
from pcm.resample import resample

logger = logging.getLogger(__name__)

DEFAULT_VOICE = "sit/cmn-latn-pinyin"
DEFAULT_RATE = 170
TARGET_RATE = 8000
# Bump when trimming, levels or the encoding change, so stale cache files are never served.
FORMAT_VERSION = "ulaw8k-trim-norm-v1"
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
    gap = max(0.0, pause_s - 2 * CLAUSE_PAD_MS / 1000)
    return np.concatenate([speech, np.zeros(int(gap * TARGET_RATE), dtype=np.int16)])


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


class PromptCache:
    """Prompt audio as 8 kHz μ-law bytes: recordings first, then disk, then TTS.

    Disk entries are `<sha256(version, voice, rate, variant, text)>.ulaw`, written
    atomically; a small LRU in memory sits on top. `voice` names the engine and voice (so
    entries of different voices never mix), `variant` anything else that changes the sound
    (the text normalisation version). Recordings are looked up by an explicit key (a prompt
    key or intent id), by the exact text, or by the cache key of the text.

    With `speak` (text → clauses with pauses, `ivr.speakable`) a text is rendered clause by
    clause: `stream_samples` yields the first clause as soon as it is made, so playback can
    start while the rest is rendered, and the whole is cached when the last clause is done.
    Streamed and cached audio are the same bytes. A clause no voice can render ends the text
    with `fallback_audio` (a recorded apology), never with silence; such a text is not cached.
    """

    def __init__(
        self,
        cache_dir: Path,
        synthesizer: Synthesizer,
        voice: str,
        rate: int,
        recordings: Mapping[str, str | os.PathLike[str]] | None = None,
        *,
        memory_entries: int = 512,
        speak: Speak | None = None,
        variant: str = "",
        fallback_audio: str | os.PathLike[str] | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.synthesizer = synthesizer
        self.voice = voice
        self.rate = rate
        self.variant = variant
        self._speak = speak
        self._fallback_audio = Path(fallback_audio) if fallback_audio else None
        self._recordings = {k: Path(v) for k, v in (recordings or {}).items()}
        self._bad_recordings: set[Path] = set()
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_entries = memory_entries
        self._lock = threading.Lock()
        # requests by where the audio came from (the /metrics prompt-cache counter)
        self.served = {"recording": 0, "cached": 0, "rendered": 0}
        # (first audio s, synthesis s, audio s) of each text a voice rendered: /metrics
        self.on_rendered: Callable[[float, float, float], None] | None = None

    def key_for(self, text: str) -> str:
        """The cache key of `text` for this voice, rate, variant and format version."""
        parts = [FORMAT_VERSION, self.voice, str(self.rate), text]
        if self.variant:
            parts.insert(3, self.variant)
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()

    def path_for(self, text: str) -> Path:
        return self.cache_dir / f"{self.key_for(text)}.ulaw"

    def register_recording(self, text_or_key: str, path: str | os.PathLike[str]) -> None:
        """Serve the audio file at `path` instead of TTS for this text or key."""
        with self._lock:
            self._recordings[text_or_key] = Path(path)
            self._bad_recordings.discard(Path(path))

    def get(self, text: str, key: str | None = None) -> bytes:
        """8 kHz μ-law for `text` (or for the recording registered under `key`)."""
        return b"".join(self._stream(text, key))

    def get_samples(self, text: str, key: str | None = None) -> np.ndarray:
        """The same audio as `get`, decoded to int16 at 8000 Hz."""
        return mulaw_decode(self.get(text, key))

    def stream_samples(self, text: str, key: str | None = None) -> Iterator[np.ndarray]:
        """The audio of `get_samples` in pieces (int16, 8 kHz): one piece when it is cached
        or recorded, else one per clause as each is rendered. Blocking between pieces."""
        for piece in self._stream(text, key):
            yield mulaw_decode(piece)

    def prerender(self, texts: Iterable[str], progress: Progress | None = None) -> None:
        """Render every text not yet on disk; TtsError after the rest if any failed."""
        missing = [t for t in dict.fromkeys(texts) if not self._ready(t)]
        failures: list[str] = []
        for done, text in enumerate(missing, start=1):
            try:
                self._get_tts(text)
            except TtsError as exc:
                failures.append(f"{text[:30]!r}: {exc}")
                logger.error("prerender failed for %r: %s", text[:30], exc)
            logger.info("prerendered prompt %d/%d: %s", done, len(missing), text[:30])
            if progress is not None:
                progress(done, len(missing), text)
        if failures:
            raise TtsError(f"{len(failures)} of {len(missing)} prompts failed; {failures[0]}")

    def _ready(self, text: str) -> bool:
        recording = self._recording_for(text, None)
        if recording is not None and self._load_recording(recording) is not None:
            return True
        return self.path_for(text).is_file()

    # -- TTS entries --

    def _stream(self, text: str, key: str | None) -> Iterator[bytes]:
        recording = self._recording_for(text, key)
        if recording is not None:
            audio = self._load_recording(recording)
            if audio is not None:
                self.served["recording"] += 1
                yield audio
                return
        cached = self._cached(self.key_for(text))
        self.served["cached" if cached is not None else "rendered"] += 1
        if cached is not None:
            yield cached
        elif self._speak is None:
            yield self._get_tts(text)
        else:
            yield from self._render_clauses(text)

    def _cached(self, key: str) -> bytes | None:
        cached = self._memory_get(key)
        if cached is None:
            cached = self._read_disk(key)
            if cached is not None:
                self._memory_put(key, cached)
        return cached

    def _get_tts(self, text: str) -> bytes:
        key = self.key_for(text)
        cached = self._cached(key)
        if cached is not None:
            return cached
        if self._speak is not None:
            pieces = list(self._render_clauses(text))
            audio = b"".join(pieces)
            if self._cached(key) is None:  # a fallback apology is not cached
                raise TtsError(f"{text[:30]!r} was not cached: its first voice failed on "
                               "a clause (a fallback voice or the apology played)")
            return audio
        samples, rate = self.synthesizer.synthesize(text)
        audio = mulaw_encode(prepare_prompt(samples, rate))
        self._write_disk(key, audio)
        self._memory_put(key, audio)
        return audio

    def _render_clauses(self, text: str) -> Iterator[bytes]:
        """Clause by clause; the whole is cached only if every clause came from the first
        voice (an entry in a fallback voice would outlive the fault that caused it)."""
        assert self._speak is not None
        pieces: list[bytes] = []
        primary = True
        started = time.perf_counter()
        first_s = synth_s = 0.0
        for clause in self._speak(text):
            try:
                t0 = time.perf_counter()
                samples, rate, first_voice = self._render_one(clause.text)
                synth_s += time.perf_counter() - t0
            except TtsError as exc:
                fallback = self._fallback()
                if fallback is None:
                    raise
                logger.error("no voice rendered %r (%s); playing the recorded apology",
                             clause.text, exc)
                yield fallback
                return
            primary = primary and first_voice
            piece = mulaw_encode(prepare_clause(samples, rate, clause.pause_s))
            pieces.append(piece)
            if not first_s:
                first_s = time.perf_counter() - started
            yield piece
        audio = b"".join(pieces)
        if self.on_rendered is not None and audio:
            self.on_rendered(first_s, synth_s, len(audio) / TARGET_RATE)  # μ-law: a byte a sample
        if primary and audio:
            key = self.key_for(text)
            self._write_disk(key, audio)
            self._memory_put(key, audio)

    def _render_one(self, text: str) -> tuple[np.ndarray, int, bool]:
        render = getattr(self.synthesizer, "render", None)
        if render is not None:  # a VoiceChain says which of its voices answered
            result = render(text)
            return result.samples, result.rate, result.primary
        samples, rate = self.synthesizer.synthesize(text)
        return samples, rate, True

    def _fallback(self) -> bytes | None:
        if self._fallback_audio is None:
            return None
        return self._load_recording(self._fallback_audio)

    def _read_disk(self, key: str) -> bytes | None:
        try:
            return (self.cache_dir / f"{key}.ulaw").read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("cannot read cached prompt %s (%s); re-rendering", key, exc)
            return None

    def _write_disk(self, key: str, audio: bytes) -> None:
        """Write via a temp file and rename, so readers never see half an entry."""
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(audio)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.cache_dir / f"{key}.ulaw")
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            logger.warning("cannot write cached prompt %s (%s); serving from memory", key, exc)

    def _memory_get(self, key: str) -> bytes | None:
        with self._lock:
            audio = self._memory.get(key)
            if audio is not None:
                self._memory.move_to_end(key)
            return audio

    def _memory_put(self, key: str, audio: bytes) -> None:
        with self._lock:
            self._memory[key] = audio
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_entries:
                self._memory.popitem(last=False)

    # -- recordings --

    def _recording_for(self, text: str, key: str | None) -> Path | None:
        with self._lock:
            for candidate in (key, text, self.key_for(text)):
                if candidate is not None and candidate in self._recordings:
                    return self._recordings[candidate]
        return None

    def _load_recording(self, path: Path) -> bytes | None:
        """μ-law of a recording, or None (warned once) if it is missing or unreadable."""
        memory_key = f"recording:{path}"
        cached = self._memory_get(memory_key)
        if cached is not None:
            return cached
        if path in self._bad_recordings:
            return None
        try:
            samples, rate = read_audio(path)
            audio = mulaw_encode(resample(samples, rate, TARGET_RATE))
        except Exception as exc:  # a bad recording must never take a call down
            self._bad_recordings.add(path)
            logger.warning("recording %s unusable (%s); using TTS instead", path, exc)
            return None
        self._memory_put(memory_key, audio)
        return audio
