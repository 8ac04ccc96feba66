"""Value types shared by the matcher, the dialog policy and the call session. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Action = Literal["answer", "transfer", "none"]


@dataclass(frozen=True)
class MatchResult:
    """The matcher's decision about one caller utterance.

    `intent` is None when nothing scored above the threshold ("no match"). `action` tells the
    dialog what the knowledge base wants done: speak the intent's answer, transfer to the
    department's human queue, or nothing (no match / system intents handled by the policy).
    """

    intent: str | None
    score: float
    department: str | None
    action: Action
    text: str = ""
    signals: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "intent": self.intent,
            "score": round(self.score, 4),
            "department": self.department,
            "action": self.action,
        }


NO_MATCH = MatchResult(intent=None, score=0.0, department=None, action="none")
