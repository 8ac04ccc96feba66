"""The knowledge base: departments, intents and prompts, loaded from `intents.yaml`.

The dataclasses here are the contract between the YAML file, the matcher, the dialog policy
and the call session. `load_knowledge_base` reads one file and validates it; everything else
is pure.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

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


# ---- loading ------------------------------------------------------------------------------

REQUIRED_PROMPTS: tuple[str, ...] = (
    "greeting",
    "anything_else",
    "ask_question",
    "no_match",
    "no_input",
    "transfer",
    "goodbye",
    "error",
)
"""Prompts the dialog policy speaks; a knowledge base without one of them is rejected."""

_TOP_KEYS = frozenset(
    {"language", "default_department", "departments", "prompts", "prompt_audio", "intents"}
)
_DEPARTMENT_KEYS = frozenset({"id", "name", "queue", "hotline", "hours"})
_INTENT_KEYS = frozenset(
    {"id", "kind", "department", "action", "answer", "examples", "keywords", "prompt_audio",
     "local_sample"}
)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# Whitespace between two non-ASCII characters is a YAML line fold inside Chinese text, not a
# word break: it would make TTS pause in odd places.
_CJK_FOLD = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


def load_knowledge_base(path: str | Path) -> KnowledgeBase:
    """Read and validate `intents.yaml`; KnowledgeBaseError names the intent/field at fault.

    Relative `prompt_audio` paths are resolved against the file's directory."""
    path = Path(path)
    data = _read_yaml(path)
    return parse_knowledge_base(data, base_dir=path.resolve().parent, source=str(path))


def parse_knowledge_base(
    data: object, base_dir: Path | None = None, source: str = "knowledge base"
) -> KnowledgeBase:
    """Validate an already-parsed YAML document and build the KnowledgeBase. No I/O."""
    top = _mapping(data, source)
    _no_unknown_keys(top, _TOP_KEYS, source)
    departments = _parse_departments(top.get("departments"))
    default = _str(top.get("default_department"), "default_department")
    if default not in departments:
        raise KnowledgeBaseError(f"default_department: unknown department {default!r}")
    return KnowledgeBase(
        departments=departments,
        intents=_parse_intents(top.get("intents"), departments, base_dir),
        prompts=_parse_prompts(top.get("prompts")),
        default_department=default,
        prompt_audio=_parse_prompt_audio(top.get("prompt_audio"), base_dir),
        language=_str(top.get("language", "zh"), "language"),
    )


def _read_yaml(path: Path) -> object:
    """The parsed document; errors name the file and, for syntax errors, the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeBaseError(f"{path}: knowledge base file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(f"{path}: cannot read knowledge base: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        raise KnowledgeBaseError(f"{path}: invalid YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path}: invalid YAML: {exc}") from None


def _parse_departments(raw: object) -> dict[str, Department]:
    if not isinstance(raw, list) or not raw:
        raise KnowledgeBaseError("departments: must be a non-empty list")
    departments: dict[str, Department] = {}
    for index, item in enumerate(raw):
        entry = _mapping(item, f"departments[{index}]")
        dept_id = _identifier(entry.get("id"), f"departments[{index}].id")
        where = f"department {dept_id!r}"
        _no_unknown_keys(entry, _DEPARTMENT_KEYS, where)
        if dept_id in departments:
            raise KnowledgeBaseError(f"{where}: duplicate department id")
        departments[dept_id] = Department(
            id=dept_id,
            name=_nonempty(entry.get("name"), f"{where}: field 'name'"),
            queue=_nonempty(entry.get("queue"), f"{where}: field 'queue'"),
            hotline=_str(entry.get("hotline", ""), f"{where}: field 'hotline'"),
            hours=_str(entry.get("hours", ""), f"{where}: field 'hours'"),
        )
    return departments


def _parse_intents(
    raw: object, departments: dict[str, Department], base_dir: Path | None
) -> dict[str, Intent]:
    if not isinstance(raw, list) or not raw:
        raise KnowledgeBaseError("intents: must be a non-empty list")
    intents: dict[str, Intent] = {}
    for index, item in enumerate(raw):
        intent = _parse_intent(_mapping(item, f"intents[{index}]"), index, departments, base_dir)
        if intent.id in intents:
            raise KnowledgeBaseError(f"intent {intent.id!r}: duplicate intent id")
        intents[intent.id] = intent
    return intents


def _parse_intent(
    entry: dict[str, object], index: int, departments: dict[str, Department],
    base_dir: Path | None,
) -> Intent:
    intent_id = _identifier(entry.get("id"), f"intents[{index}].id")
    where = f"intent {intent_id!r}"
    _no_unknown_keys(entry, _INTENT_KEYS, where)
    kind = _choice(entry.get("kind", "faq"), ("faq", "system"), f"{where}: field 'kind'")
    default_action = "transfer" if intent_id == "human_agent" else "answer"
    action = _choice(
        entry.get("action", default_action), ("answer", "transfer"), f"{where}: field 'action'"
    )
    examples = _str_list(entry.get("examples", []), f"{where}: field 'examples'")
    keywords = _str_list(entry.get("keywords", []), f"{where}: field 'keywords'")
    if not examples and not keywords:
        raise KnowledgeBaseError(f"{where}: needs at least one of 'examples' or 'keywords'")
    if not isinstance(entry.get("local_sample", False), bool):
        raise KnowledgeBaseError(f"{where}: field 'local_sample' must be true or false")
    audio = entry.get("prompt_audio")
    return Intent(
        id=intent_id,
        kind=kind,  # type: ignore[arg-type]  # _choice checked the literal
        department=_intent_department(entry.get("department"), kind, departments, where),
        action=action,  # type: ignore[arg-type]
        answer=_intent_answer(entry.get("answer", ""), kind, where),
        examples=examples,
        keywords=keywords,
        prompt_audio=None if audio is None
        else _audio_path(audio, f"{where}: field 'prompt_audio'", base_dir),
    )


def _intent_answer(raw: object, kind: str, where: str) -> str:
    answer = _CJK_FOLD.sub("", _str(raw, f"{where}: field 'answer'").strip())
    if kind == "faq" and not answer:
        raise KnowledgeBaseError(f"{where}: field 'answer' is missing or empty (faq intents "
                                 "speak it, also before a transfer)")
    return answer


def _intent_department(
    raw: object, kind: str, departments: dict[str, Department], where: str
) -> str | None:
    if raw is None:
        if kind == "faq":
            raise KnowledgeBaseError(f"{where}: field 'department' is missing")
        return None
    dept = _str(raw, f"{where}: field 'department'")
    if dept not in departments:
        raise KnowledgeBaseError(f"{where}: field 'department': unknown department {dept!r}")
    return dept


def _parse_prompts(raw: object) -> dict[str, str]:
    prompts = {
        _str(key, "prompts: key"): _nonempty(value, f"prompt {key!r}")
        for key, value in _mapping(raw, "prompts").items()
    }
    for key in REQUIRED_PROMPTS:
        if key not in prompts:
            raise KnowledgeBaseError(f"prompts: prompt {key!r} is missing")
    for key, text in prompts.items():
        fields = _placeholders(text, f"prompt {key!r}")
        if key == "transfer" and not fields <= {"department"}:
            raise KnowledgeBaseError(
                f"prompt 'transfer': unknown placeholder(s) {', '.join(sorted(fields))} "
                "(only {department} is filled in)"
            )
    return prompts


def _placeholders(text: str, where: str) -> set[str]:
    """Names of the `{placeholders}` in a prompt; a malformed brace is an error."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise KnowledgeBaseError(f"{where}: bad placeholder: {exc}") from None


def _parse_prompt_audio(raw: object, base_dir: Path | None) -> dict[str, str]:
    if raw is None:
        return {}
    return {
        _str(key, "prompt_audio: key"): _audio_path(value, f"prompt_audio {key!r}", base_dir)
        for key, value in _mapping(raw, "prompt_audio").items()
    }


def _audio_path(raw: object, where: str, base_dir: Path | None) -> str:
    path = Path(_nonempty(raw, where))
    return str(path if path.is_absolute() or base_dir is None else base_dir / path)


# ---- small typed validators ---------------------------------------------------------------


def _mapping(raw: object, where: str) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{where}: must be a mapping, got {_type_name(raw)}")
    return raw


def _no_unknown_keys(entry: dict[str, object], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in entry if key not in allowed)
    if unknown:
        raise KnowledgeBaseError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _str(raw: object, where: str) -> str:
    # YAML reads 12345 as an int: accept numbers where text is expected (hotline numbers).
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    if not isinstance(raw, str):
        raise KnowledgeBaseError(f"{where} must be text, got {_type_name(raw)}")
    return raw


def _nonempty(raw: object, where: str) -> str:
    if raw is None:
        raise KnowledgeBaseError(f"{where} is missing")
    text = _str(raw, where).strip()
    if not text:
        raise KnowledgeBaseError(f"{where} is empty")
    return text


def _identifier(raw: object, where: str) -> str:
    if isinstance(raw, bool):  # YAML 1.1 reads bare yes/no/on/off as booleans
        raise KnowledgeBaseError(f"{where}: got a boolean; quote the id, e.g. id: \"yes\"")
    text = _nonempty(raw, where)
    if not _ID.match(text):
        raise KnowledgeBaseError(f"{where}: {text!r} is not a lower_snake_case id")
    return text


def _choice(raw: object, allowed: tuple[str, ...], where: str) -> str:
    text = _str(raw, where)
    if text not in allowed:
        raise KnowledgeBaseError(f"{where} must be one of {', '.join(allowed)}, got {text!r}")
    return text


def _str_list(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise KnowledgeBaseError(f"{where} must be a list of text, got {_type_name(raw)}")
    items = tuple(_nonempty(item, f"{where}[{i}]") for i, item in enumerate(raw))
    return items


def _type_name(raw: object) -> str:
    return "nothing" if raw is None else type(raw).__name__
