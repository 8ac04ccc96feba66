#!/usr/bin/env python3
"""Score the matcher on every development file at once and keep each line's decision.

A change to the matcher or the knowledge base is chosen on development data only; this is
the guard that shows what it did there: the share right on each dev file, and — with
`--diff` against an earlier run's decisions — every line whose decision changed. Held-out
files (`test*.jsonl`, kb_eval is scored but was never tuned on line by line) are not
listed here; they are scored once per change with `ivr kb eval` / `ivr bench blind-audio`,
aggregates only.

    .venv/bin/python scripts/dev_guard.py --save /tmp/before.json
    ...change...
    .venv/bin/python scripts/dev_guard.py --save /tmp/after.json --diff /tmp/before.json

Hand-checked citizen-message titles (outside the repository, see
`scripts/gold_citizen_labels.py --titles-out`) are added with `--extra NAME=PATH.tsv`; a
held-out file with `--held-out NAME=PATH`: only its score is printed, its lines are neither
shown nor saved.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dialog.intents import load_knowledge_base  # noqa: E402
from dialog.matcher import Matcher  # noqa: E402
from dialog.policy import DialogPolicy  # noqa: E402
from dialog.tools.answer_eval import evaluate_answers, read_answers  # noqa: E402
from dialog.tools.evaluate import evaluate, read_eval_file  # noqa: E402

DATA = REPO / "tests" / "data"
MATCH_FILES = {
    "kb_eval": DATA / "kb_eval.tsv",
    "kb_dev": DATA / "kb_dev.tsv",
    "setA": DATA / "setA_recognised.tsv",
    "blind_dev": DATA / "blind" / "dev.jsonl",
    "blind3": DATA / "blind3" / "dev.jsonl",
    "blind5": DATA / "blind5" / "dev.jsonl",
    "blind6": DATA / "blind6" / "dev.jsonl",
    "blind7": DATA / "blind7" / "dev.jsonl",
    "blind9": DATA / "blind9" / "dev.jsonl",
    "blind10": DATA / "blind10" / "dev.jsonl",
    "blind11": DATA / "blind11" / "dev.jsonl",
    "blind13": DATA / "blind13" / "dev.jsonl",
    "blind14": DATA / "blind14" / "dev.jsonl",
    "blind16": DATA / "blind16" / "dev.jsonl",
    "blind18": DATA / "blind18" / "dev.jsonl",
    "blind19": DATA / "blind19" / "dev.jsonl",
    "blind21": DATA / "blind21" / "dev.jsonl",
    "blind23": DATA / "blind23" / "dev.jsonl",
    "blind25": DATA / "blind25" / "dev.jsonl",
    "blind27": DATA / "blind27" / "dev.jsonl",
    "blind29": DATA / "blind29" / "dev.jsonl",
    "blind31": DATA / "blind31" / "dev.jsonl",
    "blind33": DATA / "blind33" / "dev.jsonl",
    "blind35": DATA / "blind35" / "dev.jsonl",
    "blind37": DATA / "blind37" / "dev.jsonl",
    "blind39": DATA / "blind39" / "dev.jsonl",
    "blind40": DATA / "blind40" / "dev.jsonl",
    "blind41": DATA / "blind41" / "dev.jsonl",
    "blind43": DATA / "blind43" / "dev.jsonl",
    "blind45": DATA / "blind45" / "dev.jsonl",
    "blind46": DATA / "blind46" / "dev.jsonl",
    "blind47": DATA / "blind47" / "dev.jsonl",
}
ANSWER_FILES = {
    "answers_blind": DATA / "blind" / "dev.jsonl",
    "answers": DATA / "blind_answers" / "dev.jsonl",
    "answers3": DATA / "blind_answers3" / "dev.jsonl",
    "answers4": DATA / "blind_answers4" / "dev.jsonl",
    "answers5": DATA / "blind_answers5" / "dev.jsonl",
}


def _bank_questions(limit: int) -> list[str]:
    """Distinct bank-customer questions (out of scope for every department)."""
    path = REPO.parent / "shared" / "datasets" / "bq_corpus" / "dev.tsv"
    if limit <= 0 or not path.exists():
        return []
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        seen.setdefault(line.split("\t")[0], None)
        if len(seen) >= limit:
            break
    return list(seen)


def run(extra: dict[str, Path], held_out: dict[str, Path],
        bank: int) -> dict[str, dict[str, object]]:
    kb = load_knowledge_base(REPO / "intents.yaml")
    matcher = Matcher(kb)
    out: dict[str, dict[str, object]] = {}
    for name, path in {**MATCH_FILES, **extra, **held_out}.items():
        report = evaluate(matcher, read_eval_file(path), repeats=0)
        m = report.metrics()
        declined = sum(r.got == "none" for r in report.lines
                       if r.line.expected.startswith("dept:")) / max(
            sum(r.line.expected.startswith("dept:") for r in report.lines), 1)
        lines = ({} if name in held_out else
                 {r.line.text: [r.line.expected, r.got, r.correct] for r in report.lines})
        out[name] = {"score": f"{m['accuracy']:.1%} right, {declined:.1%} of dept lines declined",
                     "lines": lines}
    policy = DialogPolicy(kb)
    for name, path in ANSWER_FILES.items():
        results, _ = evaluate_answers(policy, matcher, read_answers(path))
        right = sum(r.correct for r in results) / max(len(results), 1)
        out[name] = {"score": f"{right:.1%} of {len(results)}",
                     "lines": {f"{r.row_id}": [r.expected, r.got, r.correct] for r in results}}
    questions = _bank_questions(bank)
    taken = {q: matcher.match(q).intent or (matcher.match(q).department or "none")
             for q in questions}
    out["bank"] = {"score": f"{sum(v != 'none' for v in taken.values())} of {len(taken)} taken",
                   "lines": {q: ["none", v, v == "none"] for q, v in taken.items()}}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", type=Path, help="write every line's decision here (JSON)")
    parser.add_argument("--diff", type=Path, help="an earlier --save: print changed lines")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME=PATH",
                        help="another dev TSV, e.g. DEV_gold=/work/gold/dev_gold_titles.tsv")
    parser.add_argument("--held-out", action="append", default=[], metavar="NAME=PATH",
                        help="a held-out TSV or JSONL: its score only, no lines kept")
    parser.add_argument("--bank", type=int, default=1500, help="bank questions (0: none)")
    args = parser.parse_args()
    extra, held_out = (
        {k: Path(v) for k, v in (item.split("=", 1) for item in items)}
        for items in (args.extra, args.held_out))
    result = run(extra, held_out, args.bank)
    for name, data in result.items():
        print(f"{name:14} {data['score']}")
    if args.save:
        args.save.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    if args.diff:
        _print_diff(json.loads(args.diff.read_text(encoding="utf-8")), result)
    return 0


def _print_diff(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> None:
    for name, data in after.items():
        old = before.get(name, {}).get("lines", {})
        for text, (expected, got, right) in data["lines"].items():  # type: ignore[attr-defined]
            was = old.get(text) if isinstance(old, dict) else None
            if was is not None and was[1] != got:
                mark = "+" if right and not was[2] else "-" if was[2] and not right else "~"
                print(f"{mark} {name}: {text}  [{expected}] {was[1]} -> {got}")


if __name__ == "__main__":
    raise SystemExit(main())
