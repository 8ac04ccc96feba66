"""`ivr match`: run the intent matcher on text from the command line or from stdin.

`run_match` takes the arguments and the three text streams, so the CLI can wire it in and
tests can drive it with StringIO. With --json each line is MatchResult.to_json(): intent,
score, department, action (answer/transfer/clarify/none), candidates and signals. It reads
the knowledge base file; otherwise it only writes to the streams it is given. Exit status:
0 done, 2 bad usage or a broken knowledge base.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, NoReturn

from dialog.department_model import DepartmentModelError
from dialog.intents import KnowledgeBaseError, load_knowledge_base
from dialog.matcher import DEFAULT_THRESHOLD, Matcher
from dialog.model_store import default_store
from dialog.phone_prior import load_phone_prior
from dialog.types import MatchResult

EXIT_OK = 0
EXIT_USAGE = 2
PACKAGED_KB = Path(__file__).resolve().parents[2] / "intents.yaml"


class _UsageError(Exception):
    """argparse wanted to exit; carries the status so run_match can return it."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that writes to the given streams and never calls sys.exit."""

    def __init__(self, out: IO[str], err: IO[str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._out, self._err = out, err

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            (self._out if file is None or file is sys.stdout else self._err).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._err.write(message)
        raise _UsageError(status)


def add_match_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the `ivr match` arguments to a (sub)parser; the lead's CLI calls this."""
    parser.add_argument("text", nargs="?", help='utterance to match, or "-" to read one per '
                        "line from stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    parser.add_argument("--kb", type=Path, default=None, help="knowledge base YAML (default: "
                        "./intents.yaml, else the one shipped with the project)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=f"lowest score that counts as a match (default {DEFAULT_THRESHOLD})")
    parser.add_argument("--router-model", type=Path, default=None, metavar="FILE",
                        help="route with a model of past tickets (`ivr kb train-router`), as "
                        "calls do when the server has one")
    return parser


def default_kb_path(cwd: Path | None = None) -> Path:
    """intents.yaml in the working directory if there is one, else the packaged one."""
    local = (cwd or Path.cwd()) / "intents.yaml"
    return local if local.is_file() else PACKAGED_KB


def run_match(
    args: Sequence[str] | argparse.Namespace,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """`ivr match TEXT [--json] [--kb PATH] [--threshold X] [--router-model FILE]` or
    `ivr match --json -`.

    `args` is either the argument list after `match` or a Namespace parsed by a parser that
    `add_match_arguments` set up. Returns the exit status."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        options = _parse(args, stdout, stderr)
    except _UsageError as exc:
        return exc.status
    # A Namespace from another parser may lack the options it did not define.
    kb_path = getattr(options, "kb", None) or default_kb_path()
    as_json = bool(getattr(options, "json", False))
    try:
        kb = load_knowledge_base(kb_path)
    except KnowledgeBaseError as exc:
        stderr.write(f"ivr match: broken knowledge base: {exc}\n")
        return EXIT_USAGE
    model_path = getattr(options, "router_model", None)
    try:
        prior = load_phone_prior(model_path) if model_path else None
    except DepartmentModelError as exc:
        stderr.write(f"ivr match: {exc}\n")
        return EXIT_USAGE
    matcher = Matcher(kb, threshold=getattr(options, "threshold", DEFAULT_THRESHOLD),
                      model_store=default_store())
    lines: Iterator[str] = _lines(stdin) if options.text == "-" else iter([options.text])
    for line in lines:
        stdout.write(_format(matcher.match(line, prior), as_json) + "\n")
        stdout.flush()  # one answer per line as it comes, for callers that pipe into us
    return EXIT_OK


def _parse(
    args: Sequence[str] | argparse.Namespace, stdout: IO[str], stderr: IO[str]
) -> argparse.Namespace:
    parser = add_match_arguments(
        _Parser(stdout, stderr, prog="ivr match", description="Match caller text to an intent.")
    )
    options = args if isinstance(args, argparse.Namespace) else parser.parse_args(list(args))
    if getattr(options, "text", None) is None:
        parser.error('give the text to match, or "-" to read lines from stdin')
    return options


def _lines(stream: IO[str]) -> Iterator[str]:
    # Lazily, so each answer is printed before the next line is read (interactive pipes).
    for line in stream:
        yield line.rstrip("\r\n")


def _format(result: MatchResult, as_json: bool) -> str:
    if as_json:
        return json.dumps(result.to_json(), ensure_ascii=False)
    if result.action == "clarify":
        named = " or ".join(f"{c.intent} ({c.score:.3f})" for c in result.candidates)
        return f"clarify: {named}"
    if result.routed:
        return f"route department={result.department} score={result.score:.3f}"
    if result.intent is None:
        asked = ", ".join(f"{g.department} ({g.score:.3f})" for g in result.guesses)
        return f"no match (score {result.score:.3f})" + (
            f"; ask which area: {asked}" if asked else "")
    department = f" department={result.department}" if result.department else ""
    return f"{result.intent} score={result.score:.3f} action={result.action}{department}"
