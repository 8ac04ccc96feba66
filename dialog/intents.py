"""The knowledge base: departments, intents and prompts, loaded from `intents.yaml`.

The dataclasses here are the contract between the YAML file, the matcher, the dialog policy
and the call session. Loading reads one file; everything else is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

IntentKind = Literal["faq", "system"]
IntentAction = Literal["answer", "transfer"]


class KnowledgeBaseError(ValueError):
    """A broken knowledge base file; the message names the intent/field at fault."""


@dataclass(frozen=True)
class Department:
    """A responsible department and the human queue its calls go to."""

    id: str
    name: str
    queue: str
    hotline: str = ""
    hours: str = ""


@dataclass(frozen=True)
class Intent:
    """One thing a caller may want.

    FAQ intents carry a spoken `answer` (action "answer") or route to their department's
    queue (action "transfer"). System intents (human_agent, repeat, yes, no, goodbye) steer the
    dialog; the policy gives them their meaning.
    """

    id: str
    kind: IntentKind
    department: str | None
    action: IntentAction
    answer: str = ""
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    prompt_audio: str | None = None


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the dialog needs to speak and route."""

    departments: dict[str, Department]
    intents: dict[str, Intent]
    prompts: dict[str, str]
    default_department: str
    prompt_audio: dict[str, str] = field(default_factory=dict)
    language: str = "zh"

    def prompt(self, key: str, **values: str) -> str:
        """Prompt text with `{placeholders}` filled in; KeyError names a missing prompt."""
        return self.prompts[key].format(**values)

    def department_of(self, intent_id: str | None) -> Department:
        """The department that handles an intent, falling back to the default one."""
        intent = self.intents.get(intent_id) if intent_id else None
        dept_id = intent.department if intent and intent.department else self.default_department
        return self.departments.get(dept_id) or self.departments[self.default_department]
