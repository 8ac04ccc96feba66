"""Style warnings for a knowledge base that loads: what `ivr kb check` lists beyond errors.

Errors (a file that cannot run) are raised by dialog.intents; these are the things that run
but serve callers badly: answers too long for the phone, intents without a spoken name or with
too few examples or no recognizer readings of them (when the knowledge base has readings at
all: dialog.heard), one example under two intents, departments nobody routes to or without the
short `area` the department-choice question speaks, one office under two departments, recommended
prompts or system intents missing, recorded prompt files that do not exist. Each warning names
the intent, department or prompt and the field. Checks file existence for `prompt_audio`;
otherwise pure.
"""

from __future__ import annotations

import re
from pathlib import Path

from dialog.intents import KnowledgeBase
from dialog.normalize import normalize

MAX_SENTENCE = 80
MAX_ANSWER = 100  # characters: every answer is played in real time on the phone
MIN_EXAMPLES = 5
SYSTEM_INTENTS = ("human_agent", "repeat", "yes", "no", "goodbye", "menu")
RECOMMENDED_PROMPTS = ("menu", "confirm", "department_choice")
_SENTENCE_END = re.compile(r"(?<=[。！？；])")


def lint(kb: KnowledgeBase, check_files: bool = True) -> list[str]:
    """Warnings, one line each, in file order."""
    warnings: list[str] = []
    warnings += _intent_warnings(kb)
    warnings += _duplicate_examples(kb)
    warnings += _department_warnings(kb)
    warnings += _shared_offices(kb)
    warnings += [f"prompts: recommended prompt {key!r} is missing"
                 for key in RECOMMENDED_PROMPTS if key not in kb.prompts]
    warnings += [f"intents: system intent {key!r} is missing"
                 for key in SYSTEM_INTENTS if key not in kb.intents]
    if check_files:
        warnings += _missing_audio(kb)
    return warnings


def _intent_warnings(kb: KnowledgeBase) -> list[str]:
    out: list[str] = []
    for intent in kb.intents.values():
        where = f"intent {intent.id!r}"
        if intent.kind != "faq":
            continue
        if not intent.name:
            out.append(f"{where}: field 'name' is missing (clarifying questions say it)")
        if len(intent.examples) < MIN_EXAMPLES:
            out.append(f"{where}: field 'examples' has {len(intent.examples)}, "
                       f"at least {MIN_EXAMPLES} recommended")
        if kb.heard and intent.examples and intent.id not in kb.heard:
            out.append(f"{where}: no reading of its examples in intents.heard.jsonl (the "
                       "classifier learns what callers' words sound like on the phone from "
                       "them): run `ivr kb hear`")
        if len(intent.answer) > MAX_ANSWER:
            out.append(f"{where}: field 'answer' is {len(intent.answer)} characters, "
                       f"keep it within {MAX_ANSWER} for the phone")
        for sentence in _SENTENCE_END.split(intent.answer):
            if len(sentence) > MAX_SENTENCE:
                out.append(f"{where}: field 'answer' has a sentence of {len(sentence)} "
                           f"characters (at most {MAX_SENTENCE}): {sentence[:20]}…")
    return out


def _duplicate_examples(kb: KnowledgeBase) -> list[str]:
    """An example under two owners (intents, or departments' problem examples) pulls both
    ways; the second one listed is named."""
    owners = [(f"intent {i.id!r}", i.examples) for i in kb.intents.values()]
    owners += [(f"department {d.id!r}", d.examples) for d in kb.departments.values()]
    owner: dict[str, str] = {}
    out: list[str] = []
    for name, examples in owners:
        for example in examples:
            first = owner.setdefault(normalize(example), name)
            if first != name:
                out.append(f"{name}: field 'examples': {example!r} is also an example of "
                           f"{first}")
    return out


def _department_warnings(kb: KnowledgeBase) -> list[str]:
    used = {i.department for i in kb.intents.values()}
    out: list[str] = []
    for dept in kb.departments.values():
        where = f"department {dept.id!r}"
        if not dept.description:
            out.append(f"{where}: field 'description' is missing (routing uses it)")
        if not dept.keywords and dept.id not in used:
            out.append(f"{where}: no intents and no 'keywords': nothing can reach it")
        if ("department_choice" in kb.prompts and not dept.area
                and dept.id != kb.default_department):
            out.append(f"{where}: field 'area' is missing (the department-choice question "
                       f"says the whole name, {dept.name})")
    return out


def _shared_offices(kb: KnowledgeBase) -> list[str]:
    """An office listed under two departments names neither (dialog.offices takes the first):
    the second one listed is named."""
    first: dict[str, str] = {}
    out: list[str] = []
    for dept in kb.departments.values():
        for office in dept.offices:
            owner = first.setdefault(normalize(office), dept.id)
            if owner != dept.id:
                out.append(f"department {dept.id!r}: field 'offices': {office!r} is also an "
                           f"office of department {owner!r}")
    return out


def _missing_audio(kb: KnowledgeBase) -> list[str]:
    out = [f"prompt_audio {key!r}: file {path} does not exist"
           for key, path in kb.prompt_audio.items() if not Path(path).is_file()]
    out += [f"intent {i.id!r}: field 'prompt_audio': file {i.prompt_audio} does not exist"
            for i in kb.intents.values() if i.prompt_audio and not Path(i.prompt_audio).is_file()]
    return out
