"""Write tests/data/setA_streamed.tsv: what the live streaming recogniser hears on set A.

The whole-file Whisper texts in tests/data/setA_recognised.tsv are not what a caller's words
become on the phone path: there the VAD endpointer cuts the audio into utterances and each is
decoded on its own, so the matcher sees different (and split) texts. This script runs the real
streaming path (`ivr bench asr --both --json`, Whisper base, 16 kHz and telephone band) over
the hotline set A and writes one row per clip per band:

    recognizer (whisper_stream | whisper_stream_tel8k), text, intent_label, clip, half

`intent_label` comes from the manifest (`out_of_scope` kept as is; `ivr kb eval` reads it as
no intent). `half` (dev/test) is a stable hash of the clip name, so both bands of a clip land
in the same half and the split never moves when the file is regenerated: matcher errors are
read on dev only, test measures. The recogniser is deterministic (beam search on CPU), so a
re-run reproduces the file unless the model or the streaming path changed — which is what
the file is for.

Usage (a few minutes on CPU):
    .venv/bin/python scripts/make_streamed_transcripts.py \\
        [--manifest ../shared/audio/hotline_queries/setA.tsv] [--bench-json saved.json] \\
        [--out tests/data/setA_streamed.tsv]
`--bench-json` reuses the output of an earlier `ivr bench asr --both --json` run instead of
decoding again. Reads the manifest and audio; writes only the output file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = REPO.parent / "shared" / "audio" / "hotline_queries" / "setA.tsv"
DEFAULT_OUT = REPO / "tests" / "data" / "setA_streamed.tsv"
RECOGNIZERS = {"16k": "whisper_stream", "tel": "whisper_stream_tel8k"}
HEADER_COMMENT = (
    "# Streamed recognition (ivr bench asr --both: VAD endpointer + Whisper base, finals "
    "joined by a space) of the hotline_queries set A (audio-cmn: speaker Yue Tan; syllables "
    "Chen Wang; curated by Hugo Lopez), CC BY-SA. Regenerate with "
    "scripts/make_streamed_transcripts.py; half: stable hash of the clip (dev/test)."
)
COLUMNS = ("recognizer", "text", "intent_label", "clip", "half")


def half(clip: str) -> str:
    """'dev' or 'test' for a clip name (A03): the parity of the first SHA-256 byte."""
    return "dev" if hashlib.sha256(clip.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def read_labels(manifest: Path) -> dict[str, str]:
    """Clip name (A03) → intent label, from the manifest's file and intent_label columns."""
    with manifest.open(encoding="utf-8", newline="") as handle:
        return {Path(row["file"]).stem: row["intent_label"]
                for row in csv.DictReader(handle, delimiter="\t")}


def run_bench(manifest: Path) -> dict[str, Any]:
    """The JSON of `ivr bench asr --both` over the manifest (progress goes to stderr)."""
    command = [sys.executable, "-m", "ivr.cli", "bench", "asr", "--manifest", str(manifest),
               "--both", "--json"]
    done = subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def build_rows(bench: dict[str, Any], labels: dict[str, str]) -> list[tuple[str, ...]]:
    """One row per decoded file, 16 kHz rows first, each band in clip order."""
    rows: list[tuple[str, ...]] = []
    for band, recognizer in RECOGNIZERS.items():
        files = sorted((f for f in bench["files"] if f["band"] == band),
                       key=lambda f: str(f["file"]))
        for result in files:
            clip = Path(str(result["file"])).stem
            text = " ".join(str(result["hypothesis"]).split())  # no tabs or newlines
            rows.append((recognizer, text, labels[clip], clip, half(clip)))
    return rows


def write_tsv(path: Path, rows: list[tuple[str, ...]]) -> None:
    lines = [HEADER_COMMENT, "\t".join(COLUMNS), *("\t".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--bench-json", type=Path, default=None,
                        help="reuse a saved `ivr bench asr --both --json` output")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    labels = read_labels(args.manifest)
    bench = (json.loads(args.bench_json.read_text(encoding="utf-8")) if args.bench_json
             else run_bench(args.manifest))
    rows = build_rows(bench, labels)
    missing = {(clip, rec) for clip in labels for rec in RECOGNIZERS.values()} - {
        (row[3], row[0]) for row in rows}
    if missing:
        print(f"not decoded: {sorted(missing)}", file=sys.stderr)
        return 1
    write_tsv(args.out, rows)
    print(f"{args.out}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
