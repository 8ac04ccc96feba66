"""Whisper (faster-whisper / CTranslate2) behind the `RecognizerEngine` interface.

Whisper decodes whole utterances, so a `WhisperRecognizer` only buffers audio until
`finish()`, or decodes a given span with `decode_utterance()` without touching that buffer
(which lets `asr.stream` start a decode speculatively in a pause); endpointing happens before
it (`asr.endpointing`), which is why faster-whisper's own VAD is off. One `WhisperEngine`
holds the model and is shared by every call: CTranslate2's `transcribe` may be called from
several threads at once. Loading reads the model directory; decoding is CPU work with no I/O.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from asr.base import ModelNotAvailable, Transcript
from asr.textnorm import normalize_transcript, scoring_text
from asr.whisper_choices import ScoredChoice, best_choice, score_choices, worth_scoring
from asr.whisper_models import (
    DEFAULT_CPU_THREADS,
    DEFAULT_FALLBACK,
    DEFAULT_READINGS,
    DEFAULT_WINDOW_S,
)
from asr.whisper_nbest import NBestModel
from pcm.samples import int16_to_float32

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MIN_AUDIO_S = 0.2
# A simplified-Chinese prompt such as "以下是普通话的句子。" makes Whisper write simplified
# characters (1 of 44 hotline clips came out traditional instead of 19), but measured after
# OpenCC normalisation it raised mean CER from 0.086 to 0.116 (e.g. 转人工 → 转人宫), and a
# domain-vocabulary prompt did no better (0.091). So no prompt by default; textnorm simplifies.
DEFAULT_PROMPT: str | None = None
FRAMES_PER_S = 100  # Whisper's mel frames (10 ms hop)
HOP_SAMPLES = SAMPLE_RATE // FRAMES_PER_S
# faster-whisper's temperature fallback: a decode whose average log-probability is low (or
# whose text repeats itself) is decoded again, sampling five candidates at each temperature.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
TRAILING_FRAMES = 50  # the silence kept after speech longer than the window


class WhisperEngine:
    """A loaded Whisper model; `new_recognizer()` hands out cheap per-call recognizers."""

    name = "whisper"
    sample_rate = SAMPLE_RATE
    supports_context = True  # a recognizer's `set_context` becomes the decode's prompt
    supports_choices = True  # and its `set_choices` the replies scored after a decode

    def __init__(
        self,
        model_dir: str | Path,
        language: str = "zh",
        beam_size: int = 5,
        compute_type: str = "int8",
        cpu_threads: int = DEFAULT_CPU_THREADS,
        initial_prompt: str | None = DEFAULT_PROMPT,
        num_workers: int = 1,
        window_s: float = DEFAULT_WINDOW_S,
        fallback: bool = DEFAULT_FALLBACK,
        readings: int = DEFAULT_READINGS,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.fallback = fallback
        self.cpu_threads = cpu_threads
        self.language = language
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt
        if not 1.0 <= window_s <= 30.0:
            raise ValueError(f"Whisper window {window_s} s: expected 1 to 30 s")
        self.window_s = window_s
        if not (self.model_dir / "model.bin").is_file():
            raise ModelNotAvailable(f"no Whisper model.bin in {self.model_dir}")
        # local_files_only: a directory path never triggers a download, but be explicit.
        self.model = _WindowedModel(
            str(self.model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=num_workers,
            local_files_only=True,
        )
        self.model.window_frames = round(window_s * FRAMES_PER_S)
        # The beam's runners-up as `Transcript.alternatives` (asr.whisper_nbest); 1: none.
        self.readings = readings
        # Always wrapped: besides the runners-up it keeps the encoder output that expected
        # replies are scored against (asr.whisper_choices).
        self._nbest = self.model.model = NBestModel(self.model.model, readings)
        self._tokenizer = Tokenizer(self.model.hf_tokenizer, self._nbest.is_multilingual,
                                    task="transcribe", language=language)

    def new_recognizer(self, phrases: list[str] | None = None) -> WhisperRecognizer:
        """A fresh recognizer; Whisper has no grammar, so `phrases` is ignored."""
        return WhisperRecognizer(self)

    def transcribe(self, audio: np.ndarray, context: str | None = None,
                   choices: Sequence[str] = ()) -> tuple[str, float | None, tuple[str, ...]]:
        """Decode float32 16 kHz audio in [-1, 1]; return (normalised text, confidence, the
        beam's other readings best first: none when the text is empty). `context` is what
        the caller just heard (the bot's question): Whisper reads it as the text before the
        audio, in place of the engine's `initial_prompt`. `choices` are the replies that
        question expects: the likeliest of them over this audio is the last reading, unless
        the text already says one or is longer than a short reply (asr.whisper_choices)."""
        self._nbest.begin()
        segments, _info = self.model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
            initial_prompt=context or self.initial_prompt,
            temperature=FALLBACK_TEMPERATURES if self.fallback else 0.0,
        )
        texts: list[str] = []
        logprobs: list[float] = []
        for segment in segments:  # a lazy generator: decoding happens while iterating
            texts.append(segment.text)
            logprobs.append(segment.avg_logprob)
        text = normalize_transcript("".join(texts))
        others = self._other_readings(text)
        if choices and worth_scoring(text, choices):
            choice = self._expected_reply(audio.size, choices)
            if choice is not None and scoring_text(choice) not in {
                    scoring_text(t) for t in (text, *others)}:
                others += (choice,)
        return text, _confidence(logprobs), others

    def score_choices(self, audio_samples: int, choices: Sequence[str]) -> list[ScoredChoice]:
        """The replies scored against this thread's last decode (empty when it took several
        windows; a sampled fallback decodes the same window, which is scored)."""
        encoded = self._nbest.encoded()
        if encoded is None:
            return []
        frames = min(audio_samples // HOP_SAMPLES, 2 * int(encoded.shape[1]))
        return score_choices(self._nbest, self._tokenizer, encoded, max(frames, 1), choices)

    def _expected_reply(self, audio_samples: int, choices: Sequence[str]) -> str | None:
        try:
            return best_choice(self.score_choices(audio_samples, choices))
        except Exception:  # scoring is a bonus: a transcript never fails for it
            log.exception("scoring the expected replies failed")
            return None

    def _other_readings(self, best: str) -> tuple[str, ...]:
        if not best:
            return ()
        eot = self._tokenizer.eot
        found: list[str] = []
        seen = {scoring_text(best)}  # a runner-up that differs only in punctuation adds nothing
        for ids in self._nbest.others():
            text = normalize_transcript(self._tokenizer.decode([t for t in ids if t < eot]))
            if (key := scoring_text(text)) and key not in seen:
                seen.add(key)
                found.append(text)
        return tuple(found)


class _WindowedModel(WhisperModel):
    """faster-whisper's model, its encoder input cut from 30 s to `window_frames`.

    `transcribe` pads each 30 s segment's features with zero columns (`pad_or_trim`); this
    drops the padding beyond the window before encoding. CTranslate2 accepts the shorter
    input, and the decoder attends to whatever length the encoder gave it.
    """

    window_frames = 3000

    def encode(self, features: np.ndarray) -> Any:
        return super().encode(trim_padding(features, self.window_frames))


def trim_padding(features: np.ndarray, window_frames: int) -> np.ndarray:
    """Drop the zero columns after the speech, keeping at least `window_frames` columns.

    Speech longer than the window keeps `TRAILING_FRAMES` of the padding after it. A column
    of real audio is never all zeros (silence normalises to negative values), so the first
    all-zero column after the last non-zero one is where faster-whisper's padding starts.
    """
    if features.shape[-1] <= window_frames:
        return features
    columns = features.reshape(-1, features.shape[-1])
    voiced = np.flatnonzero(np.any(columns != 0, axis=0))
    end = int(voiced[-1]) + 1 if voiced.size else 0
    keep = min(features.shape[-1], max(window_frames, end + TRAILING_FRAMES))
    return np.ascontiguousarray(features[..., :keep])


def _confidence(avg_logprobs: Iterable[float]) -> float | None:
    values = list(avg_logprobs)
    return math.exp(sum(values) / len(values)) if values else None


class WhisperRecognizer:
    """One caller's buffer of 16 kHz int16 audio, decoded as a whole on `finish()`."""

    sample_rate = SAMPLE_RATE

    def __init__(self, engine: WhisperEngine) -> None:
        self._engine = engine
        self.context: str | None = None  # what the caller just heard (see `set_context`)
        self.choices: tuple[str, ...] = ()  # the replies it expects (see `set_choices`)
        self._chunks: list[np.ndarray] = []
        self._lock = threading.Lock()  # accept_audio and finish may come from different threads

    def accept_audio(self, samples: np.ndarray) -> str | None:
        """Buffer int16 mono samples at 16 kHz; Whisper gives no partial results."""
        if samples.dtype != np.int16:
            raise TypeError(f"expected int16 samples, got {samples.dtype}")
        with self._lock:
            self._chunks.append(samples.reshape(-1).copy())
        return None

    def finish(self) -> Transcript:
        """Decode the buffered audio (empty text if under 0.2 s) and start a new utterance."""
        with self._lock:
            chunks, self._chunks = self._chunks, []
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return self.decode_utterance(pcm)

    def set_context(self, text: str | None) -> None:
        """Decode the next utterances as a reply to `text` (the bot's question), or with no
        context (None). A short answer such as 没有了 or 第二个 is ambiguous audio; after
        还有其他问题吗 Whisper hears it more often as what it is (docs/benchmarks.md)."""
        self.context = text or None

    def set_choices(self, choices: Sequence[str] | None) -> None:
        """The replies the next utterances are expected to be (是的 / 不对 after a
        confirmation), or none. The likeliest over the audio is offered as the transcript's
        last reading when the transcript itself says none of them (asr.whisper_choices)."""
        self.choices = tuple(choices or ())

    def decode_utterance(self, pcm: np.ndarray) -> Transcript:
        """Decode `pcm` (int16, 16 kHz) as one utterance; the buffer is left alone.

        Stateless, so several may run at once (a speculative decode still running in one
        worker while the next utterance is decoded in another), and a speculative result can
        stand in for the final one. The same samples give the same transcript unless the
        decode was unsure enough for the temperature fallback, which samples (a garbled 满意
        came back as mae, ma or 买语 in six decodes): never compare two such transcripts.
        """
        if pcm.dtype != np.int16:
            raise TypeError(f"expected int16 samples, got {pcm.dtype}")
        pcm = pcm.reshape(-1)
        audio_s = pcm.size / SAMPLE_RATE
        if audio_s < MIN_AUDIO_S:
            return Transcript("", None, audio_s, 0.0, WhisperEngine.name)
        started = time.perf_counter()
        text, confidence, others = self._engine.transcribe(int16_to_float32(pcm), self.context,
                                                           self.choices)
        decode_s = time.perf_counter() - started
        return Transcript(text, confidence, audio_s, decode_s, WhisperEngine.name, others)

    def reset(self) -> None:
        """Drop buffered audio without decoding."""
        with self._lock:
            self._chunks = []
