"""Split the blind set into tests/data/blind/dev.jsonl and test.jsonl, once, with a fixed seed.

Run once, on 2026-12-02, on the helper's file (`python scripts/split_blind.py ALL.jsonl`); the
whole file is not kept, dev + test are the whole set.

Stratified by label so every intent and department has lines on both sides. The test split
is for scoring only: never read it while tuning, never copy a line of it into the knowledge
base (tests/test_blind_eval_data.py checks the second). Re-running gives the same split.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "tests" / "data" / "blind"
SEED = 20261202


def main() -> None:
    source = Path(sys.argv[1])
    rows = [json.loads(line) for line in source.read_text("utf-8").splitlines()]
    by_label: dict[str, list[dict]] = defaultdict(list)
    for n, row in enumerate(rows):
        row["id"] = f"B{n:04d}"
        by_label[f"{row['kind']}|{row['label']}"].append(row)
    rng = random.Random(SEED)
    dev: list[dict] = []
    test: list[dict] = []
    for key in sorted(by_label):
        group = by_label[key]
        rng.shuffle(group)
        half = len(group) // 2  # the odd one goes to test
        dev += group[:half]
        test += group[half:]
    for name, part in (("dev", dev), ("test", test)):
        part.sort(key=lambda r: r["id"])
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for row in part:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(part)} lines")


if __name__ == "__main__":
    main()
