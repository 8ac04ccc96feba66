"""Several readings of one utterance: the first one the bot understands wins.

An engine that gives alternatives (Vosk's n-best, `asr.base.Transcript.alternatives`) hands the
call its readings of the same audio, best first. The best reading decides, unless it means
nothing to the bot (no reply to the question just asked, no match): then the next readings are
tried in order and the first one understood is taken, marked in `signals` as
`asr_reading` (its rank, 1 = the first alternative) so the record shows why. A reading below
the best one is only ever used when the best one was a no-match, so alternatives never change
an understood utterance. Pure; the matcher and the reply reader are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from dialog.answers import ReplyKind, understand
from dialog.types import MatchResult

__all__ = ["READING_SIGNAL", "ReplyKind", "understand_readings"]

READING_SIGNAL = "asr_reading"


def understand_readings(match: Callable[[str], MatchResult], question: str | None,
                        readings: Sequence[str], offered: tuple[str, ...] = (),
                        answers: Callable[[str], bool] | None = None,
                        answers_first: bool = False,
                        ) -> tuple[MatchResult, ReplyKind | None, str]:
    """The match, reply and text of the first reading understood (the best reading's when
    none is). `readings` is best first and not empty. `answers`: whether the policy reads a
    text as the answer to its question where the matcher and the reply reader do not
    (DialogPolicy.reads_as_answer); with `answers_first` the first reading it reads wins
    over one the matcher understands (after the survey only the rating counts: a garbled
    差评 the matcher took for an FAQ hid the 差评 among the runners-up)."""
    accepted = answers or _nothing
    if answers_first:
        for rank, text in enumerate(readings):
            if accepted(text):
                found, reply = understand(match, question, text, offered)
                return _marked(found, rank), reply, text
    best: tuple[MatchResult, ReplyKind | None, str] | None = None
    for rank, text in enumerate(readings):
        found, reply = understand(match, question, text, offered)
        if _understood(found, reply) or accepted(text):
            return _marked(found, rank), reply, text
        best = best or (found, reply, text)
    assert best is not None, "readings is never empty"
    return best


def _nothing(_text: str) -> bool:
    return False


def _understood(found: MatchResult, reply: ReplyKind | None) -> bool:
    """A reply, a decision, an intent without one (不要 with no question asked: the
    system intent `no`, which a garbled runner-up must not turn into an FAQ), or an aside
    (MatchResult.aside: 中国银行下午几点关门 heard right, then a runner-up taken for the service
    hall's hours)."""
    return (reply is not None or found.action != "none" or found.intent is not None
            or found.aside)


def _marked(found: MatchResult, rank: int) -> MatchResult:
    """`found`, marked with the rank of the reading it came from (none for the best)."""
    if rank == 0:
        return found
    return replace(found, signals={**found.signals, READING_SIGNAL: float(rank)})
