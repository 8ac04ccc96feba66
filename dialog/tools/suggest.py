"""Knowledge-base suggestions from real calls: cluster what the bot did not understand.

Takes the caller utterances that ended in "no match" or a clarifying question, as (text,
times heard) pairs — `ivr kb suggest` reads them from the call store
(`ivr.store.CallStore.unresolved_utterances`; dialog does not import ivr, the reader is handed
in) — clusters them by character n-gram similarity (leader clustering, most frequent utterance
first), and for each cluster proposes either new example phrasings for the nearest existing
intent or a new intent (with the department the router would send it to). Operators review
the proposals; nothing is written. Pure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dialog.matcher import Matcher
from dialog.normalize import normalize

SIMILARITY = 0.3  # Dice overlap of character bigrams that puts two utterances together
NEAR_INTENT = 0.3  # mean candidate score from which a cluster extends an existing intent


@dataclass(frozen=True)
class Suggestion:
    """One proposal: `kind` is "add_examples" (to `intent`) or "new_intent"."""

    kind: str
    count: int
    examples: tuple[str, ...]
    intent: str | None = None
    department: str | None = None
    score: float = 0.0
    keywords: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "intent": self.intent, "department": self.department,
                "count": self.count, "score": round(self.score, 3),
                "examples": list(self.examples), "keywords": list(self.keywords)}


@dataclass
class _Cluster:
    leader: frozenset[str]
    members: list[tuple[str, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(n for _, n in self.members)


def bigrams(text: str) -> frozenset[str]:
    norm = normalize(text)
    return frozenset(norm[i : i + 2] for i in range(len(norm) - 1)) or frozenset(norm)


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2.0 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def cluster(utterances: list[tuple[str, int]], similarity: float = SIMILARITY) -> list[_Cluster]:
    """Leader clustering: each utterance joins the most similar cluster leader at or above
    `similarity`, else leads a new cluster. Input order matters: most frequent first."""
    clusters: list[_Cluster] = []
    for text, count in utterances:
        grams = bigrams(text)
        if not grams:
            continue
        scored = [(dice(grams, c.leader), c) for c in clusters]
        best = max(scored, key=lambda item: item[0], default=(0.0, None))
        if best[1] is not None and best[0] >= similarity:
            best[1].members.append((text, count))
        else:
            clusters.append(_Cluster(grams, [(text, count)]))
    return clusters


def suggest(
    matcher: Matcher, utterances: list[tuple[str, int]], min_count: int = 1,
    similarity: float = SIMILARITY,
) -> list[Suggestion]:
    """Proposals for every cluster heard at least `min_count` times, most heard first."""
    found = [_propose(matcher, c) for c in cluster(utterances, similarity) if c.count >= min_count]
    return sorted(found, key=lambda s: (-s.count, s.kind, s.intent or ""))


def _propose(matcher: Matcher, group: _Cluster) -> Suggestion:
    known = {normalize(e) for i in matcher.kb.intents.values() for e in i.examples}
    examples = tuple(dict.fromkeys(t for t, _ in group.members if normalize(t) not in known))
    votes: Counter[str] = Counter()
    scores: dict[str, list[float]] = {}
    departments: Counter[str] = Counter()
    for text, count in group.members:
        result = matcher.match(text)
        if result.candidates:
            top = result.candidates[0]
            votes[top.intent] += count
            scores.setdefault(top.intent, []).append(top.score)
        evidence = matcher.evidence(text)
        routing = matcher.route(evidence) if evidence is not None else None
        if routing is not None and routing.department and routing.score > 0:
            departments[routing.department] += count
    if votes:
        intent, _ = votes.most_common(1)[0]
        score = sum(scores[intent]) / len(scores[intent])
        if score >= NEAR_INTENT and matcher.kb.intents[intent].kind == "faq":
            return Suggestion("add_examples", group.count, examples, intent,
                              matcher.kb.intents[intent].department, score)
    department = departments.most_common(1)[0][0] if departments else None
    return Suggestion("new_intent", group.count, examples, None, department, 0.0,
                      _shared_words(group))


def _shared_words(group: _Cluster, top: int = 3) -> tuple[str, ...]:
    """The bigrams most members share: a first guess at keywords for a new intent."""
    counts: Counter[str] = Counter()
    for text, count in group.members:
        for gram in bigrams(text):
            counts[gram] += count
    return tuple(g for g, n in counts.most_common(top) if n > 1 or len(group.members) == 1)


def format_suggestions(suggestions: list[Suggestion]) -> str:
    """The plain-text table `ivr kb suggest` prints."""
    if not suggestions:
        return "no unresolved utterances: nothing to suggest\n"
    lines = []
    for s in suggestions:
        if s.kind == "add_examples":
            head = f"[{s.count}×] add examples to {s.intent} ({s.department}, score {s.score:.2f})"
        else:
            dept = s.department or "no department found"
            head = f"[{s.count}×] new intent? department {dept}; keywords {', '.join(s.keywords)}"
        lines.append(head)
        lines += [f"    - {e}" for e in s.examples]
    return "\n".join(lines) + "\n"
