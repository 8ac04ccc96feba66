"""The knowledge base: departments, intents, synonyms and prompts, loaded from `intents.yaml`.

The dataclasses here are the contract between the YAML file, the matcher, the dialog policy
and the call session. `load_knowledge_base` reads one file and validates it (errors name the
intent or department and the field at fault); everything else is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import yaml

from dialog import kbfields as f
from dialog.heard import heard_path, read_heard_file
from dialog.kbfields import KnowledgeBaseError

__all__ = [
    "REQUIRED_PROMPTS", "Department", "Intent", "KnowledgeBase", "KnowledgeBaseError",
    "load_knowledge_base", "parse_knowledge_base",
]

IntentKind = Literal["faq", "system"]
IntentAction = Literal["answer", "transfer"]


@dataclass(frozen=True)
class Department:
    """A responsible department, the human queue its calls go to, and what it handles.

    `description`, `keywords` and `examples` (problems as callers describe them) let the
    matcher route a problem no FAQ answers; `area` is
    the short name of what it handles (社会保障, 住房建设), spoken and understood in the
    department-choice question (dialog.department_choice; empty: its `name`)."""

    id: str
    name: str
    queue: str
    hotline: str = ""
    hours: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()
    area: str = ""
    examples: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()  # its offices as callers name them (dialog.offices)
    # Keywords as the recognizer writes them (工资金 for 公积金), reviewed by a person; they
    # are also in `keywords`, after the written ones, so routing hears them the same way.
    heard: tuple[str, ...] = ()
    # Everyday words callers use for its matters (开车的本子, 灯黑了): keywords for matching
    # and the classifiers, after the written ones, but not part of the routing document, whose
    # coverage they widened until chatter (停电了, 网吧) reached a department (dialog.routing).
    everyday: tuple[str, ...] = ()

    @property
    def spoken_area(self) -> str:
        """What the department-choice question calls this department."""
        return self.area or self.name


@dataclass(frozen=True)
class Intent:
    """One thing a caller may want.

    FAQ intents carry a spoken `answer` (action "answer") or route to their department's
    queue after it (action "transfer"). System intents (human_agent, repeat, yes, no, goodbye,
    menu) steer the dialog; the policy gives them their meaning. `name` is the short phrase a
    clarifying question uses ("您是想咨询{a}，还是{b}？"); `sms` an optional link to text."""

    id: str
    kind: IntentKind
    department: str | None
    action: IntentAction
    answer: str = ""
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    prompt_audio: str | None = None
    name: str = ""
    sms: str | None = None
    local_sample: bool = False


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the dialog needs to speak and route."""

    departments: dict[str, Department]
    intents: dict[str, Intent]
    prompts: dict[str, str]
    default_department: str
    prompt_audio: dict[str, str] = field(default_factory=dict)
    language: str = "zh"
    # Canonical word → the other ways callers (and recognisers) say it.
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Intent id → what the recognizer heard of its examples on the phone band (training for
    # the classifier only; dialog.heard, read from intents.heard.jsonl beside the file).
    heard: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def prompt(self, key: str, **values: str) -> str:
        """Prompt text with `{placeholders}` filled in; KeyError names a missing prompt."""
        return self.prompts[key].format(**values)

    def department_of(self, intent_id: str | None) -> Department:
        """The department that handles an intent, falling back to the default one."""
        intent = self.intents.get(intent_id) if intent_id else None
        dept_id = intent.department if intent and intent.department else self.default_department
        return self.departments.get(dept_id) or self.departments[self.default_department]

    def intent_name(self, intent_id: str) -> str:
        """The short spoken name of an intent: its `name`, else its first example, else id."""
        intent = self.intents.get(intent_id)
        if intent is None:
            return intent_id
        return intent.name or (intent.examples[0] if intent.examples else intent_id)


# ---- loading ------------------------------------------------------------------------------

REQUIRED_PROMPTS: tuple[str, ...] = (
    "greeting", "anything_else", "ask_question", "no_match", "no_input", "clarification",
    "transfer", "route", "queue", "callback", "survey", "goodbye", "error",
)
"""Prompts the dialog and the call session speak; a knowledge base without one is rejected."""

# Placeholders the code fills in, per prompt; any other name in these prompts is an error.
PROMPT_FIELDS: dict[str, frozenset[str]] = {
    "transfer": frozenset({"department"}),
    "route": frozenset({"department"}),
    "clarification": frozenset({"a", "b"}),
    "confirm": frozenset({"a"}),
    "department_choice": frozenset({"options"}),
    "emergency": frozenset({"number"}),
}

_TOP_KEYS = frozenset({"language", "default_department", "departments", "prompts",
                       "prompt_audio", "intents", "synonyms"})
_DEPARTMENT_KEYS = frozenset({"id", "name", "queue", "hotline", "hours", "description",
                              "keywords", "area", "examples", "offices", "heard",
                              "everyday"})
_INTENT_KEYS = frozenset({"id", "kind", "department", "action", "answer", "examples",
                          "keywords", "prompt_audio", "local_sample", "name", "sms"})
# Whitespace between two non-ASCII characters is a YAML line fold inside Chinese text, not a
# word break: it would make TTS pause in odd places.
_CJK_FOLD = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
_URL = re.compile(r"^https?://\S+$")


def load_knowledge_base(path: str | Path) -> KnowledgeBase:
    """Read and validate `intents.yaml`; KnowledgeBaseError names the intent/field at fault.

    Relative `prompt_audio` paths are resolved against the file's directory; the
    recognizer's readings of the examples come from `intents.heard.jsonl` beside it, when
    there is one (dialog.heard)."""
    path = Path(path)
    data = _read_yaml(path)
    kb = parse_knowledge_base(data, base_dir=path.resolve().parent, source=str(path))
    examples = {intent.id: intent.examples for intent in kb.intents.values()}
    heard = read_heard_file(heard_path(path), examples)
    return replace(kb, heard=heard) if heard else kb


def parse_knowledge_base(
    data: object, base_dir: Path | None = None, source: str = "knowledge base"
) -> KnowledgeBase:
    """Validate an already-parsed YAML document and build the KnowledgeBase. No I/O."""
    top = f.mapping(data, source)
    f.no_unknown_keys(top, _TOP_KEYS, source)
    departments = _parse_departments(top.get("departments"))
    default = f.text(top.get("default_department"), "default_department")
    if default not in departments:
        raise KnowledgeBaseError(f"default_department: unknown department {default!r}")
    return KnowledgeBase(
        departments=departments,
        intents=_parse_intents(top.get("intents"), departments, base_dir),
        prompts=_parse_prompts(top.get("prompts")),
        default_department=default,
        prompt_audio=_parse_prompt_audio(top.get("prompt_audio"), base_dir),
        language=f.text(top.get("language", "zh"), "language"),
        synonyms=_parse_synonyms(top.get("synonyms")),
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
        entry = f.mapping(item, f"departments[{index}]")
        dept_id = f.identifier(entry.get("id"), f"departments[{index}].id")
        where = f"department {dept_id!r}"
        f.no_unknown_keys(entry, _DEPARTMENT_KEYS, where)
        if dept_id in departments:
            raise KnowledgeBaseError(f"{where}: duplicate department id")
        heard = f.str_list(entry.get("heard", []), f"{where}: field 'heard'")
        everyday = f.str_list(entry.get("everyday", []), f"{where}: field 'everyday'")
        departments[dept_id] = Department(
            id=dept_id,
            name=f.nonempty(entry.get("name"), f"{where}: field 'name'"),
            queue=f.nonempty(entry.get("queue"), f"{where}: field 'queue'"),
            hotline=f.text(entry.get("hotline", ""), f"{where}: field 'hotline'"),
            hours=f.text(entry.get("hours", ""), f"{where}: field 'hours'"),
            description=_folded(entry.get("description", ""), f"{where}: field 'description'"),
            keywords=(*f.str_list(entry.get("keywords", []), f"{where}: field 'keywords'"),
                      *heard, *everyday),
            area=f.text(entry.get("area", ""), f"{where}: field 'area'").strip(),
            examples=f.str_list(entry.get("examples", []), f"{where}: field 'examples'"),
            offices=f.str_list(entry.get("offices", []), f"{where}: field 'offices'"),
            heard=heard,
            everyday=everyday,
        )
    return departments


def _parse_intents(
    raw: object, departments: dict[str, Department], base_dir: Path | None
) -> dict[str, Intent]:
    if not isinstance(raw, list) or not raw:
        raise KnowledgeBaseError("intents: must be a non-empty list")
    intents: dict[str, Intent] = {}
    for index, item in enumerate(raw):
        intent = _parse_intent(f.mapping(item, f"intents[{index}]"), index, departments, base_dir)
        if intent.id in intents:
            raise KnowledgeBaseError(f"intent {intent.id!r}: duplicate intent id")
        intents[intent.id] = intent
    return intents


def _parse_intent(
    entry: dict[str, object], index: int, departments: dict[str, Department],
    base_dir: Path | None,
) -> Intent:
    intent_id = f.identifier(entry.get("id"), f"intents[{index}].id")
    where = f"intent {intent_id!r}"
    f.no_unknown_keys(entry, _INTENT_KEYS, where)
    kind = f.choice(entry.get("kind", "faq"), ("faq", "system"), f"{where}: field 'kind'")
    default_action = "transfer" if intent_id == "human_agent" else "answer"
    action = f.choice(
        entry.get("action", default_action), ("answer", "transfer"), f"{where}: field 'action'"
    )
    examples = f.str_list(entry.get("examples", []), f"{where}: field 'examples'")
    keywords = f.str_list(entry.get("keywords", []), f"{where}: field 'keywords'")
    if not examples and not keywords:
        raise KnowledgeBaseError(f"{where}: needs at least one of 'examples' or 'keywords'")
    audio = entry.get("prompt_audio")
    return Intent(
        id=intent_id,
        kind=kind,  # type: ignore[arg-type]  # choice() checked the literal
        department=_intent_department(entry.get("department"), kind, departments, where),
        action=action,  # type: ignore[arg-type]
        answer=_intent_answer(entry.get("answer", ""), kind, where),
        examples=examples,
        keywords=keywords,
        prompt_audio=None if audio is None
        else _audio_path(audio, f"{where}: field 'prompt_audio'", base_dir),
        name=f.text(entry.get("name", ""), f"{where}: field 'name'").strip(),
        sms=_sms(entry.get("sms"), f"{where}: field 'sms'"),
        local_sample=f.boolean(entry.get("local_sample", False), f"{where}: field 'local_sample'"),
    )


def _folded(raw: object, where: str) -> str:
    return _CJK_FOLD.sub("", f.text(raw, where).strip())


def _intent_answer(raw: object, kind: str, where: str) -> str:
    answer = _folded(raw, f"{where}: field 'answer'")
    if kind == "faq" and not answer:
        raise KnowledgeBaseError(f"{where}: field 'answer' is missing or empty (faq intents "
                                 "speak it, also before a transfer)")
    return answer


def _sms(raw: object, where: str) -> str | None:
    if raw is None:
        return None
    link = f.nonempty(raw, where)
    if not _URL.match(link):
        raise KnowledgeBaseError(f"{where} must be an http(s):// link, got {link!r}")
    return link


def _intent_department(
    raw: object, kind: str, departments: dict[str, Department], where: str
) -> str | None:
    if raw is None:
        if kind == "faq":
            raise KnowledgeBaseError(f"{where}: field 'department' is missing")
        return None
    dept = f.text(raw, f"{where}: field 'department'")
    if dept not in departments:
        raise KnowledgeBaseError(f"{where}: field 'department': unknown department {dept!r}")
    return dept


def _parse_prompts(raw: object) -> dict[str, str]:
    prompts = {
        f.text(key, "prompts: key"): f.nonempty(value, f"prompt {key!r}")
        for key, value in f.mapping(raw, "prompts").items()
    }
    for key in REQUIRED_PROMPTS:
        if key not in prompts:
            raise KnowledgeBaseError(f"prompts: prompt {key!r} is missing")
    for key, template in prompts.items():
        names = f.placeholders(template, f"prompt {key!r}")
        allowed = PROMPT_FIELDS.get(key)
        if allowed is not None and not names <= allowed:
            raise KnowledgeBaseError(
                f"prompt {key!r}: unknown placeholder(s) {', '.join(sorted(names - allowed))} "
                f"(only {', '.join('{' + n + '}' for n in sorted(allowed))} are filled in)"
            )
    return prompts


def _parse_synonyms(raw: object) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    synonyms: dict[str, tuple[str, ...]] = {}
    for key, variants in f.mapping(raw, "synonyms").items():
        canonical = f.nonempty(key, "synonyms: key")
        synonyms[canonical] = f.str_list(variants, f"synonyms {canonical!r}")
    return synonyms


def _parse_prompt_audio(raw: object, base_dir: Path | None) -> dict[str, str]:
    if raw is None:
        return {}
    return {
        f.text(key, "prompt_audio: key"): _audio_path(value, f"prompt_audio {key!r}", base_dir)
        for key, value in f.mapping(raw, "prompt_audio").items()
    }


def _audio_path(raw: object, where: str, base_dir: Path | None) -> str:
    path = Path(f.nonempty(raw, where))
    return str(path if path.is_absolute() or base_dir is None else base_dir / path)
