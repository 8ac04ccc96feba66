"""Small typed validators for the knowledge base loader: each names the field at fault.

Pure functions over already-parsed YAML values; they raise `KnowledgeBaseError` with a message
that starts with where the problem is (an intent, a department, a prompt). No I/O.
"""

from __future__ import annotations

import re
import string


class KnowledgeBaseError(ValueError):
    """A broken knowledge base file; the message names the intent/field at fault."""


_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def mapping(raw: object, where: str) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{where}: must be a mapping, got {type_name(raw)}")
    return raw


def no_unknown_keys(entry: dict[str, object], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in entry if key not in allowed)
    if unknown:
        raise KnowledgeBaseError(f"{where}: unknown field(s) {', '.join(unknown)}")


def text(raw: object, where: str) -> str:
    # YAML reads 12345 as an int: accept numbers where text is expected (hotline numbers).
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    if not isinstance(raw, str):
        raise KnowledgeBaseError(f"{where} must be text, got {type_name(raw)}")
    return raw


def nonempty(raw: object, where: str) -> str:
    if raw is None:
        raise KnowledgeBaseError(f"{where} is missing")
    value = text(raw, where).strip()
    if not value:
        raise KnowledgeBaseError(f"{where} is empty")
    return value


def identifier(raw: object, where: str) -> str:
    if isinstance(raw, bool):  # YAML 1.1 reads bare yes/no/on/off as booleans
        raise KnowledgeBaseError(f"{where}: got a boolean; quote the id, e.g. id: \"yes\"")
    value = nonempty(raw, where)
    if not _ID.match(value):
        raise KnowledgeBaseError(f"{where}: {value!r} is not a lower_snake_case id")
    return value


def choice(raw: object, allowed: tuple[str, ...], where: str) -> str:
    value = text(raw, where)
    if value not in allowed:
        raise KnowledgeBaseError(f"{where} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def str_list(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise KnowledgeBaseError(f"{where} must be a list of text, got {type_name(raw)}")
    return tuple(nonempty(item, f"{where}[{i}]") for i, item in enumerate(raw))


def boolean(raw: object, where: str) -> bool:
    if not isinstance(raw, bool):
        raise KnowledgeBaseError(f"{where} must be true or false")
    return raw


def placeholders(template: str, where: str) -> set[str]:
    """Names of the `{placeholders}` in a prompt; a malformed brace is an error."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise KnowledgeBaseError(f"{where}: bad placeholder: {exc}") from None


def type_name(raw: object) -> str:
    return "nothing" if raw is None else type(raw).__name__
