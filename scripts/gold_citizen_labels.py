#!/usr/bin/env python3
"""Hand-checked ("gold") department labels for a random sample of the citizen messages.

The automatic labels of `label_citizen_messages.py` take the department a reply names most
often; a reply written by a street office or a town that mentions the police in passing still
gets a label. Here a person reads the replies of a fixed random sample and writes down who
handled each message — one of the knowledge base's department ids, or `none` when the handler
has no counterpart (street office, town, court, discipline commission, a company) or cannot be
told — without seeing the automatic label or the router's answer (`--show` prints only the
title and the reply). `--score` then compares both routers with those labels.

The sample and its order are fixed by `--seed`, so anyone can redo the labelling; the labels
themselves stay outside the repository (the messages are evaluation-only data):

    python scripts/gold_citizen_labels.py --part test --size 250 --show 0 25   # read, label
    python scripts/gold_citizen_labels.py --part test --size 250 --score /tmp/gold.txt
    python scripts/gold_citizen_labels.py --part test --size 250 --score /tmp/gold.txt \
        --titles-out /tmp/gold_titles.tsv && ivr kb eval /tmp/gold_titles.tsv

`--titles-out` writes the titles of the messages one of our departments handled, with the
checked label, as the TSV `ivr kb eval` reads: the phone matcher on what a caller would say,
measured on the messages the issue's goal counts (issue 10 item 4).

A label file has one line per sample position: `<index> <department id | none>`.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from label_citizen_messages import DEFAULT_SOURCE, REPO, labelled

SEED = 20261128
_UNIT = re.compile(r"[\u4e00-\u9fa5]{0,8}(?:局|委员会|委|派出所|大队|支队|中心|办公室|街道|镇|公司"
                   r"|分局|中队)")


def sample(source: Path, part: str, size: int, seed: int) -> list[tuple[dict[str, str], str]]:
    """A fixed random sample of the automatically labelled messages of one part (a larger
    `size` with the same seed extends a smaller one: the first positions stay the same)."""
    rows = labelled(source, part)
    return random.Random(seed).sample(rows, min(size, len(rows)))


def show(rows: list[tuple[dict[str, str], str]], start: int, stop: int) -> None:
    """Title, the reply's start and end, and the offices it names — nothing else."""
    for i, (message, _auto) in enumerate(rows[start:stop], start=start):
        reply = re.sub(r"_x000D_|\s", "", message.get("reply", ""))
        units = list(dict.fromkeys(_UNIT.findall(reply)))
        print(f"[{i}] {message.get('title', '')[:45]}")
        print(f"    start: {reply[:60]}")
        print(f"    end:   {reply[-80:]}")
        print(f"    names: {' / '.join(units[:10])}")


def read_gold(path: Path) -> dict[int, str]:
    gold: dict[int, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise ValueError(f"{path}:{number}: expected '<index> <department|none>'")
        gold[int(parts[0])] = parts[1]
    return gold


def score(rows: list[tuple[dict[str, str], str]], gold: dict[int, str], kb_path: Path,
          source: Path, train_part: str | None) -> None:
    from dialog.department_model import LearnedRouter
    from dialog.intents import load_knowledge_base
    from dialog.router_long import LongTextRouter
    from dialog.tools.department_training import RoutedExample, train_model

    kb = load_knowledge_base(kb_path)
    unknown = sorted({g for g in gold.values() if g != "none" and g not in kb.departments})
    if unknown:
        raise ValueError(f"labels name unknown departments: {unknown}")
    long_router = LongTextRouter(kb)
    routers: dict[str, object] = {"knowledge base": long_router}
    if train_part:
        examples = [RoutedExample(_body(m), d, m.get("title", ""))
                    for m, d in labelled(source, train_part)]
        model = train_model(examples)
        routers[f"+ tickets ({train_part}, {len(examples)})"] = LearnedRouter(
            long_router, model, 0.4)
    judged = [(rows[i], g) for i, g in sorted(gold.items()) if i < len(rows)]
    handled = [((m, auto), g) for (m, auto), g in judged if g != "none"]
    agree = sum(auto == g for (_m, auto), g in handled)
    print(f"{len(judged)} messages read: {len(judged) - len(handled)} handled by no department "
          f"of ours ('none'), {len(handled)} with a department; the automatic label agrees on "
          f"{agree}/{len(handled)} ({agree / max(len(handled), 1):.1%})")
    for name, router in routers.items():
        right_gold = right_auto = 0
        confusion: Counter[tuple[str, str]] = Counter()
        for (message, auto), g in judged:
            got = router.route(_body(message), title=message.get("title", "")).department  # type: ignore[attr-defined]
            right_auto += got == auto
            if g != "none":
                right_gold += got == g
                if got != g:
                    confusion[(g, got)] += 1
        print(f"{name}: {right_gold}/{len(handled)} = {right_gold / max(len(handled), 1):.1%} "
              f"against the checked labels; {right_auto}/{len(judged)} = "
              f"{right_auto / max(len(judged), 1):.1%} against the automatic labels")
        print("   ", ", ".join(f"{a}->{b} {c}" for (a, b), c in confusion.most_common(8)))


def write_titles(rows: list[tuple[dict[str, str], str]], gold: dict[int, str],
                 out: Path) -> None:
    """The titles of the messages a department of ours handled, with the checked label."""
    lines = ["text\texpected\tmsg_id"]
    for i, label in sorted(gold.items()):
        if label != "none" and i < len(rows):
            message = rows[i][0]
            title = re.sub(r"\s+", " ", message.get("title", "")).strip()
            lines.append(f"{title}\tdept:{label}\t{message.get('msg_id', i)}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines) - 1} titles to {out}")


def _body(message: dict[str, str]) -> str:
    return re.sub(r"_x000D_", "\n", message.get("detail", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--part", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--size", type=int, default=250)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--show", type=int, nargs=2, metavar=("FROM", "TO"),
                        help="print positions FROM..TO-1 of the sample for labelling")
    parser.add_argument("--score", type=Path, metavar="LABELS",
                        help="compare the routers with a label file")
    parser.add_argument("--train-on", choices=["dev", "test"], default="dev",
                        help="with --score: also route with a department model trained on this "
                        "half's automatic labels (must differ from --part)")
    parser.add_argument("--kb", type=Path, default=REPO / "intents.yaml")
    parser.add_argument("--titles-out", type=Path, metavar="TSV",
                        help="with --score: write the titles of the messages one of our "
                        "departments handled, labelled dept:<checked label>, for ivr kb eval")
    args = parser.parse_args(argv)
    rows = sample(args.source, args.part, args.size, args.seed)
    if args.show:
        show(rows, *args.show)
    if args.score:
        train = args.train_on if args.train_on != args.part else None
        try:
            gold = read_gold(args.score)
            score(rows, gold, args.kb, args.source, train)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        if args.titles_out:
            write_titles(rows, gold, args.titles_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
