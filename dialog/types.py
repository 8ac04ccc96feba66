"""Value types shared by the matcher, the dialog policy and the call session. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from dialog.asides import ASIDE_SIGNALS

Action = Literal["answer", "transfer", "clarify", "none"]


@dataclass(frozen=True)
class Candidate:
    """One of the best-scoring intents for an utterance, for clarification and explanations."""

    intent: str
    score: float
    department: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"intent": self.intent, "score": round(self.score, 4),
                "department": self.department}


@dataclass(frozen=True)
class Guess:
    """A department a declined problem may belong to, for the department-choice question.

    `score` ranks the guesses (the blend of `knowledge`, the department router's score, and
    `classifier`, the department classifier's probability; dialog.routing.DepartmentRouter
    .guesses); both parts are kept so the question can be explained."""

    department: str
    score: float
    knowledge: float = 0.0
    classifier: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {"department": self.department, "score": round(self.score, 4),
                "knowledge": round(self.knowledge, 4), "classifier": round(self.classifier, 4)}


@dataclass(frozen=True)
class MatchResult:
    """The matcher's decision about one caller utterance.

    `intent` is None when nothing scored high enough ("no match") and when the utterance was
    routed to a department by responsibility. `action` tells the dialog what the knowledge base
    wants done: speak the intent's answer, transfer to `department`'s human queue (an FAQ that
    transfers, human_agent, or routing with `intent` None), ask which of the top two
    `candidates` the caller meant ("clarify"), or nothing (no match / system intents the
    policy interprets). `signals` are the per-signal scores that explain the decision.
    `guesses`: on a no-match that describes a problem, the departments it most likely
    belongs to, best first (the policy asks the caller to choose among them); empty otherwise.
    """

    intent: str | None
    score: float
    department: str | None
    action: Action
    text: str = ""
    signals: dict[str, float] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()
    guesses: tuple[Guess, ...] = ()

    @property
    def routed(self) -> bool:
        """True when no intent fitted but the utterance was sent to a responsible department."""
        return self.intent is None and self.action == "transfer" and self.department is not None

    @property
    def aside(self) -> bool:
        """A no-match understood by its shape as no request at all: a wrong number
        (dialog.addressee), a question about a shop, a good word about someone, an errand or
        another service's business: the table in dialog.asides. No department is offered for
        it, and no other reading of the audio replaces it."""
        return self.action == "none" and any(self.signals.get(s) for s in ASIDE_SIGNALS)

    def heard_with(self, confidence: float | None) -> MatchResult:
        """This decision with the recognizer's confidence in the transcript as the signal
        `asr_confidence` (the policy re-asks a doubtful no-match); unchanged for None."""
        if confidence is None:
            return self
        return replace(self, signals={**self.signals, "asr_confidence": confidence})

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "intent": self.intent,
            "score": round(self.score, 4),
            "department": self.department,
            "action": self.action,
            "candidates": [c.to_json() for c in self.candidates],
            "signals": {k: round(v, 4) for k, v in self.signals.items()},
        }
        if self.guesses:
            out["guesses"] = [g.to_json() for g in self.guesses]
        return out


NO_MATCH = MatchResult(intent=None, score=0.0, department=None, action="none")
