"""What the recognizer hears of the knowledge base's examples: more training for the classifier.

Callers reach the matcher through the telephone band and a recognizer that mishears them
(公积金 comes out as 攻击金, 社保 as 设法), and a classifier trained on written examples alone has
never seen those readings: on the blind dev split a third of the phone-band misses were
no-matches of transcripts like these. `ivr kb hear` renders every example with the speech
kit (real human word recordings, phone band), streams it through the recognizer as a call
does, and writes what was heard to a file beside the knowledge base (`intents.heard.jsonl`
beside `intents.yaml`). The matcher's learned classifier trains on those readings too, under
the example's intent; nothing else uses them (they are not examples to match against, and
the knowledge base's examples stay as operators wrote them).

A reading counts only while its example is still one of its intent's examples, so editing
the knowledge base never trains on readings of text that is gone; a reading equal to its
example (punctuation aside) teaches nothing new and is skipped, and so is one that lost
more than half of its example (`MAX_CHANGE`). One JSON object per line:
`{"intent": id, "example": text, "heard": transcript, "confidence": c, "recognizer": key}`.
Pure parsing; `read_heard_file` is the only I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from dialog.kbfields import KnowledgeBaseError

__all__ = ["HEARD_SUFFIX", "MAX_CHANGE", "heard_path", "parse_heard", "read_heard_file"]

HEARD_SUFFIX = ".heard.jsonl"
# A reading is trained on when at most this share of its example's characters changed (0.35
# and 0.5 tried on the blind dev split; 0.5 kept more of the gain, both rejected chatter).
MAX_CHANGE = 0.5
_PUNCT = re.compile(r"[\W_]+")


def heard_path(kb_path: str | Path) -> Path:
    """The readings file of a knowledge base: `intents.yaml` → `intents.heard.jsonl`."""
    path = Path(kb_path)
    return path.with_name(path.stem + HEARD_SUFFIX)


def parse_heard(lines: Iterable[str], examples: Mapping[str, Iterable[str]],
                source: str = "heard readings") -> dict[str, tuple[str, ...]]:
    """Intent id → its examples' readings, in file order, each once.

    `examples` is every intent's examples; readings of an unknown intent or of an example
    it no longer has are left out. A line that is not such a JSON object is an error naming
    the line (the file is generated: a broken one should be regenerated, not half-read)."""
    current = {intent: frozenset(texts) for intent, texts in examples.items()}
    heard: dict[str, list[str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        intent, example, reading = _row(line, f"{source}: line {number}")
        if example not in current.get(intent, ()):
            continue  # stale: the example was edited or removed since it was heard
        if not _new_and_close(example, reading):
            continue
        readings = heard.setdefault(intent, [])
        if reading not in readings:
            readings.append(reading)
    return {intent: tuple(texts) for intent, texts in heard.items()}


def read_heard_file(path: Path, examples: Mapping[str, Iterable[str]],
                    ) -> dict[str, tuple[str, ...]]:
    """The readings in `path`, or none when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(f"{path}: cannot read heard readings: {exc}") from None
    return parse_heard(text.splitlines(), examples, str(path))


def _new_and_close(example: str, reading: str) -> bool:
    """Whether the reading differs from the example (punctuation aside: a reading with
    other commas teaches nothing) but kept at least half of it (character edits at most
    MAX_CHANGE of its length). A reading that lost more teaches the
    classifier noise: with every reading, out-of-scope text lines were matched to intents
    (blind dev 96.3 → 92.6 % rejected); with this bar none were, for nearly all of the gain
    through the phone band (docs/benchmarks.md)."""
    a, b = _PUNCT.sub("", example), _PUNCT.sub("", reading)
    return bool(a and b) and a != b and Levenshtein.distance(a, b) <= MAX_CHANGE * len(a)


def _row(line: str, where: str) -> tuple[str, str, str]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseError(f"{where}: not JSON ({exc.msg}); regenerate it with "
                                 "`ivr kb hear`") from None
    if not isinstance(row, dict):
        raise KnowledgeBaseError(f"{where}: expected a JSON object")
    values = [row.get(key) for key in ("intent", "example", "heard")]
    if not all(isinstance(value, str) for value in values):
        raise KnowledgeBaseError(f"{where}: needs string fields intent, example and heard")
    intent, example, reading = (str(value) for value in values)
    return intent, example, reading.strip()
