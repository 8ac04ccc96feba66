#!/usr/bin/env python3
"""Label citizen messages by the department named in the official reply, for routing evaluation.

Reads `../shared/datasets/citizen_messages/messages_with_replies.jsonl` (real messages to a
city government's message board with the official replies; evaluation only, non-commercial:
never commit the output). Each reply is searched for department names, which rules below map
to the knowledge base's department ids; the department named most often wins (ties: the one
named last, which is usually the signature). Replies naming none of our departments (street
offices, planning, finance …) are skipped. Writes a TSV `text, expected, msg_id` that
`ivr kb eval` reads, where text is the title plus the start of the message (what a caller
would say first) and expected is `dept:<id>`. Does file I/O only.

    .venv/bin/python scripts/label_citizen_messages.py --out /tmp/citizen_routing.tsv
    .venv/bin/ivr kb eval /tmp/citizen_routing.tsv
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared/datasets/citizen_messages/messages_with_replies.jsonl"

# Department names as replies write them → knowledge-base department id. Longer, more specific
# names come first in each pattern; 城管/行政执法 count as housing (urban management).
RULES: tuple[tuple[str, str], ...] = (
    ("housing_fund", r"住房公积金管理中心|公积金管理中心|公积金中心"),
    ("medical_insurance", r"医疗保障局|医保局|医保中心|医疗保险服务中心|医疗保险管理"),
    ("hrss", r"人力资源和社会保障局|人力资源与社会保障局|人社局|人力资源局|劳动保障监察"
             r"|劳动监察|社会保险管理|社保局|就业服务局|人才与人力资源局"),
    ("market", r"市场监督管理局|市场监管局|市场和质量监督管理局|工商行政管理局|工商局|工商分局"
               r"|质量技术监督局|质监局|食品药品监督管理局|食药监局|物价局|价格监督检查"),
    ("tax", r"税务局|地税局|国税局|税务分局"),
    ("public_security", r"公安局|公安分局|派出所|交警支队|交警大队|交通警察|交警|出入境管理"
                        r"|治安大队|户政"),
    ("housing", r"住房和城乡建设局|住房和城乡建设委员会|住建局|住建委|城乡建设局|建设局"
                r"|城市管理和行政执法局|城市管理局|城管局|城管执法|行政执法局|执法大队"
                r"|住房保障局|住房保障服务中心|房产局|房产管理局|房屋交易管理|市政局"),
    ("transport", r"交通运输局|交通局|运输管理局|运管处|运管局|公路局|公路管理局|交通运输委员会"),
    ("education", r"教育局|教育体育局|教体局|教育和体育局|教育委员会"),
    ("health", r"卫生健康委员会|卫生健康局|卫健委|卫生局|卫计委|卫生和计划生育委员会|疾控中心"),
    ("environment", r"生态环境局|生态环境分局|环境保护局|环保局|环境监察"),
)
_PATTERNS = tuple((dept, re.compile(pattern)) for dept, pattern in RULES)


def label_reply(reply: str) -> str | None:
    """The department id a reply names most often (ties: named last), or None.

    A name in the signature (the last 40 characters) or right after 转/经/由/交 (the handler:
    已转区人社局办理, 经县交通运输局调查) counts twice."""
    counts: Counter[str] = Counter()
    last: dict[str, int] = {}
    for dept, pattern in _PATTERNS:
        for found in pattern.finditer(reply):
            counts[dept] += 2 if _handler(reply, found.start()) else 1
            last[dept] = max(last.get(dept, -1), found.start())
    if not counts:
        return None
    return max(counts, key=lambda d: (counts[d], last[d]))


def _handler(reply: str, start: int) -> bool:
    before = reply[max(0, start - 6) : start]
    return start >= len(reply) - 40 or bool(re.search(r"[转经由交][^，。；]{0,5}$", before))


def caller_text(message: dict[str, str], detail_chars: int) -> str:
    """Title plus the start of the message, on one line, without tabs."""
    detail = re.sub(r"\s+|_x000D_", "", message.get("detail", ""))[:detail_chars]
    text = message.get("title", "").strip() + ("，" + detail if detail else "")
    return text.replace("\t", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=Path("/tmp/citizen_routing.tsv"))
    parser.add_argument("--sample", type=int, default=400, help="messages to keep (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=["test", "dev"], default="test",
                        help="test: the sample that is reported; dev: the other labelled "
                        "messages, for improving routing keywords without touching the test")
    parser.add_argument("--detail-chars", type=int, default=60,
                        help="characters of the message body after the title")
    args = parser.parse_args(argv)
    if REPO in args.out.resolve().parents:
        print("refusing to write evaluation data inside the repository", file=sys.stderr)
        return 2
    rows = []
    for line in args.source.read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        dept = label_reply(message.get("reply", ""))
        if dept is not None:
            rows.append((caller_text(message, args.detail_chars), f"dept:{dept}",
                         str(message.get("msg_id", ""))))
    random.Random(args.seed).shuffle(rows)
    kept = rows[: args.sample] if args.sample else rows
    if args.part == "dev":
        kept = rows[args.sample :] if args.sample else []
    args.out.write_text("text\texpected\tmsg_id\n" + "".join("\t".join(r) + "\n" for r in kept),
                        encoding="utf-8")
    labels = Counter(r[1] for r in kept)
    print(f"labelled {len(rows)} messages; wrote {len(kept)} to {args.out}")
    print(", ".join(f"{k[5:]} {v}" for k, v in labels.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
