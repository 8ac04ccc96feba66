"""The routed-ticket model on the phone path: which department gets what a caller describes.

A caller states a problem in a sentence, much like a ticket's title. Where a city splits a
contested duty differently from the knowledge base's keywords (a bus stop: transport or
traffic police), only its own tickets show it. The knowledge base still decides whether a
caller's words are a department's problem at all (`Matcher.decide`), so out-of-scope chatter
is not routed because of the model; the model only helps choose which department. Whether it
helps at all is the cross-validation's call: on the shared citizen messages it keeps the
knowledge base alone (docs/benchmarks.md, "The ticket model on calls").

The phone blend weight is chosen like the letter one, by k-fold cross-validation on the
training tickets, but on what a caller would say: the ticket's title, or the start of its text
when it has none. Pure, except `load_phone_prior`, which reads a model file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dialog.department_model import (
    BLEND_GRID,
    BlendChoice,
    DepartmentModel,
    DepartmentModelError,
    RoutedExample,
    folds,
)
from dialog.matcher import Matcher

CALLER_CHARS = 80  # a caller's problem statement is about one sentence


def caller_text(ticket: RoutedExample) -> str:
    """What a caller with this ticket's problem would say first."""
    return ticket.title.strip() or ticket.text.strip()[:CALLER_CHARS]


@dataclass(frozen=True)
class PhonePrior:
    """A ticket model with the phone blend weight, as `Matcher.match(prior=...)` takes it."""

    model: DepartmentModel
    blend: float  # the knowledge base's share

    def probabilities(self, text: str) -> dict[str, float]:
        return self.model.probabilities(text)


def phone_prior(model: DepartmentModel | None) -> PhonePrior | None:
    """The prior of a model trained for the phone too (older model files were not)."""
    if model is None or model.phone_blend is None:
        return None
    return PhonePrior(model, model.phone_blend)


def load_phone_prior(path: Path) -> PhonePrior:
    """The phone prior of a model file; DepartmentModelError for a file that cannot serve calls."""
    prior = phone_prior(DepartmentModel.load(path))
    if prior is None:
        raise DepartmentModelError(f"{path} was trained before router models covered calls: "
                               "train it again with `ivr kb train-router`")
    return prior


def choose_phone_blend(matcher: Matcher, tickets: Sequence[RoutedExample], k: int = 5,
                       ) -> BlendChoice:
    """The blend weight with the best k-fold routing accuracy on caller-like texts of the
    training tickets (ties: the higher weight, i.e. trust the knowledge base more).

    Only tickets whose text the matcher would route are counted: on the others the
    department is never used, so they cannot tell weights apart."""
    right = dict.fromkeys(BLEND_GRID, 0)
    n = 0
    for train, held in folds(tickets, k):
        model = DepartmentModel.train(train)
        for ticket in held:
            text = caller_text(ticket)
            evidence = matcher.evidence(text)
            if evidence is None:
                continue
            decision = matcher.decide(text, evidence)
            if decision.action != "transfer" or decision.intent is not None:
                continue  # answered, asked about, or declined: no department is chosen
            n += 1
            for blend in BLEND_GRID:
                routed = matcher.route(evidence, PhonePrior(model, blend), text)
                right[blend] += routed.department == ticket.department
    if n == 0:
        raise DepartmentModelError(
            "too few tickets to cross-validate (need several per department)")
    accuracy = {b: right[b] / n for b in BLEND_GRID}
    best = max(BLEND_GRID, key=lambda b: (accuracy[b], b))
    return BlendChoice(best, accuracy, n)
