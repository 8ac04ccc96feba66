"""One utterance's evidence before thresholds, and the routed decision built from it.

Shared by the matcher (dialog.matcher) and its second looks at a decision
(dialog.second_looks): both turn a department's routing into the same explained transfer.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialog.phonetic import Utterance
from dialog.routing import Routing
from dialog.types import Candidate, MatchResult

# A department or intent keyword this strong is three characters heard as such: strong enough
# to name what the caller wants against the chatter class (dialog.matcher) or an FAQ of
# another department (dialog.second_looks).
LONG_KEYWORD = 0.6
# A department keyword this strong routes on its own when the others are well behind
# (dialog.matcher: ROUTE_KEYWORD_MARGIN), and overrules an FAQ none of whose keywords was
# heard (dialog.second_looks).
ROUTE_KEYWORD = 0.44


@dataclass(frozen=True)
class Evidence:
    """All the signals of one utterance, before thresholds are applied."""

    utterance: Utterance
    terms: list[str]
    scores: np.ndarray
    order: np.ndarray
    signals: dict[str, float]
    candidates: tuple[Candidate, ...]
    example_chars: np.ndarray  # per intent: best example similarity on characters
    example_sounds: np.ndarray  # and on loosened pinyin
    # per intent: the learned classifier's probability (None without a classifier)
    learned: np.ndarray | None = None


def routed_decision(routing: Routing, text: str, ev: Evidence, **extra: float) -> MatchResult:
    """The transfer of a routed problem to `routing`'s department, its signals explained."""
    return MatchResult(None, routing.score, routing.department, "transfer", text=text,
                       signals=ev.signals | route_signals(routing) | extra,
                       candidates=ev.candidates)


def route_signals(routing: Routing) -> dict[str, float]:
    """The routing's numbers as a decision's signals (the learned and the classifier's
    probability only when they took part)."""
    signals = {"route": routing.score, "route_keyword": routing.keyword,
               "route_semantic": routing.semantic, "route_margin": routing.margin}
    if routing.learned is not None:
        signals["route_learned"] = routing.learned
    if routing.classifier is not None:
        signals["route_classifier"] = routing.classifier
    return signals
