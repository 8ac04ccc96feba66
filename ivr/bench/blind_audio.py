"""Blind set through the live recognition path: render, stream, recognize, match, score.

The blind set (tests/data/blind/) is scored as text by `ivr kb eval`; a caller is heard
through a phone and a recognizer first. This renders each request line of a split to 8 kHz
telephone-band caller audio with the shared speech kit (`splice.py`: real human word
recordings, CC BY-SA), streams it through `RecognitionStream` in 20 ms frames as a call does
(`ivr.bench.asr.stream_file`), and matches the transcript with the same matcher and judge as
the text evaluation, so the two reports differ only by what recognition changed. Renders are
cached by text (`var/blind_audio/`), so a second run only recognizes.

A line the kit cannot render (an exception, or no audio) is counted and listed, never
dropped silently; a line with characters the kit has no recording of is rendered with
silence in their place (the caller mumbled), scored, and counted as `partly_rendered`.
Reads the split and the kit, writes the cache; the shared folder is never imported by
shipped code, only loaded from the path given at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from asr.base import RecognizerEngine, supports_choices, supports_context
from asr.stream import make_executor
from asr.textnorm import cer
from asr.whisper_choices import SETTINGS
from dialog.hypotheses import READING_SIGNAL, understand_readings
from dialog.matcher import Matcher
from dialog.policy import DialogPolicy
from dialog.policy_types import PolicyConfig
from dialog.routing import DepartmentPrior
from dialog.tools.answer_eval import (
    AnswerResult,
    answer_result,
    expected_reading,
    policy_reading,
    question_words,
)
from dialog.tools.evaluate import EvalLine, EvalReport, LineResult, judge, with_options
from ivr.bench.asr import stream_file
from ivr.listening import profile_for
from pcm.files import read_audio

TEL_RATE = 8000
KIT_PATH = Path("audio") / "speech_kit" / "splice.py"
CACHE_VERSION = "v1"  # part of the cache key: bump when the rendering changes


@dataclass(frozen=True)
class Rendered:
    """One line's caller audio (8 kHz int16) and what the kit could not voice."""

    samples: np.ndarray
    missing: list[str]


class Renderer:
    """Caller audio for a sentence, from the speech kit, cached on disk by text.

    The kit is loaded from `kit_root/audio/speech_kit/splice.py` only when a line is not in
    the cache, so a cached run does not need the shared folder at all. The seed of the kit's
    random gaps and room tone comes from the text, so a render does not depend on the
    order of lines or on which split it came from. `variant` n > 0 seeds another rendering
    of the same text (other gaps, other room tone): another take of the same caller.
    """

    def __init__(self, kit_root: Path, cache_dir: Path, variant: int = 0) -> None:
        self.kit_root = kit_root
        self.cache_dir = cache_dir
        self.variant = variant
        self._splicer: Any = None
        self._kit: ModuleType | None = None

    def key(self, text: str) -> str:
        take = f"variant {self.variant}\n" if self.variant else ""
        return hashlib.sha256(f"{CACHE_VERSION}\n{take}{text}".encode()).hexdigest()[:20]

    def cached(self, text: str) -> bool:
        return (self.cache_dir / f"{self.key(text)}.wav").is_file()

    def render(self, text: str) -> Rendered:
        """The line's telephone-band audio; raises RuntimeError when it cannot be made."""
        wav = self.cache_dir / f"{self.key(text)}.wav"
        meta = wav.with_suffix(".json")
        if wav.is_file() and meta.is_file():
            samples, rate = read_audio(wav)
            if rate != TEL_RATE:
                raise RuntimeError(f"cached render {wav} is {rate} Hz, not {TEL_RATE}")
            return Rendered(samples, list(json.loads(meta.read_text("utf-8"))["missing"]))
        kit, splicer = self._load()
        seed = int(self.key(text)[:8], 16) % 1_000_000
        try:
            audio, info = splicer.synth(text, seed=seed)
            tel = kit.telephone(audio)  # 300–3400 Hz, 8 kHz, μ-law round trip
        except Exception as exc:  # the kit is outside code: any failure is this line's
            raise RuntimeError(f"speech kit failed: {type(exc).__name__}: {exc}") from exc
        if tel.size == 0 or not np.any(tel):
            raise RuntimeError("speech kit made no audio")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        kit.write_wav(str(wav), tel, TEL_RATE)
        meta.write_text(json.dumps({"text": text, "missing": info.get("missing", []),
                                    "duration": info.get("duration")}, ensure_ascii=False),
                        "utf-8")
        samples, _rate = read_audio(wav)
        return Rendered(samples, list(info.get("missing", [])))

    def _load(self) -> tuple[ModuleType, Any]:
        if self._kit is None:
            path = self.kit_root / KIT_PATH
            if not path.is_file():
                raise FileNotFoundError(f"speech kit not found: {path} (give --shared DIR, "
                                        "the shared folder holding audio/speech_kit/)")
            spec = importlib.util.spec_from_file_location("speech_kit_splice", path)
            if spec is None or spec.loader is None:
                raise FileNotFoundError(f"cannot load the speech kit from {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules.setdefault(spec.name, module)
            spec.loader.exec_module(module)
            self._kit, self._splicer = module, module.Splicer()
        return self._kit, self._splicer


@dataclass(frozen=True)
class AudioLine:
    """One line heard: its transcript, the recognizer's confidence, CER against the text."""

    line: EvalLine
    transcript: str
    confidence: float | None
    cer: float
    missing: list[str]


@dataclass
class AudioReport:
    """The text and the audio evaluation of the same lines, and what could not be heard."""

    text: EvalReport
    audio: EvalReport
    heard: list[AudioLine]
    unrendered: list[tuple[str, str]] = field(default_factory=list)  # (text, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # recognition errors
    reask_confidence: float = PolicyConfig().reask_confidence

    def metrics(self) -> dict[str, object]:
        cers = [h.cer for h in self.heard]
        confs = [h.confidence for h in self.heard if h.confidence is not None]
        return {
            "text": self.text.metrics(),
            "audio": self.audio.metrics(),
            "rendered": len(self.heard),
            "unrendered": len(self.unrendered),
            "partly_rendered": sum(bool(h.missing) for h in self.heard),
            "recognition_failed": len(self.failed),
            "empty_transcripts": sum(not h.transcript.strip() for h in self.heard),
            "cer_mean": statistics.fmean(cers) if cers else float("nan"),
            "cer_median": statistics.median(cers) if cers else float("nan"),
            "confidence_mean": statistics.fmean(confs) if confs else float("nan"),
            # No-matches the policy would re-ask ("请您简短地再说一遍") before any transfer.
            "reasked_no_matches": sum(
                r.got == "none" and h.confidence is not None
                and h.confidence < self.reask_confidence
                for h, r in zip(self.heard, self.audio.lines, strict=True)),
            "audio_no_matches": sum(r.got == "none" for r in self.audio.lines),
            # understood through one of the recognizer's other readings (the best meant nothing)
            "runner_up_readings": sum(READING_SIGNAL in r.result.signals
                                      for r in self.audio.lines),
            "runner_up_right": sum(READING_SIGNAL in r.result.signals and r.correct
                                   for r in self.audio.lines),
        }


Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Heard:
    """What the recognizer made of one line: finals joined, audio-weighted confidence, and
    the recognizer's other readings when the line was heard as one utterance."""

    transcript: str
    confidence: float | None
    failures: list[str]
    alternatives: tuple[str, ...] = ()

    @property
    def readings(self) -> tuple[str, ...]:
        """Best first, as a call hands them to the matcher."""
        return (self.transcript, *self.alternatives)


def engine_key(engine: RecognizerEngine) -> str:
    """Names the recognizer a cached transcript came from (engine, model, beam, prompt)."""
    path = Path(str(getattr(engine, "model_dir", "") or ""))
    model = path.parent.name if path.name == "model" else path.name
    key = f"{engine.name}-{model}-beam{getattr(engine, 'beam_size', '')}"
    window = getattr(engine, "window_s", 30.0)
    if window != 30.0:  # Whisper's own window: the transcripts cached before it was settable
        key += f"-window{window:g}"
    if not getattr(engine, "fallback", True):
        key += "-nofallback"
    readings = min(getattr(engine, "readings", 1), getattr(engine, "beam_size", 1) or 1)
    if readings > 1:  # the cache then keeps the runners-up too
        key += f"-readings{readings}"
    prompt = getattr(engine, "initial_prompt", None)
    if prompt:
        key += "-prompt" + hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:8]
    return key


async def hear(engine: RecognizerEngine, samples: np.ndarray, executor: Executor,
               context: str | None = None, choices: tuple[str, ...] = ()) -> Heard:
    """Stream one line's 8 kHz audio as a call does (20 ms frames, the VAD endpointer, the
    decode pool, speculative decoding), as fast as the recognizer keeps up; `context` is
    the bot's question the line answers and `choices` the replies it expects, given to the
    recognizer as a call gives them."""
    run = await stream_file(engine, samples, TEL_RATE, executor, context=context,
                            choices=choices)
    heard = [(t, alts) for t, alts in zip(run.texts, run.alternatives, strict=True) if t]
    alternatives = heard[0][1] if len(heard) == 1 else ()  # readings of one utterance only
    return Heard(" ".join(t for t, _ in heard), run.confidence, run.failures, alternatives)


class TranscriptCache:
    """Transcripts by (render, recognizer): a matcher change re-scores a split in seconds
    instead of recognizing it again. Failed recognitions are not cached."""

    def __init__(self, renderer: Renderer, engine: RecognizerEngine) -> None:
        self.renderer, self.suffix = renderer, f".{engine_key(engine)}.heard.json"

    def _path(self, text: str, context: str | None = None,
              choices: tuple[str, ...] = ()) -> Path:
        heard_after = ("-after" + hashlib.sha256(context.encode("utf-8")).hexdigest()[:8]
                       if context else "")
        if choices:  # the readings then include the likeliest expected reply
            scored = "|".join([*choices, SETTINGS])
            heard_after += "-expecting" + hashlib.sha256(scored.encode("utf-8")).hexdigest()[:8]
        return self.renderer.cache_dir / f"{self.renderer.key(text)}{heard_after}{self.suffix}"

    def get(self, text: str, context: str | None = None,
            choices: tuple[str, ...] = ()) -> Heard | None:
        path = self._path(text, context, choices)
        if not path.is_file():
            return None
        row = json.loads(path.read_text("utf-8"))
        return Heard(row["transcript"], row["confidence"], [],
                     tuple(row.get("alternatives", ())))

    def put(self, text: str, heard: Heard, context: str | None = None,
            choices: tuple[str, ...] = ()) -> None:
        if heard.failures:
            return
        self.renderer.cache_dir.mkdir(parents=True, exist_ok=True)
        self._path(text, context, choices).write_text(json.dumps(
            {"text": text, "transcript": heard.transcript, "confidence": heard.confidence,
             "alternatives": list(heard.alternatives)}, ensure_ascii=False), "utf-8")


async def evaluate_audio(
    matcher: Matcher,
    lines: list[EvalLine],
    engine: RecognizerEngine,
    renderer: Renderer,
    *,
    prior: DepartmentPrior | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
) -> AudioReport:
    """Render every line, stream it through `engine` (or take its cached transcript), match
    both the text and the transcript. The transcript goes to the matcher as a call's does,
    with the recognizer's confidence as the `asr_confidence` signal."""
    rendered: list[tuple[EvalLine, Rendered]] = []
    unrendered: list[tuple[str, str]] = []
    for i, line in enumerate(lines, start=1):
        try:
            rendered.append((line, renderer.render(line.text)))
        except RuntimeError as exc:
            unrendered.append((line.text, str(exc)))
        if progress:
            progress("render", i, len(lines))
    executor = make_executor(1)
    heard: list[AudioLine] = []
    failed: list[tuple[str, str]] = []
    text_results: list[LineResult] = []
    audio_results: list[LineResult] = []
    cache = TranscriptCache(renderer, engine) if use_cache else None
    try:
        for i, (line, audio) in enumerate(rendered, start=1):
            got = cache.get(line.text) if cache is not None else None
            if got is None:
                got = await hear(engine, audio.samples, executor)
                if cache is not None:
                    cache.put(line.text, got)
            if got.failures:
                failed.append((line.text, "; ".join(got.failures)))
            transcript, confidence = got.transcript, got.confidence
            heard.append(AudioLine(line, transcript, confidence, cer(line.text, transcript),
                                   audio.missing))
            text_results.append(with_options(
                matcher, judge(line, matcher.match(line.text, prior))))
            audio_results.append(with_options(matcher, judge(line, understand_readings(
                lambda t: matcher.match(t, prior), None, got.readings)[0]
                .heard_with(confidence))))
            if progress:
                progress("recognize", i, len(rendered))
    finally:
        executor.shutdown(wait=True)
    return AudioReport(EvalReport(text_results), EvalReport(audio_results), heard,
                       unrendered, failed)


@dataclass
class AnswerAudioReport:
    """Answers to the bot's own questions (`kind: answer`), read by the policy right after
    the question, from the text and from the transcript."""

    text: list[AnswerResult]
    audio: list[AnswerResult]
    cers: list[float]
    unrendered: int
    skipped: int  # questions the policy does not ask

    def metrics(self) -> dict[str, object]:
        prompts = sorted({r.prompt for r in self.text})
        return {
            "lines": len(self.text), "unrendered": self.unrendered, "skipped": self.skipped,
            "text_right": _right(self.text), "audio_right": _right(self.audio),
            "cer_mean": statistics.fmean(self.cers) if self.cers else float("nan"),
            "by_question": {p: {"lines": sum(r.prompt == p for r in self.text),
                                "text_right": _right([r for r in self.text if r.prompt == p]),
                                "audio_right": _right([r for r in self.audio if r.prompt == p])}
                            for p in prompts},
        }


def _right(results: list[AnswerResult]) -> float:
    return sum(r.correct for r in results) / len(results) if results else float("nan")


async def evaluate_answer_audio(
    policy: DialogPolicy,
    matcher: Matcher,
    rows: list[dict[str, Any]],
    engine: RecognizerEngine,
    renderer: Renderer,
    *,
    progress: Progress | None = None,
    use_cache: bool = True,
    question_context: bool = True,
    reply_choices: bool = True,
) -> AnswerAudioReport:
    """Every answer line the policy has a question for: rendered, heard as a call does (after
    the question's words, as the recognizer's context, unless `question_context` is off, and
    expecting its replies, unless `reply_choices` is off), and handed to the policy in the
    state right after that question, as text and as heard."""
    asked = [(row, expected) for row in rows
             if (expected := expected_reading(row)) is not None]
    report = AnswerAudioReport([], [], [], 0, len(rows) - len(asked))
    cache = TranscriptCache(renderer, engine) if use_cache else None
    executor = make_executor(1)
    try:
        for i, (row, expected) in enumerate(asked, start=1):
            try:
                audio = renderer.render(row["text"])
            except RuntimeError:
                report.unrendered += 1
                continue
            profile = profile_for(row["context"]["prompt"], policy.kb,
                                  question_words(policy.kb, row), question_context,
                                  reply_choices)  # as the call gives it
            context = profile.context if supports_context(engine) else None
            choices = profile.choices if supports_choices(engine) else ()
            got = cache.get(row["text"], context, choices) if cache is not None else None
            if got is None:
                got = await hear(engine, audio.samples, executor, context, choices)
                if cache is not None:
                    cache.put(row["text"], got, context, choices)
            prompt, row_id = row["context"]["prompt"], row.get("id", "")
            report.text.append(answer_result(policy.kb, row_id, prompt, expected,
                                             policy_reading(policy, matcher, row)))
            heard_row = {**row, "text": got.transcript}
            report.audio.append(answer_result(policy.kb, row_id, prompt, expected, policy_reading(
                policy, matcher, heard_row, got.confidence, got.alternatives)))
            report.cers.append(cer(row["text"], got.transcript))
            if progress:
                progress("answers", i, len(asked))
    finally:
        executor.shutdown(wait=True)
    return report


def format_answer_report(report: AnswerAudioReport) -> str:
    m = report.metrics()
    out = ["answers to the bot's own questions (the policy right after the question)", "",
           "  | question | lines | text right | audio right |", "  |---|---|---|---|",
           f"  | all | {m['lines']} | {_fmt(m['text_right'])} | {_fmt(m['audio_right'])} |"]
    by_question = m["by_question"]
    assert isinstance(by_question, dict)
    for prompt, q in by_question.items():
        out.append(f"  | {prompt} | {q['lines']} | {_fmt(q['text_right'])} "
                   f"| {_fmt(q['audio_right'])} |")
    out += [f"  answer transcript CER mean {_fmt(m['cer_mean'])}; unrendered {m['unrendered']};"
            f" skipped (no such question yet) {m['skipped']}"]
    return "\n".join(out) + "\n"


_METRIC_ROWS = ("lines", "accuracy", "in_scope_top1", "in_scope_decided_correct",
                "routing_accuracy", "out_of_scope_recall", "out_of_scope_precision",
                "clarify_rate", "no_match_rate")


def format_audio_report(report: AudioReport, source: str, *, show_lines: bool) -> str:
    """Text vs audio metrics side by side; with `show_lines`, the lines audio got wrong that
    text got right (only ever for a split one may read: never the test split)."""
    m = report.metrics()
    text, audio = report.text.metrics(), report.audio.metrics()
    out = [f"blind audio evaluation of {source}", "", "  | metric | text | audio |",
           "  |---|---|---|"]
    for key in _METRIC_ROWS:
        t, a = text[key], audio[key]
        out.append(f"  | {key} | {_fmt(t)} | {_fmt(a)} |")
    out += ["", f"  rendered lines         {m['rendered']}",
            f"  unrendered lines       {m['unrendered']}",
            f"  partly rendered        {m['partly_rendered']} (characters the kit has no "
            "recording of, silence in their place)",
            f"  recognition failures   {m['recognition_failed']}",
            f"  empty transcripts      {m['empty_transcripts']}",
            f"  transcript CER mean    {_fmt(m['cer_mean'])}  (median {_fmt(m['cer_median'])},"
            " normalised: asr.textnorm.cer)",
            f"  confidence mean        {_fmt(m['confidence_mean'])}",
            f"  no-matches as audio    {m['audio_no_matches']}, of them re-asked (confidence "
            f"< {report.reask_confidence}) {m['reasked_no_matches']}",
            f"  understood through a runner-up reading  {m['runner_up_readings']}, of them "
            f"right {m['runner_up_right']}"]
    if report.unrendered:
        out += ["", "  unrendered (count only)" if not show_lines else "  unrendered:"]
        if show_lines:
            out += [f"    {t}  ({why})" for t, why in report.unrendered]
    if show_lines:
        lost = [(h, a) for h, t, a in zip(report.heard, report.text.lines, report.audio.lines,
                                          strict=True) if t.correct and not a.correct]
        out += ["", f"  right as text, wrong as audio: {len(lost)}"]
        out += [f"    {h.line.expected}: {h.line.text} → heard {h.transcript!r} → {a.got}"
                for h, a in lost]
    return "\n".join(out) + "\n"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:.3f}"
    return str(value)
