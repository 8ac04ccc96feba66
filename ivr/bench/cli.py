"""`ivr bench`: the benchmark commands, one subcommand per component measured."""

from __future__ import annotations

from typing import Any

from ivr.bench.asr_cli import add_asr_parser
from ivr.bench.blind_audio_cli import add_blind_audio_parser
from ivr.bench.dtmf_cli import add_dtmf_parser
from ivr.bench.tts_cli import add_tts_parser


def add_bench_parser(subparsers: Any) -> None:
    """Register `bench asr`, `bench blind-audio`, `bench dtmf` and `bench tts` on the `ivr`
    subcommand parser."""
    bench = subparsers.add_parser("bench", help="measure components (ASR, DTMF, TTS) on data")
    kinds = bench.add_subparsers(title="benchmarks")
    add_asr_parser(kinds)
    add_blind_audio_parser(kinds)
    add_dtmf_parser(kinds)
    add_tts_parser(kinds)
