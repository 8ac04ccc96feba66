"""`ivr bench blind-audio` (issue 10 item 1): blind lines rendered to phone-band caller audio,
streamed through the real recognizer, matched and scored.

The end-to-end test renders a handful of lines written here (not blind-set lines) with the
shared speech kit and recognizes them with Whisper base; it skips when ../shared is missing.
The rest runs without the kit: unrenderable lines are counted, never dropped; the held-out
split's lines are never shown; transcripts are cached per recognizer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from asr.base import RecognizerEngine, Transcript
from asr.textnorm import cer
from asr.whisper_models import assemble_whisper_base
from dialog.intents import load_knowledge_base
from dialog.matcher import Matcher
from dialog.policy import DialogPolicy
from dialog.tools.answer_eval import answer_result
from dialog.tools.evaluate import EvalLine
from ivr.bench.blind_audio import (
    TEL_RATE,
    Rendered,
    Renderer,
    TranscriptCache,
    evaluate_answer_audio,
    evaluate_audio,
    format_answer_report,
    format_audio_report,
)
from ivr.bench.blind_audio_cli import DEFAULT_SHARED, run_blind_audio
from ivr.listening import REPLY_CHOICES

REPO = Path(__file__).resolve().parents[1]
KIT = DEFAULT_SHARED / "audio" / "speech_kit" / "splice.py"
needs_kit = pytest.mark.skipif(not KIT.is_file(), reason=f"shared speech kit not found at {KIT} "
                               "(the ../shared folder beside the checkout)")
# Caller questions written for this test (not blind-set lines), with their labels.
OWN_LINES = [
    EvalLine("我的社保卡丢了怎么补办", "sbk_reissue"),
    EvalLine("公积金怎么提取", "hpf_withdraw"),
    EvalLine("我要转人工", "human_agent"),
]


@pytest.fixture(scope="module")
def kb_matcher() -> Matcher:
    return Matcher(load_knowledge_base(REPO / "intents.yaml"))


# ---- without the kit: a fake renderer and a fake engine ---------------------------------------


class FakeRenderer(Renderer):
    """A tone for every line, except lines holding "✗", which the 'kit' cannot render."""

    def render(self, text: str) -> Rendered:
        if "✗" in text:
            raise RuntimeError("speech kit failed: no recording")
        t = np.arange(int(1.2 * TEL_RATE)) / TEL_RATE
        tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        silence = np.zeros(int(0.8 * TEL_RATE), np.int16)
        return Rendered(np.concatenate([silence, tone, silence]), [])


class EchoEngine:
    """Hears `text` in every utterance, with confidence 0.3 (and `alternatives`, if given)."""

    name = "echo"
    sample_rate = 16000

    def __init__(self, text: str, alternatives: tuple[str, ...] = ()) -> None:
        self.text, self.alternatives = text, alternatives
        self.decodes = 0

    def new_recognizer(self, phrases: list[str] | None = None) -> EchoEngine:
        return self

    def decode_utterance(self, pcm: np.ndarray) -> Transcript:
        self.decodes += 1
        return Transcript(self.text, 0.3, pcm.size / 16000, 0.0, "echo", self.alternatives)

    def accept_audio(self, samples: np.ndarray) -> None:
        return None

    def finish(self) -> Transcript:
        return Transcript(self.text, 0.3, 0.0, 0.0, "echo")

    def reset(self) -> None:
        return None


def test_unrendered_lines_are_counted_and_transcripts_cached(
    tmp_path: Path, kb_matcher: Matcher,
) -> None:
    lines = [*OWN_LINES[:2], EvalLine("✗ 无法合成", "none")]
    engine = EchoEngine("我的社保卡丢了怎么补办")
    renderer = FakeRenderer(tmp_path / "no-kit", tmp_path / "cache")
    report = asyncio.run(evaluate_audio(kb_matcher, lines, engine, renderer))  # type: ignore[arg-type]
    m = report.metrics()
    assert (m["rendered"], m["unrendered"]) == (2, 1)
    assert report.unrendered[0][0] == "✗ 无法合成"
    audio, text = m["audio"], m["text"]
    assert isinstance(audio, dict) and isinstance(text, dict)
    assert audio["lines"] == text["lines"] == 2
    assert [r.got for r in report.audio.lines] == ["sbk_reissue", "sbk_reissue"]
    assert [h.confidence for h in report.heard] == [0.3, 0.3]
    assert report.audio.lines[0].result.signals["asr_confidence"] == 0.3
    assert report.heard[0].cer == 0.0 and report.heard[1].cer > 0.5
    decodes = engine.decodes
    cache = TranscriptCache(renderer, engine)  # type: ignore[arg-type]
    assert cache.get(OWN_LINES[0].text) is not None
    again = asyncio.run(evaluate_audio(kb_matcher, lines, engine, renderer))  # type: ignore[arg-type]
    assert engine.decodes == decodes  # every transcript came from the cache
    assert again.metrics() == m
    out = format_audio_report(report, "x", show_lines=False)
    assert "unrendered lines       1" in out and "无法合成" not in out


def test_the_recognizer_s_other_readings_are_tried_and_cached(
    tmp_path: Path, kb_matcher: Matcher,
) -> None:
    """As in a call: a best reading that means nothing gives way to the first runner-up the
    matcher understands; the cache keeps the runners-up for the next run."""
    engine = EchoEngine("嗯嗯啊啊那个", ("嗯嗯啊啊那个呀", "我的社保卡丢了怎么补办"))
    renderer = FakeRenderer(tmp_path / "no-kit", tmp_path / "cache")
    report = asyncio.run(evaluate_audio(kb_matcher, OWN_LINES[:1], engine, renderer))  # type: ignore[arg-type]
    assert [r.got for r in report.audio.lines] == ["sbk_reissue"]
    assert report.audio.lines[0].result.signals["asr_reading"] == 2.0
    assert report.heard[0].transcript == "嗯嗯啊啊那个"  # what was heard best is what is scored
    metrics = report.metrics()
    assert (metrics["runner_up_readings"], metrics["runner_up_right"]) == (1, 1)
    assert "understood through a runner-up reading  1, of them right 1" in format_audio_report(
        report, "x", show_lines=False)
    cached = TranscriptCache(renderer, engine).get(OWN_LINES[0].text)  # type: ignore[arg-type]
    assert cached is not None and cached.alternatives == engine.alternatives
    decodes = engine.decodes
    again = asyncio.run(evaluate_audio(kb_matcher, OWN_LINES[:1], engine, renderer))  # type: ignore[arg-type]
    assert engine.decodes == decodes and [r.got for r in again.audio.lines] == ["sbk_reissue"]
    alone = EchoEngine("嗯嗯啊啊那个")
    report = asyncio.run(evaluate_audio(kb_matcher, OWN_LINES[:1], alone, renderer,  # type: ignore[arg-type]
                                        use_cache=False))
    assert [r.got for r in report.audio.lines] != ["sbk_reissue"]


def test_answers_are_read_by_the_policy_after_the_question(
    tmp_path: Path, kb_matcher: Matcher,
) -> None:
    # Rows written here in the blind set's format (not blind-set lines).
    confirm = {"kind": "answer", "label": "yes", "text": "对的对的",
               "context": {"prompt": "confirm", "a": "sbk_reissue"}}
    closing = {"kind": "answer", "label": "no", "text": "没有了谢谢",
               "context": {"prompt": "anything_else"}}
    survey = {"kind": "answer", "label": "1", "text": "满意",
              "context": {"prompt": "survey"}}
    engine = EchoEngine("对的")  # hears a yes in every line, with confidence 0.3
    renderer = FakeRenderer(tmp_path / "no-kit", tmp_path / "cache")
    report = asyncio.run(evaluate_answer_audio(
        DialogPolicy(kb_matcher.kb), kb_matcher, [confirm, closing, survey], engine,  # type: ignore[arg-type]
        renderer))
    m = report.metrics()
    assert (m["lines"], m["skipped"], m["unrendered"]) == (3, 0, 0)
    assert m["text_right"] == 1.0
    # the yes confirms; after 还有其他问题吗 it is not a no; 对的 is no rating
    assert [r.got for r in report.audio] == ["sbk_reissue", "yes", "none"]
    assert "| confirm | 1 | 1.000 | 1.000 |" in format_answer_report(report)


def test_a_problem_answered_by_its_department_s_faq_counts_as_for_requests(
    kb_matcher: Matcher,
) -> None:
    # After 还有其他问题吗 a caller reports a problem (a dept: label); the bot answering it with an
    # FAQ of that department reached the responsible department, as the request judge
    # (dialog.tools.evaluate.judge) counts it. An FAQ of another department does not.
    kb = kb_matcher.kb
    own = next(i for i in kb.intents.values() if i.kind == "faq" and i.department == "health")
    other = next(i for i in kb.intents.values() if i.kind == "faq" and i.department == "tax")
    right = answer_result(kb, "a", "anything_else", "dept:health", own.id)
    wrong = answer_result(kb, "b", "anything_else", "dept:health", other.id)
    assert (right.department, right.correct) == ("health", True)
    assert (wrong.department, wrong.correct) == ("tax", False)
    # intents still compare by id, and system intents carry no department
    assert answer_result(kb, "c", "confirm", other.id, own.id).correct is False
    assert answer_result(kb, "d", "anything_else", "no", "no").correct is True
    assert answer_result(kb, "e", "anything_else", "dept:health", "human_agent").department is None


class ContextEchoEngine(EchoEngine):
    """An echo engine that reads context, as Whisper does, and notes what it was given."""

    supports_context = True

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.contexts: list[str | None] = []
        self._context: str | None = None

    def set_context(self, text: str | None) -> None:
        self._context = text

    def decode_utterance(self, pcm: np.ndarray) -> Transcript:
        self.contexts.append(self._context)
        return super().decode_utterance(pcm)


def test_answers_are_heard_after_the_question_s_words(
    tmp_path: Path, kb_matcher: Matcher,
) -> None:
    """The bench gives the recognizer the question as a call does (the policy's words, the
    intents' names filled in), caches by it, and can leave it out for comparison."""
    choice = {"kind": "answer", "label": "sbk_reissue", "text": "头一个",
              "context": {"prompt": "clarification", "a": "sbk_reissue", "b": "hpf_withdraw"}}
    kb = kb_matcher.kb
    asked = kb.prompt("clarification", a=kb.intent_name("sbk_reissue"),
                      b=kb.intent_name("hpf_withdraw"))
    renderer = FakeRenderer(tmp_path / "no-kit", tmp_path / "cache")
    for question_context, expected in ((True, asked), (False, None)):
        engine = ContextEchoEngine("对的")
        asyncio.run(evaluate_answer_audio(
            DialogPolicy(kb), kb_matcher, [choice], engine, renderer,  # type: ignore[arg-type]
            question_context=question_context))
        assert engine.contexts and set(engine.contexts) == {expected}
    cached = sorted(p.name for p in (tmp_path / "cache").glob("*.heard.json"))
    assert len(cached) == 2 and sum("-after" in name for name in cached) == 1


class ChoiceEchoEngine(EchoEngine):
    """An echo engine that takes the replies a question expects, as Whisper does, notes
    them, and offers the first as the last reading (standing in for its scoring)."""

    supports_choices = True

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.choices: list[tuple[str, ...]] = []
        self._choices: tuple[str, ...] = ()

    def set_choices(self, choices: tuple[str, ...] | None) -> None:
        self._choices = tuple(choices or ())

    def decode_utterance(self, pcm: np.ndarray) -> Transcript:
        self.choices.append(self._choices)
        heard = super().decode_utterance(pcm)
        return replace(heard, alternatives=self._choices[:1])


def test_answers_are_heard_expecting_the_question_s_replies(
    tmp_path: Path, kb_matcher: Matcher,
) -> None:
    """The bench gives the recognizer the replies a confirmation expects as a call does; a
    garbled 是的 (寺笛) is then read through the reply offered as the last reading. Cached
    apart from the transcripts heard without them; `reply_choices=False` leaves them out."""
    confirm = {"kind": "answer", "label": "yes", "text": "是滴",
               "context": {"prompt": "confirm", "a": "sbk_reissue"}}
    kb = kb_matcher.kb
    renderer = FakeRenderer(tmp_path / "no-kit", tmp_path / "cache")
    got = {}
    for reply_choices in (True, False):
        engine = ChoiceEchoEngine("寺笛")
        report = asyncio.run(evaluate_answer_audio(
            DialogPolicy(kb), kb_matcher, [confirm], engine, renderer,  # type: ignore[arg-type]
            reply_choices=reply_choices))
        assert engine.choices == [REPLY_CHOICES["confirm"] if reply_choices else ()]
        got[reply_choices] = report.audio[0].got
    assert got == {True: "sbk_reissue", False: "none"}  # 是 (yes): the FAQ confirmed
    cached = sorted(p.name for p in (tmp_path / "cache").glob("*.heard.json"))
    assert len(cached) == 2 and sum("-expecting" in name for name in cached) == 1


def test_renderer_without_the_kit_says_where_it_looked(tmp_path: Path) -> None:
    renderer = Renderer(tmp_path / "nowhere", tmp_path / "cache")
    with pytest.raises(FileNotFoundError, match="speech kit not found"):
        renderer.render("你好")


def test_lines_of_the_test_split_are_never_shown(capsys: pytest.CaptureFixture[str]) -> None:
    for flags in ({"show_lines": True, "dump": None}, {"show_lines": False,
                                                        "dump": Path("/tmp/x.jsonl")}):
        args = argparse.Namespace(file=Path("tests/data/blind/test.jsonl"), **flags)
        assert run_blind_audio(args) == 2
        assert "refused" in capsys.readouterr().err


# ---- with the kit and Whisper: the live path -------------------------------------------------


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> RecognizerEngine:
    """Whisper base from PyPI, as the live path loads it."""
    from asr.engines import load_engine

    model = assemble_whisper_base(tmp_path_factory.getbasetemp() / "whisper-base")
    return load_engine("whisper", model_dir=model)


@needs_kit
@pytest.mark.slow
def test_own_lines_through_the_phone_band_and_whisper(
    tmp_path_factory: pytest.TempPathFactory, kb_matcher: Matcher, whisper: RecognizerEngine,
) -> None:
    engine = whisper
    cache = tmp_path_factory.mktemp("blind-audio")
    renderer = Renderer(DEFAULT_SHARED, cache)
    report = asyncio.run(evaluate_audio(kb_matcher, OWN_LINES, engine, renderer))
    m = report.metrics()
    assert (m["rendered"], m["unrendered"], m["recognition_failed"]) == (3, 0, 0)
    # Whisper base reads the kit's phone-band sentences at about 13-14 % CER (kit README);
    # short domain questions fare worse on homophones, so the bound is loose: 公积金怎么提取
    # alone is heard at 0.86 (攻击进沈马起取), and one character of 我要转人工 (转 → 串,
    # with endpointing at 8 kHz) moves the mean of three from 0.41 to 0.47. Chatter-level
    # garbage or a broken path reads near 1.0.
    cer_mean = m["cer_mean"]
    assert isinstance(cer_mean, float) and cer_mean < 0.55
    assert all(0.0 < (h.confidence or 0.0) <= 1.0 for h in report.heard)
    text = m["text"]
    assert isinstance(text, dict) and text["accuracy"] == 1.0
    audio = m["audio"]
    assert isinstance(audio, dict) and audio["accuracy"] >= 2 / 3
    wavs = sorted(cache.glob("*.wav"))
    assert len(wavs) == 3
    meta = json.loads(wavs[0].with_suffix(".json").read_text("utf-8"))
    assert meta["text"] in {line.text for line in OWN_LINES}


# Answers to the department-choice question, written here; (what the caller says, the
# departments offered, the choice). Short ones the phone band garbles most (医保, 税务 alone)
# are left out: the bound below is on what the reader makes of real recognizer output.
CHOICE_ANSWERS = [
    ("是市场监管的问题", ("hrss", "market", "housing"), "market"),
    ("是税务的问题", ("tax", "market", "housing"), "tax"),
    ("第二个", ("hrss", "market", "housing"), "market"),
    ("后面那个", ("hrss", "market", "housing"), "housing"),
    ("是住房建设的问题", ("hrss", "market", "housing"), "housing"),
    ("我也不知道", ("hrss", "market", "housing"), "<none>"),
]


@needs_kit
def test_answers_to_the_department_question_through_the_phone_band_and_whisper(
    tmp_path_factory: pytest.TempPathFactory, kb_matcher: Matcher, whisper: RecognizerEngine,
) -> None:
    from asr.stream import make_executor
    from dialog.department_choice import ChoiceReader
    from ivr.bench.blind_audio import hear

    engine = whisper
    renderer = Renderer(DEFAULT_SHARED, tmp_path_factory.mktemp("choice-audio"))
    reader, executor = ChoiceReader(kb_matcher.kb), make_executor(2)

    async def heard() -> list[str]:
        return [(await hear(engine, renderer.render(text).samples, executor)).transcript
                for text, _, _ in CHOICE_ANSWERS]

    transcripts = asyncio.run(heard())
    chosen = [reader.choose(offered, t) for (_, offered, _), t in zip(
        CHOICE_ANSWERS, transcripts, strict=True)]
    right = sum(c == want for c, (_, _, want) in zip(chosen, CHOICE_ANSWERS, strict=True))
    # all six on this machine (税务 heard as 水雾 and read by sound); one may go on another
    assert right >= len(CHOICE_ANSWERS) - 1, list(zip(transcripts, chosen, strict=True))


@needs_kit
@pytest.mark.slow
def test_kb_hear_writes_what_whisper_heard_and_the_matcher_reads_it(
    tmp_path: Path, whisper: RecognizerEngine, capsys: pytest.CaptureFixture[str],
) -> None:
    """`ivr kb hear` end to end: the kit renders each example, Whisper hears it on the live
    path, the readings file lands beside the knowledge base and loads with it."""
    import yaml

    from dialog.heard import heard_path
    from dialog.intents import REQUIRED_PROMPTS
    from ivr.bench.kb_hear import run_hear

    kb_file = tmp_path / "intents.yaml"
    kb_file.write_text(yaml.safe_dump({
        "default_department": "front",
        "departments": [{"id": "front", "name": "前台", "queue": "q0"},
                        {"id": "fund", "name": "公积金中心", "queue": "q1"}],
        "prompts": {k: k for k in REQUIRED_PROMPTS},
        "intents": [{"id": "hpf", "department": "fund", "answer": "带身份证去公积金中心。",
                     "examples": ["公积金怎么提取", "我想把公积金取出来"]}],
    }, allow_unicode=True), encoding="utf-8")
    args = argparse.Namespace(kb=kb_file, out=None, per_intent=0, shared=DEFAULT_SHARED,
                              missing=False, variant=0,
                              cache=tmp_path / "cache", engine="whisper", window=10.0,
                              model=str(whisper.model_dir))  # type: ignore[attr-defined]
    assert run_hear(args) == 0
    assert "2 examples heard" in capsys.readouterr().out
    rows = [json.loads(line) for line in
            heard_path(kb_file).read_text("utf-8").splitlines()]
    assert [r["example"] for r in rows] == ["公积金怎么提取", "我想把公积金取出来"]
    assert all(r["intent"] == "hpf" and r["recognizer"].startswith("whisper") for r in rows)
    # What Whisper hears is never compared exactly: the kit's phone-band speech is a hard
    # listen (公积金 often comes out as 攻击金), but it is speech, not nothing.
    assert all(cer(r["example"], r["heard"]) < 0.9 for r in rows)
    kb = load_knowledge_base(kb_file)
    kept = {r["heard"] for r in rows if r["heard"] != r["example"]}
    assert set(kb.heard.get("hpf", ())) <= kept
    assert run_hear(argparse.Namespace(**{**vars(args), "per_intent": -1})) == 2
    # --missing keeps what the file holds and hears nothing again, even with no cache
    assert run_hear(argparse.Namespace(**{**vars(args), "missing": True,
                                          "cache": tmp_path / "empty"})) == 0
    assert "0 examples heard" in capsys.readouterr().out
    assert [json.loads(line) for line in
            heard_path(kb_file).read_text("utf-8").splitlines()] == rows
    assert run_hear(argparse.Namespace(**{**vars(args), "variant": 1})) == 2  # needs --missing


def test_kb_hear_missing_keeps_rows_of_examples_still_there(tmp_path: Path) -> None:
    """`--missing`: rows of examples still in the knowledge base are kept in file order, the
    examples without one are heard, rows of removed examples are dropped; a broken file is
    an error, never an empty start."""
    from ivr.bench.kb_hear import read_rows, split_missing

    path = tmp_path / "intents.heard.jsonl"
    assert read_rows(path) == []
    rows = [{"intent": "a", "example": "一", "heard": "衣"},
            {"intent": "a", "example": "removed", "heard": "x"},
            {"intent": "b", "example": "二", "heard": "而"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    items = [("a", "一"), ("a", "三"), ("b", "二"), ("c", "二")]
    kept, to_hear = split_missing(items, read_rows(path))
    assert kept == [rows[0], rows[2]]
    assert to_hear == [("a", "三"), ("c", "二")]
    # another take (--variant 1) is heard for every example, beside the rows of take 0
    kept, to_hear = split_missing(items, read_rows(path), variant=1)
    assert kept == [rows[0], rows[2]] and to_hear == items
    kept, to_hear = split_missing(items, [*rows, {**rows[0], "variant": 1}], variant=1)
    assert len(kept) == 3 and to_hear == items[1:]
    path.write_text('{"intent": "a"\n', "utf-8")
    with pytest.raises(ValueError):
        read_rows(path)
