"""Knowledge-base evaluation: accuracy, decision rates, out-of-scope rejection, confusions, speed.

`read_eval_file` reads a TSV of (text, expected) where expected is an intent id,
`dept:<department id>` or `none` (out of scope); a header row naming `text` and one of
`expected`/`intent_label`/`label` selects the columns (setA's `out_of_scope` means none).
`evaluate` runs a Matcher over the lines and times every match; `format_report` prints the
tables `ivr kb eval` shows. A no-match the dialog answers with the department-choice question
(dialog.department_choice) is counted, with whether the right department is among the options
it names. Reads the evaluation file; otherwise pure.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dialog.department_choice import offered
from dialog.matcher import Matcher
from dialog.policy_types import PolicyConfig
from dialog.routing import DepartmentPrior
from dialog.types import MatchResult

NONE = "none"
DEPT = "dept:"
_EXPECTED_COLUMNS = ("expected", "intent_label", "label", "intent")
_NONE_LABELS = frozenset({NONE, "out_of_scope", "-", ""})


@dataclass(frozen=True)
class EvalLine:
    text: str
    expected: str  # intent id, "dept:<id>" or "none"


@dataclass(frozen=True)
class LineResult:
    line: EvalLine
    result: MatchResult
    got: str  # what the matcher decided, in the same vocabulary as `expected`
    top1: str  # best guess (a clarification's first candidate, a routed department)
    correct: bool
    top1_correct: bool
    # The departments the department-choice question names after this no-match (best
    # first; empty when it is not asked), and the department the line belongs to (a dept:
    # line's, an intent's own; None out of scope).
    options: tuple[str, ...] = ()
    department: str | None = None


@dataclass
class EvalReport:
    lines: list[LineResult]
    times_ms: list[float] = field(default_factory=list)

    def _of(self, kind: str) -> list[LineResult]:
        return [r for r in self.lines if _kind(r.line.expected) == kind]

    def metrics(self) -> dict[str, float | int]:
        intents, depts, oos = self._of("intent"), self._of("dept"), self._of("none")
        rejected = [r for r in self.lines if r.got == NONE]
        n = max(len(self.lines), 1)
        return {
            "lines": len(self.lines),
            "accuracy": _share(r.correct for r in self.lines),
            "in_scope_lines": len(intents),
            "in_scope_top1": _share(r.top1_correct for r in intents),
            "in_scope_decided_correct": _share(r.correct for r in intents),
            "routing_lines": len(depts),
            "routing_accuracy": _share(r.correct for r in depts),
            "routing_top1": _share(r.top1_correct for r in depts),
            # Of the routing lines where a department was decided, the share that is right.
            "routing_precision": _share(r.correct for r in depts
                                        if r.result.department and r.result.action != "clarify"),
            "out_of_scope_lines": len(oos),
            "out_of_scope_recall": _share(r.got == NONE for r in oos),
            "out_of_scope_precision": _share(r.line.expected == NONE for r in rejected),
            "answer_rate": sum(r.result.intent is not None for r in self.lines) / n,
            "clarify_rate": sum(r.result.action == "clarify" for r in self.lines) / n,
            "route_rate": sum(r.result.routed for r in self.lines) / n,
            "no_match_rate": len(rejected) / n,
            **self._choice_metrics(rejected),
        }

    def _choice_metrics(self, rejected: list[LineResult]) -> dict[str, float | int]:
        """How often a no-match becomes the department-choice question, and for the lines
        that belong to a department, how often the right one is named first / at all."""
        asked = [r for r in rejected if r.options]
        own = [r for r in asked if r.department is not None]
        return {
            "choice_asked": len(asked),
            "choice_asked_of_no_match": len(asked) / len(rejected) if rejected else 0.0,
            "choice_asked_out_of_scope": sum(r.line.expected == NONE for r in asked),
            "choice_in_scope": len(own),
            "choice_right_first": _share(r.options[0] == r.department for r in own),
            "choice_right_any": _share(r.department in r.options for r in own),
        }

    def timing(self) -> dict[str, float]:
        if not self.times_ms:
            return {}
        t = np.asarray(self.times_ms)
        return {"matches": float(len(t)), "p50_ms": float(np.percentile(t, 50)),
                "p90_ms": float(np.percentile(t, 90)), "p99_ms": float(np.percentile(t, 99)),
                "max_ms": float(t.max())}

    def confusions(self) -> list[tuple[str, str, int, list[str]]]:
        """(expected, got, count, texts) for every wrong decision, most frequent first."""
        groups: dict[tuple[str, str], list[str]] = {}
        for r in self.lines:
            if not r.correct:
                groups.setdefault((r.line.expected, r.got), []).append(r.line.text)
        return sorted(((e, g, len(t), t) for (e, g), t in groups.items()),
                      key=lambda item: (-item[2], item[0], item[1]))

    def to_json(self) -> dict[str, object]:
        return {"metrics": self.metrics(), "timing": self.timing(),
                "confusions": [{"expected": e, "got": g, "count": c, "texts": t}
                               for e, g, c, t in self.confusions()]}


def read_eval_file(path: str | Path) -> list[EvalLine]:
    """The (text, expected) lines of an evaluation TSV; '#' lines are comments. A `.jsonl`
    file is a blind set (tests/data/blind/): its lines that are requests, not answers to the
    bot's own questions (those need the dialog context, `kind: answer`)."""
    if Path(path).suffix == ".jsonl":
        return _read_blind(Path(path))
    rows = [line.rstrip("\r\n").split("\t")
            for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    text_col, expected_col = 0, 1
    if rows and "text" in rows[0]:
        header = rows.pop(0)
        text_col = header.index("text")
        expected_col = next((header.index(c) for c in _EXPECTED_COLUMNS if c in header), -1)
        if expected_col < 0:
            raise ValueError(f"{path}: no expected column (one of {', '.join(_EXPECTED_COLUMNS)})")
    lines = []
    for number, row in enumerate(rows, start=1):
        if len(row) <= max(text_col, expected_col):
            raise ValueError(f"{path}: row {number} has {len(row)} column(s): {row!r}")
        label = row[expected_col].strip()
        lines.append(EvalLine(row[text_col], NONE if label in _NONE_LABELS else label))
    return lines


def _read_blind(path: Path) -> list[EvalLine]:
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            text, label, kind = row["text"], row["label"], row["kind"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: line {number} is not a blind-set row: {exc}") from exc
        if kind != "answer":
            lines.append(EvalLine(text, NONE if label in _NONE_LABELS else label))
    return lines


def evaluate(matcher: Matcher, lines: list[EvalLine], repeats: int = 1,
             prior: DepartmentPrior | None = None) -> EvalReport:
    """Match every line (timed `repeats` times after one untimed warm-up pass); `prior`: a
    learned department model, as the server uses it on calls."""
    report = EvalReport([with_options(matcher, _judge_with(matcher, line, prior))
                         for line in lines])
    for _ in range(max(repeats, 0)):
        for line in lines:
            start = time.perf_counter()
            matcher.match(line.text, prior)
            report.times_ms.append((time.perf_counter() - start) * 1000.0)
    return report


def _judge_with(matcher: Matcher, line: EvalLine,
                prior: DepartmentPrior | None = None) -> LineResult:
    result = matcher.match(line.text, prior)
    guess = None
    if _kind(line.expected) == "dept" and _department(result) is None:
        # The matcher declined; for the routing top-1 take the router's best guess anyway.
        evidence = matcher.evidence(line.text)
        guess = (matcher.route(evidence, prior, line.text).department
                 if evidence is not None else None)
    return judge(line, result, guess)


def with_options(matcher: Matcher, judged: LineResult) -> LineResult:
    """The line's own department and the options the department-choice question would offer
    after it (the policy's default number of options; on a call a doubtful transcript is
    re-asked instead, `PolicyConfig.reask_confidence`)."""
    kb, expected = matcher.kb, judged.line.expected
    if _kind(expected) == "dept":
        own: str | None = expected[len(DEPT):]
    else:
        intent = kb.intents.get(expected)
        own = intent.department if intent is not None else None
    options = (offered(judged.result, kb, PolicyConfig().choice_options)
               if judged.got == NONE else ())
    return replace(judged, options=options, department=own)


def judge(line: EvalLine, result: MatchResult, guess: str | None = None) -> LineResult:
    """Compare one decision with the expected label. `guess` is the router's department for
    a dept: line the matcher declined (it only counts for the top-1 measure)."""
    got = decision(result)
    top1 = best_guess(result)
    expected = line.expected
    if _kind(expected) == "dept":
        dept = expected[len(DEPT):]
        correct = result.action != "clarify" and _department(result) == dept
        top1_ok = (_department(result) or guess) == dept
    else:
        correct = got == expected
        top1_ok = top1 == expected
    return LineResult(line, result, got, top1, correct, top1_ok)


def decision(result: MatchResult) -> str:
    """The decision in label vocabulary: intent id, dept:<id>, clarify:<a>|<b>, or none."""
    if result.intent is not None:
        return result.intent
    if result.action == "clarify":
        return "clarify:" + "|".join(c.intent for c in result.candidates)
    if result.routed:
        return f"{DEPT}{result.department}"
    return NONE


def best_guess(result: MatchResult) -> str:
    if result.action == "clarify" and result.candidates:
        return result.candidates[0].intent
    return decision(result)


def _department(result: MatchResult) -> str | None:
    if result.action == "clarify" and result.candidates:
        return result.candidates[0].department
    return result.department


def _kind(expected: str) -> str:
    if expected == NONE:
        return "none"
    return "dept" if expected.startswith(DEPT) else "intent"


def _share(flags: object) -> float:
    values = list(flags)  # type: ignore[call-overload]
    return sum(bool(v) for v in values) / len(values) if values else 0.0


def held_out(path: str | Path) -> bool:
    """Is `path` a held-out split (a blind set's `test*.jsonl`), whose lines and errors must
    not be read while tuning? Its reports then carry the aggregates only."""
    path = Path(path)
    return path.suffix == ".jsonl" and path.name.startswith("test") and (
        path.parent.name.startswith("blind"))


def format_report(report: EvalReport, source: str = "", *, lines: bool = True) -> str:
    """Plain-text tables: metrics, timing and (with `lines`) the confusion list."""
    m, t = report.metrics(), report.timing()
    out = [f"evaluation of {source}" if source else "evaluation", ""]
    out += [f"  {key:<26} {value:.3f}" if isinstance(value, float) else f"  {key:<26} {value}"
            for key, value in m.items()]
    if t:
        out += ["", "  match time per utterance (ms)",
                "  | p50 | p90 | p99 | max | matches |", "  |---|---|---|---|---|",
                f"  | {t['p50_ms']:.2f} | {t['p90_ms']:.2f} | {t['p99_ms']:.2f} "
                f"| {t['max_ms']:.2f} | {int(t['matches'])} |"]
    confusions = report.confusions() if lines else []
    if not lines:
        out += ["", "  confusions withheld: a held-out split is scored by its aggregates only"]
    if confusions:
        out += ["", "  confusions (expected → got: count, examples)"]
        for expected, got, count, texts in confusions:
            out.append(f"  {expected} → {got}: {count}  e.g. {' / '.join(texts[:3])}")
    labels = Counter(r.line.expected for r in report.lines)
    out += ["", f"  {len(labels)} distinct labels"]
    return "\n".join(out) + "\n"
