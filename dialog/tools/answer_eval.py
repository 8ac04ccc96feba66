"""How well the bot understands answers to its own questions (issue 10, dialog context).

Each `kind: answer` line of a blind set names the question the bot asked (`context.prompt`:
anything_else, confirm with `a`, clarification with `a` and `b`) and what the caller meant.
The line is matched as on a call and handed to the real dialog policy in the state right after
that question; what the policy does next is read back into the label vocabulary and compared.
Survey answers (`survey`, labelled 1-3) are read by the policy's survey step: the rating it
records. Answers to the department-choice question (`department_choice` with `options`, the
departments named) read as the department routed to, `none` for none of them, `human_agent`,
or a new request.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialog.department_choice import options_text
from dialog.hypotheses import understand_readings
from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher
from dialog.policy import CallerSpoke, DialogPolicy, RecordRating, Say
from dialog.policy_types import DialogState

DEPT = "dept:"
REJECT = "reject"  # "neither" / "no" to a confirmation: the bot asks for the question again
NOT_UNDERSTOOD = "none"
CHOICE_NONE = "choice:none"  # none of the offered departments: the general desk, so told


@dataclass(frozen=True)
class AnswerResult:
    """One answer line: what the caller meant (`expected`) and what the policy did (`got`).
    `department` is the department of an FAQ the policy answered with, if it did."""

    row_id: str
    prompt: str
    expected: str
    got: str
    department: str | None = None

    @property
    def correct(self) -> bool:
        """The policy did what was meant; a problem (`dept:` label) answered with an FAQ of
        its department counts, as the request judge counts it (dialog.tools.evaluate.judge):
        the caller reached the responsible department's answer."""
        return self.expected == self.got or (
            self.department is not None and self.expected == f"{DEPT}{self.department}")


def answer_result(kb: KnowledgeBase, row_id: str, prompt: str, expected: str,
                  got: str) -> AnswerResult:
    """The result of one line, with the department of an FAQ answer looked up in `kb`."""
    intent = kb.intents.get(got)
    department = intent.department if intent is not None and intent.kind == "faq" else None
    return AnswerResult(row_id, prompt, expected, got, department)


def read_answers(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [r for r in rows if r.get("kind") == "answer"]


def expected_reading(row: dict[str, Any]) -> str | None:
    """The label in the vocabulary of `got`; None for questions the policy does not ask."""
    prompt, label, context = row["context"]["prompt"], row["label"], row["context"]
    if prompt == "anything_else":
        return "no" if label in ("no", "goodbye") else label
    if prompt == "confirm":
        return context["a"] if label == "yes" else REJECT if label == "no" else label
    if prompt == "clarification":
        return REJECT if label == "no" else label
    if prompt == "survey":
        return label
    if prompt == "department_choice":
        return CHOICE_NONE if label == "none" else label
    return None


def question_words(kb: KnowledgeBase, row: dict[str, Any]) -> str:
    """The bot's question an answer line replies to, in the words the policy says it (its
    prompt with the intents' names), as the caller heard it."""
    context = row["context"]
    if context["prompt"] == "department_choice":
        areas = [kb.departments[d].spoken_area for d in context["options"]]
        return kb.prompt("department_choice", options=options_text(areas))
    names = {k: kb.intent_name(context[k]) for k in ("a", "b") if k in context}
    return kb.prompt(context["prompt"], **names)


def _state_after(row: dict[str, Any]) -> DialogState:
    context = row["context"]
    prompt = context["prompt"]
    pending = tuple(context[k] for k in ("a", "b") if k in context)
    if prompt == "department_choice":
        return DialogState(phase="listening", last_say_key=prompt,
                           choice=tuple(context["options"]))
    return DialogState(phase="listening", answered=1, last_say_key=prompt,
                       clarify=pending if prompt in ("confirm", "clarification") else (),
                       surveyed=prompt == "survey")


def policy_reading(policy: DialogPolicy, matcher: Matcher, row: dict[str, Any],
                   confidence: float | None = None, alternatives: tuple[str, ...] = ()) -> str:
    """What the policy did with the caller's words, in the label vocabulary. `confidence`:
    the recognizer's, when the words are a transcript (`ivr bench blind-audio --answers`);
    a doubtful no-match is then re-asked, which reads as not understood. `alternatives`: the
    recognizer's other readings, tried as a call does when the words mean nothing."""
    before = _state_after(row)
    match, reply, _text = understand_readings(
        matcher.match, before.last_say_key, (row["text"], *alternatives), before.clarify,
        lambda t: policy.reads_as_answer(before, t), policy.own_reading_first(before))
    match = match.heard_with(confidence)
    state, actions = policy.step(before, CallerSpoke(match, reply), 0.0)
    got = _reading(before, state, actions)
    intent = policy.kb.intents.get(got)
    if before.last_say_key == "department_choice" and intent and intent.kind == "faq":
        # the question was about departments: an FAQ of the right one is the right one
        return f"dept:{policy.kb.department_of(got).id}"
    return got


def _reading(before: DialogState, state: DialogState, actions: list[Any]) -> str:
    if before.last_say_key == "survey":
        rated = [a.rating for a in actions if isinstance(a, RecordRating)]
        return rated[0] if rated else NOT_UNDERSTOOD
    keys = [a.key for a in actions if isinstance(a, Say)]
    answered = [k.split(":", 1)[1] for k in keys if k.startswith("answer:")]
    if answered:
        return answered[0]
    if "goodbye" in keys:
        return "no"
    if "ask_question" in keys:
        return REJECT if before.last_say_key != "anything_else" else "yes"
    if "route" in keys:
        return f"dept:{state.transfer_department}"
    if "transfer" in keys:
        if state.transfer_reason == "choice_none":
            return CHOICE_NONE
        return "human_agent" if state.transfer_reason == "caller_request" else NOT_UNDERSTOOD
    if keys and keys[-1] in ("clarification", "confirm") and state.clarify:
        return f"clarify:{state.clarify[0]}"
    return NOT_UNDERSTOOD


def evaluate_answers(policy: DialogPolicy, matcher: Matcher,
                     rows: list[dict[str, Any]]) -> tuple[list[AnswerResult], int]:
    """(results, lines skipped because the policy does not ask that question)."""
    results, skipped = [], 0
    for row in rows:
        expected = expected_reading(row)
        if expected is None:
            skipped += 1
            continue
        results.append(answer_result(policy.kb, row.get("id", ""), row["context"]["prompt"],
                                     expected, policy_reading(policy, matcher, row)))
    return results, skipped


def summary(results: list[AnswerResult], skipped: int) -> dict[str, Any]:
    by_prompt: dict[str, list[AnswerResult]] = {}
    for r in results:
        by_prompt.setdefault(r.prompt, []).append(r)
    return {
        "lines": len(results), "skipped_no_such_question": skipped,
        "accuracy": sum(r.correct for r in results) / max(len(results), 1),
        "by_question": {p: {"lines": len(rs), "accuracy": sum(r.correct for r in rs) / len(rs)}
                        for p, rs in sorted(by_prompt.items())},
        "readings": dict(Counter(r.got.split(":")[0] if ":" in r.got else
                                 r.got if r.got in (REJECT, "no", "yes", NOT_UNDERSTOOD)
                                 else "intent" for r in results)),
    }
