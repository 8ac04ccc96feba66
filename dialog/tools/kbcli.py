"""`ivr kb check | eval | bench | suggest | expand | train-router | route`: validate, measure
and grow the KB.

`add_kb_parser(subparsers, read_unresolved=...)` registers the `kb` command and its
subcommands on the main CLI (the two routing ones live in `dialog.tools.routecli`); each sets
`func(args) -> int` (exit status). `check` loads the file (errors name the intent and field,
exit 2) and lists style warnings (exit 1 with --strict); `eval` reports accuracy, decision
rates, out-of-scope rejection, confusions and per-utterance match time for a TSV of (text,
expected), or same-intent accuracy for a question-pair file with --pairs; `suggest` clusters
the unresolved utterances of the call database, which `read_unresolved` reads (the call store
is the server's, and dialog does not import ivr: `ivr.cli` hands its reader in); `bench` times
building the matcher (the classifier's training) and matching, with and without the
classifier; `expand` proposes paraphrases of an intent into a review file
(`dialog.tools.expand`), never into the knowledge base. Reads files, writes to stdout/stderr
and, for `expand`, the review file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dialog.department_model import DepartmentModelError
from dialog.embeddings import EmbeddingUnavailable, SentenceEncoder
from dialog.intents import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from dialog.matcher import ANSWER_THRESHOLD, CLARIFY_THRESHOLD, ROUTE_THRESHOLD, Matcher
from dialog.model_store import default_store
from dialog.phone_prior import load_phone_prior
from dialog.tools.evaluate import evaluate, format_report, held_out, read_eval_file
from dialog.tools.kblint import lint
from dialog.tools.matchcli import default_kb_path
from dialog.tools.routecli import add_route_parsers

EXIT_OK, EXIT_WARNINGS, EXIT_ERROR = 0, 1, 2
REPO = Path(__file__).resolve().parents[2]
# The call database's path → (text, times heard) of its unresolved utterances, most heard
# first; FileNotFoundError or OSError when it cannot be read.
UtteranceReader = Callable[[Path], list[tuple[str, int]]]


def add_kb_parser(subparsers: Any, *, read_unresolved: UtteranceReader,
                  more: Callable[[Any], None] | None = None) -> argparse.ArgumentParser:
    """Register `kb check`, `kb eval` and `kb suggest` on the main CLI's subparsers;
    `read_unresolved` is what `kb suggest` reads the call database with, and `more` adds
    the subcommands that need the upper layers (`kb hear`: audio and a recognizer)."""
    kb: argparse.ArgumentParser = subparsers.add_parser(
        "kb", help="check, evaluate and grow the knowledge base")
    sub = kb.add_subparsers(title="kb commands", dest="kb_command")
    kb.set_defaults(func=lambda _args: _usage(kb))

    check = sub.add_parser("check", help="validate intents.yaml and list style warnings")
    _kb_option(check)
    check.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    check.set_defaults(func=run_check)

    ev = sub.add_parser("eval", help="accuracy of the matcher on a TSV of (text, expected)")
    ev.add_argument("file", type=Path, help="TSV: text, expected (intent id, dept:<id>, none)")
    _kb_option(ev)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--pairs", action="store_true", help="FILE is a question-pair corpus "
                    "(sentence1, sentence2, label): same-intent accuracy of the semantic signal")
    ev.add_argument("--pair-threshold", type=float, default=None,
                    help="with --pairs, also report accuracy at this fixed threshold")
    ev.add_argument("--repeats", type=int, default=3, help="timed passes over the file")
    ev.add_argument("--threshold", type=float, default=ANSWER_THRESHOLD)
    ev.add_argument("--clarify-threshold", type=float, default=CLARIFY_THRESHOLD)
    ev.add_argument("--route-threshold", type=float, default=ROUTE_THRESHOLD)
    ev.add_argument("--embedding-model", type=Path, default=None, metavar="DIR",
                    help="also score with a local sentence-embedding model (config.json, "
                    "model.safetensors, tokenizer.json)")
    ev.add_argument("--router-model", type=Path, default=None, metavar="FILE",
                    help="route with a model of past tickets (`ivr kb train-router`) as calls "
                    "do when the server has one")
    ev.set_defaults(func=run_eval)

    sg = sub.add_parser("suggest", help="propose examples and intents from unresolved calls")
    _kb_option(sg)
    sg.add_argument("--db", type=Path, default=None, help="call database (default: the "
                    "server's, IVR_DB_PATH)")
    sg.add_argument("--json", action="store_true", help="print a JSON list")
    sg.add_argument("--min-count", type=int, default=1, help="smallest cluster to show")
    sg.set_defaults(func=lambda args: run_suggest(args, read_unresolved))

    ex = sub.add_parser("expand", help="propose paraphrases of an intent for review")
    ex.add_argument("intent", help="intent id")
    _kb_option(ex)
    ex.add_argument("--limit", type=int, default=30, help="most proposals to make")
    ex.add_argument("--out", type=Path, default=None, help="review file to write (default "
                    "var/kb_expand/<intent>.review.yaml)")
    ex.add_argument("--json", action="store_true", help="print a JSON list as well")
    ex.set_defaults(func=run_expand)

    bench = sub.add_parser("bench", help="time training and matching, with and without "
                           "the classifier")
    bench.add_argument("files", type=Path, nargs="*", help="evaluation files whose lines to "
                       "match (default: the blind dev split, kb_eval.tsv and setA)")
    _kb_option(bench)
    bench.add_argument("--repeats", type=int, default=5, help="timed passes over the lines")
    bench.set_defaults(func=run_bench)
    add_route_parsers(sub, _kb_option, _load)
    if more is not None:
        more(sub)
    return kb


def _kb_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", type=Path, default=None,
                        help="knowledge base (default: ./intents.yaml, else the shipped one)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_ERROR


def _load(args: argparse.Namespace, command: str) -> KnowledgeBase | None:
    path = getattr(args, "kb", None) or default_kb_path()
    try:
        return load_knowledge_base(path)
    except KnowledgeBaseError as exc:
        print(f"ivr kb {command}: broken knowledge base: {exc}", file=sys.stderr)
        return None


def run_check(args: argparse.Namespace) -> int:
    kb = _load(args, "check")
    if kb is None:
        return EXIT_ERROR
    warnings = lint(kb)
    faq = [i for i in kb.intents.values() if i.kind == "faq"]
    print(f"ok: {len(kb.departments)} departments, {len(faq)} FAQ intents, "
          f"{len(kb.intents) - len(faq)} system intents, "
          f"{sum(len(i.examples) for i in kb.intents.values())} examples, "
          f"{len(kb.prompts)} prompts, {sum(i.local_sample for i in faq)} local samples")
    for warning in warnings:
        print(f"warning: {warning}")
    return EXIT_WARNINGS if warnings and args.strict else EXIT_OK


def run_eval(args: argparse.Namespace) -> int:
    if not Path(args.file).is_file():
        print(f"ivr kb eval: no such file: {args.file}", file=sys.stderr)
        return EXIT_ERROR
    if args.pairs:
        from dialog.tools.paireval import evaluate_pairs, format_pair_report

        pair_report = evaluate_pairs(args.file, args.pair_threshold)
        print(json.dumps(pair_report.to_json()) if args.json
              else format_pair_report(pair_report, str(args.file)), end="" if not args.json
              else "\n")
        return EXIT_OK
    kb = _load(args, "eval")
    if kb is None:
        return EXIT_ERROR
    try:
        lines = read_eval_file(args.file)
    except ValueError as exc:
        print(f"ivr kb eval: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        embedder = SentenceEncoder(args.embedding_model) if args.embedding_model else None
        if embedder is not None:
            embedder.check_language([e for i in kb.intents.values() for e in i.examples])
    except EmbeddingUnavailable as exc:
        print(f"ivr kb eval: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        prior = load_phone_prior(args.router_model) if args.router_model else None
    except DepartmentModelError as exc:
        print(f"ivr kb eval: {exc}", file=sys.stderr)
        return EXIT_ERROR
    matcher = Matcher(kb, threshold=args.threshold, clarify_threshold=args.clarify_threshold,
                      model_store=default_store(),
                      route_threshold=args.route_threshold, embedder=embedder)
    report = evaluate(matcher, lines, repeats=args.repeats, prior=prior)
    hidden = held_out(args.file)
    if args.json:
        out = report.to_json()
        if hidden:
            out["confusions"] = []
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(format_report(report, str(args.file), lines=not hidden), end="")
    return EXIT_OK


def run_suggest(args: argparse.Namespace, read_unresolved: UtteranceReader) -> int:
    from dialog.tools.suggest import format_suggestions, suggest

    kb = _load(args, "suggest")
    if kb is None:
        return EXIT_ERROR
    db = args.db or _default_db()
    try:
        utterances = read_unresolved(db)
    except (FileNotFoundError, OSError) as exc:
        print(f"ivr kb suggest: {exc}", file=sys.stderr)
        return EXIT_ERROR
    found = suggest(Matcher(kb), utterances, min_count=args.min_count)
    if args.json:
        print(json.dumps([s.to_json() for s in found], ensure_ascii=False))
    else:
        print(format_suggestions(found), end="")
    return EXIT_OK


def _default_db() -> Path:
    """The server's database: IVR_DB_PATH, else its default var/ivr.sqlite3 (ivr.config)."""
    return Path(os.environ.get("IVR_DB_PATH") or REPO / "var" / "ivr.sqlite3")


def run_expand(args: argparse.Namespace) -> int:
    from dialog.tools.expand import format_proposals, propose, write_review

    kb = _load(args, "expand")
    if kb is None:
        return EXIT_ERROR
    if args.intent not in kb.intents:
        print(f"ivr kb expand: no intent {args.intent!r} in the knowledge base",
              file=sys.stderr)
        return EXIT_ERROR
    intent = kb.intents[args.intent]
    proposals = propose(Matcher(kb), args.intent, limit=args.limit)
    out = args.out or REPO / "var" / "kb_expand" / f"{args.intent}.review.yaml"
    write_review(out, intent, proposals)
    if args.json:
        print(json.dumps([p.to_json() for p in proposals], ensure_ascii=False))
    else:
        print(format_proposals(intent, proposals), end="")
    print(f"review file: {out} (nothing was added to the knowledge base)", file=sys.stderr)
    return EXIT_OK


def run_bench(args: argparse.Namespace) -> int:
    from dialog.tools.matchbench import DEFAULT_FILES, bench, format_bench

    kb = _load(args, "bench")
    if kb is None:
        return EXIT_ERROR
    files = args.files or [REPO / f for f in DEFAULT_FILES]
    missing = [str(f) for f in files if not Path(f).is_file()]
    if missing:
        print(f"ivr kb bench: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_ERROR
    texts = [line.text for f in files for line in read_eval_file(f)]
    print(format_bench(bench(kb, texts, repeats=args.repeats), len(texts)), end="")
    return EXIT_OK
