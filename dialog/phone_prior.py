"""The learned department model on the phone path: which department gets what a caller says.

A caller states a problem in a sentence, much like a message's title. Where a city splits a
contested duty differently from the knowledge base's keywords (a bus stop: transport or
traffic police), only where its own messages went shows it. The knowledge base still decides
whether a caller's words are a department's problem at all (`Matcher.decide`), so out-of-scope
chatter is not routed because of the model; the model only helps choose which department.
Whether it helps at all is the cross-validation's call when the model is trained
(`dialog.tools.department_training.choose_phone_blend`): on the shared citizen messages it
keeps the knowledge base alone (docs/benchmarks.md, "The learned model on calls").

This module gives a running call the model with its phone blend weight, as
`Matcher.match(prior=...)` takes it. Pure, except `load_phone_prior`, which reads a model file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dialog.department_model import DepartmentModel, DepartmentModelError


@dataclass(frozen=True)
class PhonePrior:
    """A department model with the phone blend weight, as `Matcher.match(prior=...)` takes it."""

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
    """The phone prior of a model file; DepartmentModelError for a file that cannot serve
    calls."""
    prior = phone_prior(DepartmentModel.load(path))
    if prior is None:
        raise DepartmentModelError(f"{path} was trained before router models covered calls: "
                                   "train it again with `ivr kb train-router`")
    return prior
