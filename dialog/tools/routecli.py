"""`ivr kb train-router` and `ivr kb route`: learn routing from routed messages, route letters.

`train-router ROUTED.tsv` reads the operator's routed messages (columns `text` and `department`
— or `expected` holding `dept:<id>`, as `ivr kb eval` files do — and optionally `title`),
cross-validates how much to trust the learned model against the knowledge base — once for
whole letters, once for what a caller would say (the title) — trains on all of them and writes
one JSON model file, which the server uses for written messages and phone calls alike.
`route` names the department for a written message (web form, SMS, letter), with the model
when there is one, and with `--eval FILE` reports the accuracy over such a file. The command
lines only: training is `dialog.tools.department_training`. What the commands show still says
"tickets" (the argument's name, help, printed counts, `--json` keys): that is their published
interface and stays. Reads and writes files, prints to stdout/stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dialog.department_model import DepartmentModelError, LearnedRouter
from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher
from dialog.router_long import LongTextRouter
from dialog.routing_models import route_message
from dialog.tools.department_training import (
    BLEND_GRID,
    choose_blend,
    choose_phone_blend,
    read_examples,
    train_model,
)

EXIT_OK, EXIT_ERROR = 0, 2
DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "var" / "router_model.json"
Loader = Callable[[argparse.Namespace, str], KnowledgeBase | None]


def add_route_parsers(sub: Any, kb_option: Callable[[argparse.ArgumentParser], None],
                      load: Loader) -> None:
    """Register `train-router` and `route` under `ivr kb` (`load` reads the knowledge base
    named by the arguments, reporting a broken one itself)."""
    def with_kb(command: str, run: Callable[[argparse.Namespace, KnowledgeBase], int],
                ) -> Callable[[argparse.Namespace], int]:
        def func(args: argparse.Namespace) -> int:
            kb = load(args, command)
            return EXIT_ERROR if kb is None else run(args, kb)
        return func

    train = sub.add_parser("train-router", help="learn department routing from routed tickets")
    train.add_argument("tickets", type=Path, help="TSV: text, department (or expected "
                       "dept:<id>), optional title; a header row names the columns")
    kb_option(train)
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL,
                       help=f"model file to write (default {DEFAULT_MODEL})")
    train.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    train.add_argument("--skip-unknown", action="store_true", help="drop tickets whose "
                       "department intents.yaml does not have (default: refuse)")
    train.set_defaults(func=with_kb("train-router", run_train))

    route = sub.add_parser("route", help="the department for a written message")
    route.add_argument("text", nargs="?", default=None, help="the message (or --eval FILE)")
    route.add_argument("--title", default="", help="the message's title, if it has one")
    kb_option(route)
    route.add_argument("--model", type=Path, default=None, help="router model from "
                       f"train-router (default {DEFAULT_MODEL} when it exists)")
    route.add_argument("--no-model", action="store_true", help="knowledge base only")
    route.add_argument("--eval", type=Path, default=None, metavar="FILE",
                       help="accuracy over a ticket TSV (same columns as train-router)")
    route.add_argument("--json", action="store_true", help="print one JSON object")
    route.set_defaults(func=with_kb("route", run_route))


def run_train(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    try:
        examples, skipped = read_examples(args.tickets, kb, args.skip_unknown)
    except ValueError as exc:
        print(f"ivr kb train-router: {exc}", file=sys.stderr)
        return EXIT_ERROR
    counts = Counter(e.department for e in examples)
    print(f"read {len(examples)} tickets ({len(skipped)} skipped): "
          + ", ".join(f"{d} {n}" for d, n in counts.most_common()), flush=True)
    router = LongTextRouter(kb)
    try:
        print(f"cross-validating ({args.folds} folds) …", flush=True)
        choice = choose_blend(router, examples, k=args.folds)
        phone = choose_phone_blend(Matcher(kb), examples, k=args.folds)
        model = train_model(examples)
    except DepartmentModelError as exc:
        print(f"ivr kb train-router: {exc}", file=sys.stderr)
        return EXIT_ERROR
    model.blend, model.phone_blend = choice.blend, phone.blend
    print(f"| knowledge-base weight | letters ({choice.examples}) | phone: the title as a "
          f"caller says it ({phone.examples} routed) |\n|---|---|---|")
    for blend in BLEND_GRID:
        note = {1.0: " (knowledge base only)", 0.0: " (tickets only)"}.get(blend, "")
        cells = [f"{c.accuracy[blend]:.1%}" + (" ← chosen" if blend == c.blend else "")
                 for c in (choice, phone)]
        print(f"| {blend:.1f}{note} | {cells[0]} | {cells[1]} |")
    model.save(args.out)
    print(f"wrote {args.out} ({len(model.vocabulary)} n-grams, {len(model.departments)} "
          f"departments, trained on {model.trained_on} tickets)")
    return EXIT_OK


def run_route(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    long_router = LongTextRouter(kb)
    try:
        router = None if args.no_model else load_router(long_router, args.model)
    except DepartmentModelError as exc:
        print(f"ivr kb route: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.eval is not None:
        return _evaluate(args, kb, long_router, router)
    if not args.text and not args.title:
        print("ivr kb route: give the message text (or --eval FILE)", file=sys.stderr)
        return EXIT_ERROR
    result = route_message(kb, long_router, router, args.text or "", args.title)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"{result['department']} ({result['name']}, queue {result['queue']}) "
              f"via {result['via']}; score {result['score']:.2f}")
    return EXIT_OK


def load_router(long_router: LongTextRouter, path: Path | None) -> LearnedRouter | None:
    """The learned router from `path`, or from the default file when it exists (None if
    not)."""
    if path is None:
        if not DEFAULT_MODEL.is_file():
            return None
        path = DEFAULT_MODEL
    return LearnedRouter.from_file(long_router, path)


def _evaluate(args: argparse.Namespace, kb: KnowledgeBase, long_router: LongTextRouter,
              router: LearnedRouter | None) -> int:
    try:
        examples, skipped = read_examples(args.eval, kb, skip_unknown=True)
    except ValueError as exc:
        print(f"ivr kb route: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not examples:
        print(f"ivr kb route: {args.eval}: no ticket names a known department", file=sys.stderr)
        return EXIT_ERROR
    right = 0
    confusion: Counter[tuple[str, str]] = Counter()
    for example in examples:
        got = route_message(kb, long_router, router, example.text, example.title)["department"]
        right += got == example.department
        if got != example.department:
            confusion[(example.department, got)] += 1
    report: dict[str, Any] = {  # the keys are the printed --json output: they stay
        "tickets": len(examples), "skipped": len(skipped), "correct": right,
        "accuracy": round(right / len(examples), 4),
        "via": "knowledge base + tickets" if router else "knowledge base",
        "confusions": [{"expected": a, "got": b, "count": n}
                       for (a, b), n in confusion.most_common(10)]}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"{args.eval}: {right}/{len(examples)} = {right / len(examples):.1%} routed right "
              f"via {report['via']} ({len(skipped)} skipped: unknown department)")
        for item in report["confusions"]:
            print(f"  {item['expected']} -> {item['got']}: {item['count']}")
    return EXIT_OK
