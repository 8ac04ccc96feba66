"""`ivr kb expand`: propose new phrasings of an intent for an operator to review.

The seed practice grows the FAQ library with machine-made questions "with similar context and
structure". Three ways, each proposal labelled with how it was made so the reviewer can judge:
- synonym substitution: a word of an example swapped for a way callers say it (the knowledge
  base's own `synonyms`, both directions, and a small table of spoken forms: 怎么 → 咋,
  什么 → 啥, 知道 → 晓得 …);
- templates: an example (normalised: fillers and final particles gone) put into the words
  callers wrap a question in (我想问一下，…; 我家老人想问，…; …，打这个电话对吗);
- recombination: one of the intent's keywords joined to a question frame its own examples use
  (公积金 + 要带什么材料).
Proposals already in the knowledge base (after normalisation) or proposed twice are dropped;
each is matched with the current matcher, so the reviewer sees whether it already reaches the
intent. Nothing is ever written to intents.yaml: `write_review` writes a review file in which
the operator marks what to keep and copies it in by hand. Pure except `write_review`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

from dialog.intents import Intent, KnowledgeBase
from dialog.matcher import Matcher
from dialog.normalize import normalize

# Written forms and the ways callers say them (one direction: written → spoken).
SPOKEN: dict[str, tuple[str, ...]] = {
    "怎么": ("咋", "怎样", "如何"),
    "什么": ("啥",),
    "哪里": ("哪儿", "啥地方"),
    "知道": ("晓得",),
    "可以": ("能",),
    "需要": ("要", "得"),
    "办理": ("办",),
    "多长时间": ("多久", "要几天"),
    "我": ("俺",),
    "孩子": ("娃", "小孩"),
    "老人": ("老人家", "家里老人"),
    "没有": ("没",),
    "吗": ("不",),
}
# Each adds words that survive normalisation (a bare 请问… or 我想问一下… normalises back to
# the example itself and would only be dropped as known).
TEMPLATES: tuple[str, ...] = (
    "{core}，找哪个部门", "{core}，打这个电话对吗", "我家老人想问，{core}", "我是开店的，{core}",
    "{core}，麻烦跟我说一下", "我在外地打工，{core}", "{core}，要跑几趟", "俺想问问{core}",
)
FRAMES: tuple[str, ...] = (
    "怎么办理", "需要什么材料", "去哪里办", "要多长时间", "有什么条件", "找谁", "怎么弄",
    "能不能办", "要交钱吗",
)
METHODS = ("synonym", "template", "recombination")


@dataclass(frozen=True)
class Proposal:
    """One proposed phrasing, how it was made and what the matcher makes of it today."""

    text: str
    method: str  # synonym / template / recombination
    source: str  # the example or keyword it was made from
    matched: str | None  # the intent the current matcher answers, None when it does not

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "method": self.method, "source": self.source,
                "matched": self.matched}


def propose(matcher: Matcher, intent_id: str, limit: int = 30) -> list[Proposal]:
    """Up to `limit` new phrasings of the intent, the methods taking turns (KeyError for an
    unknown intent). Deterministic: the same knowledge base gives the same proposals."""
    kb = matcher.kb
    intent = kb.intents[intent_id]
    known = {normalize(e) for i in kb.intents.values() for e in i.examples}
    streams = [_synonyms(kb, intent), _templates(intent), _recombinations(intent)]
    out: list[Proposal] = []
    seen: set[str] = set()
    for method, source, text in _round_robin(streams):
        key = normalize(text)
        if not key or key in known or key in seen:
            continue
        seen.add(key)
        result = matcher.match(text)
        out.append(Proposal(text, method, source, result.intent))
        if len(out) >= limit:
            break
    return out


def _round_robin(streams: list[list[tuple[str, str, str]]]) -> list[tuple[str, str, str]]:
    mixed = itertools.zip_longest(*streams)
    return [item for group in mixed for item in group if item is not None]


def _synonyms(kb: KnowledgeBase, intent: Intent) -> list[tuple[str, str, str]]:
    """Every single-word swap, spoken forms and the knowledge base's synonyms both ways."""
    table: dict[str, list[str]] = {w: list(v) for w, v in SPOKEN.items()}
    for canonical, variants in kb.synonyms.items():
        table.setdefault(canonical, []).extend(variants)
        for variant in variants:
            table.setdefault(variant, []).append(canonical)
    out = []
    for example in intent.examples:
        for word, replacements in sorted(table.items(), key=lambda kv: -len(kv[0])):
            if word in example:
                out += [("synonym", example, example.replace(word, r, 1)) for r in replacements]
    return out


def _templates(intent: Intent) -> list[tuple[str, str, str]]:
    cores = [(e, normalize(e)) for e in intent.examples]
    cores = [(e, c) for e, c in cores if len(c) >= 2]
    # Round k gives example i template i + k: every example and every template early on.
    return [("template", example, TEMPLATES[(i + k) % len(TEMPLATES)].format(core=core))
            for k in range(len(TEMPLATES)) for i, (example, core) in enumerate(cores)]


def _recombinations(intent: Intent) -> list[tuple[str, str, str]]:
    words = [k for k in intent.keywords if len(k) >= 2]
    return [("recombination", word, word + frame)
            for frame, word in itertools.product(FRAMES, words)]


def write_review(path: Path, intent: Intent, proposals: list[Proposal]) -> None:
    """A YAML file for the operator: each proposal with `keep: false` to flip. Nothing here
    touches the knowledge base."""
    doc = {
        "intent": intent.id,
        "name": intent.name,
        "howto": "Set keep: true on the phrasings a caller would really say, then copy them "
                 "by hand into this intent's examples in intents.yaml and run `ivr kb check` "
                 "and `ivr kb eval`. Never copy evaluation lines.",
        "proposals": [{**p.to_json(), "keep": False} for p in proposals],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def format_proposals(intent: Intent, proposals: list[Proposal]) -> str:
    lines = [f"proposals for {intent.id} ({intent.name}): {len(proposals)}", "",
             "| text | method | from | matcher today |", "|---|---|---|---|"]
    lines += [f"| {p.text} | {p.method} | {p.source} | "
              f"{'✓' if p.matched == intent.id else p.matched or 'no match'} |"
              for p in proposals]
    return "\n".join(lines) + "\n"
