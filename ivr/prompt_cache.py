"""The prompt cache: every text the bot says, as 8 kHz μ-law, rendered once.

`PromptCache` renders each text once (trimmed, level-normalised, 8 kHz μ-law, clause by clause
so playback can start on the first), keeps it on disk and in memory, and serves recorded
audio instead of TTS where one is configured. Does I/O: cache and recording files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from ivr.media.codecs import mulaw_decode, mulaw_encode
from ivr.tts import (
    TARGET_RATE,
    Progress,
    Speak,
    Synthesizer,
    TtsError,
    clause_gap,
    prepare_clause,
    prepare_prompt,
)
from pcm.files import read_audio
from pcm.resample import resample

logger = logging.getLogger(__name__)
# Bump when trimming, levels or the encoding (ivr.tts) change, so stale files are never served.
FORMAT_VERSION = "ulaw8k-trim-norm-v1"

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

    def _clause_key(self, text: str) -> str:
        """The cache key of one clause's speech (its pause is added when played): texts with
        slots (a clarifying or a department-choice question) share their fixed clauses, so
        those play at once."""
        return self.key_for(f"\x01clause\x00{text}")

    def _render_clauses(self, text: str) -> Iterator[bytes]:
        """Clause by clause, each from the clause cache when said before; the whole (and
        each clause) is cached only if it came from the first voice (an entry in a fallback
        voice would outlive the fault that caused it)."""
        assert self._speak is not None
        pieces: list[bytes] = []
        primary = True
        started = time.perf_counter()
        first_s = synth_s = 0.0
        for clause in self._speak(text):
            key = self._clause_key(clause.text)
            speech = self._cached(key)
            if speech is None:
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
                speech = mulaw_encode(prepare_clause(samples, rate, 0.0))
                if first_voice:
                    self._write_disk(key, speech)
                    self._memory_put(key, speech)
            piece = speech + mulaw_encode(clause_gap(clause.pause_s))
            pieces.append(piece)
            if not first_s:
                first_s = time.perf_counter() - started
            yield piece
        audio = b"".join(pieces)
        if self.on_rendered is not None and audio and synth_s:
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
