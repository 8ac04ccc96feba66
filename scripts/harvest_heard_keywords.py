#!/usr/bin/env python3
"""Propose `heard` forms of department keywords: how the recognizer wrote them on dev audio.

A department keyword misheard with another tone or syllable (医保卡 → 一包卡, 驾校 → 假校,
公积金 → 工资金) is found neither by its characters nor by its tone-exact sound
(dialog.keywords), and the problem is declined. This aligns the true text of each line of
`ivr bench blind-audio --dump` files (dev splits only) with what the recognizer heard and
lists, for every department keyword, the same-length strings written in its place — with how
often, leaving out those already heard by their sound (same tones) and any phrase people
write (found in the knowledge base, a dev line or the bank questions). The list is for a
person to review: real words (吃饱 for 社保, 假笑 for 驾校) must not become keywords. What is
kept goes under the department's `heard:` in intents.yaml.

    ivr bench blind-audio tests/data/blind9/dev.jsonl --dump var/heard/blind9.jsonl
    .venv/bin/python scripts/harvest_heard_keywords.py var/heard/*.jsonl --least 2
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dialog.intents import load_knowledge_base  # noqa: E402
from dialog.normalize import normalize  # noqa: E402
from dialog.phonetic import analyse  # noqa: E402

_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")


def heard_in_place(text: str, transcript: str, keyword: str) -> list[str]:
    """What the transcript holds where `text` has `keyword`, when the alignment maps the
    keyword onto a run of the same length (equal or substituted characters)."""
    matcher = difflib.SequenceMatcher(None, text, transcript, autojunk=False)
    to_heard: dict[int, int] = {}
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            to_heard.update({i1 + k: j1 + k for k in range(i2 - i1)})
    found = []
    for m in re.finditer(re.escape(keyword), text):
        start, end = m.start(), m.end() - 1
        if all(i in to_heard for i in range(start, end + 1)) and (
                to_heard[end] - to_heard[start] == end - start):
            found.append(transcript[to_heard[start]:to_heard[end] + 1])
    return found


def written_phrases(kb_path: Path) -> str:
    """Everything people wrote: knowledge-base examples and keywords, dev lines, bank questions."""
    kb = load_knowledge_base(kb_path)
    parts = [p for d in kb.departments.values() for p in (*d.examples, *d.keywords)]
    parts += [p for i in kb.intents.values() for p in (*i.examples, *i.keywords)]
    for path in (REPO / "tests" / "data").glob("*/dev.jsonl"):
        parts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()]
    bank = REPO.parent / "shared" / "datasets" / "bq_corpus" / "dev.tsv"
    if bank.exists():
        parts += [line.split("\t")[0] for line in bank.read_text("utf-8").splitlines()[1:]]
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="+", type=Path, help="ivr bench blind-audio --dump files")
    parser.add_argument("--kb", type=Path, default=REPO / "intents.yaml")
    parser.add_argument("--least", type=int, default=2, help="times heard at least")
    args = parser.parse_args()
    if any(p.name.startswith("test") for p in args.dumps):
        print("refused: dump dev splits only", file=sys.stderr)
        return 2
    kb = load_knowledge_base(args.kb)
    owners: dict[str, set[str]] = defaultdict(set)
    for dept in kb.departments.values():
        for word in dept.keywords:
            if _HAN.fullmatch(word) and word not in dept.heard:
                owners[word].add(dept.id)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for path in args.dumps:
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            text, heard = normalize(row["text"]), normalize(row["transcript"])
            for word in owners:
                for form in heard_in_place(text, heard, word):
                    if form != word:
                        counts[word][form] += 1
    written = written_phrases(args.kb)
    rows = sorted(((n, word, form) for word, forms in counts.items()
                   for form, n in forms.items()), reverse=True)
    for n, word, form in rows:
        if n < args.least or len(owners[word]) > 1 or form in written:
            continue
        if analyse(form).tones == analyse(word).tones:
            continue  # already heard by its sound
        print(f"{'/'.join(sorted(owners[word]))}\t{form}\t{word}\t{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
