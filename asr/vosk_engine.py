"""Vosk (Kaldi) behind the `RecognizerEngine` interface: streaming decoding and phrase grammars.

One `vosk.Model` per model directory is shared by the whole process; each call gets a
`VoskRecognizer` wrapping its own `KaldiRecognizer`, which decodes incrementally as audio is
fed, so `finish()` only finalises the last few frames. Vosk's JSON strings are parsed into
plain text here, at the boundary: filler tokens such as `[unk]` are dropped and Chinese words
are joined without spaces. Given a phrase list, models with a runtime graph (`HCLr.fst` +
`Gr.fst`) decode with a grammar of those phrases; big models with a static `HCLG.fst` cannot,
which is logged once. Loading reads the model directory; decoding is CPU work with no I/O.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import vosk

from asr.base import ModelNotAvailable, Transcript
from asr.vosk_models import is_vosk_model_dir

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE = 16000  # Kaldi's MFCC default when mfcc.conf names no rate
UNK = "[unk]"
PARTIAL_EVERY_S = 0.2  # recompute the partial hypothesis at most this often (audio time)
_MAX_WORD_CHARS = 8  # longest vocabulary entry tried when splitting a Chinese phrase
_CJK = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_CJK_ONLY = re.compile(f"^[{_CJK}]+$")
MAX_ALTERNATIVES = 10
_FILLER = re.compile(r"^(\[[^\]]*\]|<[^>]*>)$")  # [unk], <unk>, [noise]: not words

_models: dict[Path, vosk.Model] = {}
_models_lock = threading.Lock()


def shared_model(model_dir: Path) -> vosk.Model:
    """The process-wide `vosk.Model` for `model_dir`, loaded on first use."""
    key = model_dir.resolve()
    with _models_lock:  # two calls racing at start-up must not load 200 MB twice
        if key not in _models:
            try:
                _models[key] = vosk.Model(str(key))
            except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
                raise ModelNotAvailable(f"Vosk could not load the model in {key}: {exc}") from exc
        return _models[key]


def _uses_new_layout(model_dir: Path) -> bool:
    return (model_dir / "am" / "final.mdl").is_file()


def model_sample_rate(model_dir: Path) -> int:
    """The rate the model was trained for: `--sample-frequency` in its mfcc.conf, else 16 kHz."""
    conf = model_dir / ("conf/mfcc.conf" if _uses_new_layout(model_dir) else "mfcc.conf")
    try:
        lines = conf.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return DEFAULT_SAMPLE_RATE
    for line in lines:
        key, _, value = line.split("#", 1)[0].strip().partition("=")
        if key == "--sample-frequency" and value.strip():
            return int(float(value))
    return DEFAULT_SAMPLE_RATE


def model_supports_grammar(model_dir: Path) -> bool:
    """True when Vosk can build a grammar at runtime for this model.

    Vosk loads `graph/HCLG.fst` when present (big models: static graph, grammars ignored)
    and otherwise composes `HCLr.fst` with `Gr.fst` — only then can it swap in a phrase list.
    """
    graph = model_dir / "graph" if _uses_new_layout(model_dir) else model_dir
    if (graph / "HCLG.fst").is_file():
        return False
    return (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()


def _is_cjk(ch: str) -> bool:
    return bool(_CJK_ONLY.match(ch))


def join_words(words: list[str]) -> str:
    """Vosk's space-separated words → text: filler tokens dropped, no space between CJK words.

    ["我", "要", "转", "人工"] → "我要转人工"; Latin and Korean words keep their spaces.
    """
    kept = [w for w in words if w and not _FILLER.match(w)]
    if not kept:
        return ""
    parts = [kept[0]]
    for prev, word in itertools.pairwise(kept):
        if not (_is_cjk(prev[-1]) and _is_cjk(word[0])):
            parts.append(" ")
        parts.append(word)
    return "".join(parts)


def _parse_result(raw: str) -> tuple[list[str], list[float]]:
    """Words and their confidences from a `Result()`/`FinalResult()` JSON string."""
    return _words_of(json.loads(raw))


def _words_of(data: dict[str, Any]) -> tuple[list[str], list[float]]:
    entries = data.get("result")
    if isinstance(entries, list) and entries:
        return [str(e["word"]) for e in entries], [float(e.get("conf", 1.0)) for e in entries]
    return str(data.get("text", "")).split(), []


def _parse_nbest(raw: str) -> tuple[list[list[str]], float | None]:
    """The n-best word sequences of a result with `SetMaxAlternatives` (best first), and the
    posterior of the best among them.

    With alternatives on, Vosk drops per-word confidences; each alternative carries its
    lattice log-likelihood instead, so the best one's share of the n-best mass (a softmax) is
    the confidence: near 1 when the others are far behind, 1/n when all are alike. None when
    nothing was heard. A result without `alternatives` is read as a single reading."""
    data = json.loads(raw)
    alternatives = data.get("alternatives")
    if not isinstance(alternatives, list):
        return [_words_of(data)[0]], None
    readings = [str(a.get("text", "")).split() for a in alternatives if isinstance(a, dict)]
    scores = [float(a.get("confidence", 0.0)) for a in alternatives if isinstance(a, dict)]
    if not readings or not readings[0]:
        return [[]], None
    shares = np.exp(np.asarray(scores) - max(scores))
    return readings, float(shares[0] / shares.sum())


def _parse_partial(raw: str) -> list[str]:
    return str(json.loads(raw).get("partial", "")).split()


class VoskEngine:
    """A loaded Vosk model; `new_recognizer()` hands out cheap per-call recognizers.

    `sample_rate` defaults to the rate in the model's mfcc.conf, so `asr.stream` resamples
    call audio to what the model was trained on. `supports_grammar` says whether phrase lists
    are honoured. `reason` is set by `asr.engines` to say why this engine was chosen.
    """

    name = "vosk"

    def __init__(
        self,
        model_dir: str | Path,
        sample_rate: int | None = None,
        language: str | None = None,
        reason: str = "",
        model_name: str | None = None,
        alternatives: int = 0,
    ) -> None:
        """`alternatives` > 1 asks Kaldi for that many readings of each utterance (n-best,
        `Transcript.alternatives`); the confidence is then the best one's n-best posterior."""
        if not 0 <= alternatives <= MAX_ALTERNATIVES:
            raise ValueError(f"Vosk alternatives {alternatives}: expected 0 to {MAX_ALTERNATIVES}")
        self.alternatives = alternatives if alternatives > 1 else 0
        self.model_dir = Path(model_dir)
        # pip packages keep the model in a folder called "model": name it after the package
        default_name = self.model_dir.parent.name if self.model_dir.name == "model" else None
        self.model_name = model_name or default_name or self.model_dir.name
        if not is_vosk_model_dir(self.model_dir):
            raise ModelNotAvailable(f"{self.model_dir} is not a Vosk model (no am/final.mdl)")
        # Kaldi logs every loading step at level 0; keep warnings, show the rest when debugging.
        vosk.SetLogLevel(0 if log.isEnabledFor(logging.DEBUG) else -1)
        self.sample_rate = sample_rate or model_sample_rate(self.model_dir)
        self.supports_grammar = model_supports_grammar(self.model_dir)
        self.language = language
        self.reason = reason
        self.model = shared_model(self.model_dir)
        self._vocab: dict[str, bool] = {}
        self._warned_no_grammar = False
        self.has_unk = self.in_vocabulary(UNK)

    def new_recognizer(self, phrases: list[str] | None = None) -> VoskRecognizer:
        """A fresh recognizer; with `phrases`, one that only hears those (plus `[unk]`)."""
        return VoskRecognizer(self, self.grammar_for(phrases) if phrases else None)

    def in_vocabulary(self, word: str) -> bool:
        """True when the model's word list has `word` (cached; lookups are read-only)."""
        known = self._vocab.get(word)
        if known is None:
            known = self._vocab[word] = self.model.vosk_model_find_word(word) >= 0
        return known

    def grammar_for(self, phrases: list[str]) -> list[str] | None:
        """The grammar Vosk gets for `phrases`, or None (free decoding) if it cannot have one.

        Each phrase becomes space-separated vocabulary words (a Chinese phrase is split into
        the fewest words the model knows); phrases with unknown words are dropped and logged,
        because Vosk would silently drop just the unknown word and match a different phrase.
        """
        if not self.supports_grammar:
            if not self._warned_no_grammar:
                self._warned_no_grammar = True
                log.warning("Vosk model %s has a static graph (HCLG.fst): phrase lists are not "
                            "supported, decoding freely", self.model_name)
            return None
        kept: list[str] = []
        dropped: list[str] = []
        for phrase in phrases:
            words = self._vocabulary_words(phrase)
            if words:
                kept.append(" ".join(words))
            else:
                dropped.append(phrase)
        if dropped:
            log.warning("Vosk model %s: phrases with words outside its vocabulary ignored: %s",
                        self.model_name, ", ".join(dropped))
        if not kept:
            log.warning("Vosk model %s: no usable phrase, decoding freely", self.model_name)
            return None
        return list(dict.fromkeys(kept)) + ([UNK] if self.has_unk else [])

    def _vocabulary_words(self, phrase: str) -> list[str] | None:
        words: list[str] = []
        for token in phrase.split():
            if self.in_vocabulary(token):
                words.append(token)
            elif self.in_vocabulary(token.lower()):
                words.append(token.lower())
            elif _CJK_ONLY.match(token) and (pieces := self._segment(token)) is not None:
                words.extend(pieces)
            else:
                return None
        return words or None

    def _segment(self, text: str) -> list[str] | None:
        """Split unspaced Chinese into the fewest vocabulary words (None if impossible)."""
        best: list[list[str] | None] = [[]] + [None] * len(text)
        for end in range(1, len(text) + 1):
            for start in range(max(0, end - _MAX_WORD_CHARS), end):
                prev, piece = best[start], text[start:end]
                if prev is None or not self.in_vocabulary(piece):
                    continue
                current = best[end]
                if current is None or len(prev) + 1 < len(current):
                    best[end] = [*prev, piece]
        return best[-1]


class VoskRecognizer:
    """One caller's streaming decoder: audio is decoded as it arrives, `finish()` is quick.

    Safe to feed from one thread and finish from another (a lock serialises them).
    """

    def __init__(self, engine: VoskEngine, grammar: list[str] | None = None) -> None:
        self.sample_rate = engine.sample_rate
        self.grammar = grammar
        self._engine = engine
        self._lock = threading.Lock()
        self._rec = self._new_kaldi_recognizer()
        self._clear()

    def _new_kaldi_recognizer(self) -> vosk.KaldiRecognizer:
        rate = float(self.sample_rate)
        if self.grammar is None:
            rec = vosk.KaldiRecognizer(self._engine.model, rate)
        else:  # Vosk's JSON reader does not decode \u escapes: send the characters themselves
            grammar = json.dumps(self.grammar, ensure_ascii=False)
            rec = vosk.KaldiRecognizer(self._engine.model, rate, grammar)
        rec.SetWords(True)  # per-word confidences for Transcript.confidence
        if self._engine.alternatives:
            rec.SetMaxAlternatives(self._engine.alternatives)
        return rec

    def _clear(self) -> None:
        self._words: list[str] = []
        self._confs: list[float] = []
        # n-best mode: each Kaldi segment's other readings, and the best one's posterior
        self._segments: list[tuple[int, list[list[str]]]] = []
        self._posteriors: list[float] = []
        self._samples = 0
        self._busy_s = 0.0
        self._partial = ""
        self._since_partial = 0

    def _take(self, raw: str) -> None:
        if self._engine.alternatives:
            self._take_nbest(raw)
            return
        words, confs = _parse_result(raw)
        for i, word in enumerate(words):
            if _FILLER.match(word):
                continue
            self._words.append(word)
            if i < len(confs):
                self._confs.append(confs[i])

    def _take_nbest(self, raw: str) -> None:
        readings, posterior = _parse_nbest(raw)
        kept = [[w for w in words if not _FILLER.match(w)] for words in readings]
        if not kept[0]:
            return
        self._segments.append((len(self._words), kept[1:]))
        self._words.extend(kept[0])
        if posterior is not None:
            self._posteriors.append(posterior)

    def _alternatives(self, words: list[str]) -> tuple[str, ...]:
        """The utterance with one segment read another way, for each segment's other
        readings (best segments first), without repeats or the best reading itself."""
        if not self._segments:
            return ()
        best = join_words(words)
        seen, out = {best}, []
        ends = [start for start, _ in self._segments[1:]] + [len(words)]
        for (start, others), end in zip(self._segments, ends, strict=True):
            for other in others:
                text = join_words(words[:start] + other + words[end:])
                if text and text not in seen:
                    seen.add(text)
                    out.append(text)
        return tuple(out)

    def accept_audio(self, samples: np.ndarray) -> str | None:
        """Decode int16 mono samples now; return the partial text when it changed, else None."""
        if samples.dtype != np.int16:
            raise TypeError(f"expected int16 samples, got {samples.dtype}")
        pcm = np.ascontiguousarray(samples.reshape(-1), dtype="<i2")
        with self._lock:
            started = time.perf_counter()
            self._samples += pcm.size
            self._since_partial += pcm.size
            pending: list[str] | None = None
            if self._rec.AcceptWaveform(pcm.tobytes()):
                # Kaldi's own endpoint fired inside our utterance: keep that segment's words,
                # the recognizer goes on with the rest (our endpointer decides utterance ends).
                self._take(self._rec.Result())
                pending = []
            elif self._since_partial >= PARTIAL_EVERY_S * self.sample_rate:
                pending = _parse_partial(self._rec.PartialResult())
            self._busy_s += time.perf_counter() - started
            if pending is None:
                return None
            self._since_partial = 0
            text = join_words(self._words + pending)
            changed, self._partial = text != self._partial, text
        return text if changed and text else None

    def finish(self) -> Transcript:
        """Final text of everything fed since the last finish/reset; starts a new utterance.

        `decode_s` is the decoding time spent on this utterance, while feeding and finishing.
        """
        with self._lock:
            started = time.perf_counter()
            self._take(self._rec.FinalResult())
            busy = self._busy_s + time.perf_counter() - started
            words, samples = self._words, self._samples
            confs = self._posteriors if self._engine.alternatives else self._confs
            alternatives = self._alternatives(words)
            self._clear()
        text = join_words(words)
        confidence = sum(confs) / len(confs) if text and confs else None
        return Transcript(text, confidence, samples / self.sample_rate, busy, VoskEngine.name,
                          alternatives if text else ())

    def reset(self) -> None:
        """Drop the audio fed so far without a result (e.g. a cancelled utterance)."""
        with self._lock:
            self._rec.Reset()
            self._clear()
