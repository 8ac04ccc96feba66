"""DTMF receiver benchmark: talk-off on hours of speech, and detection on generated tones.

A key that fires on a caller's speech is worse than no key (a `0` heard in a word transfers
the caller), so, as telephone switches were with the classic talk-off tapes, the detector is
run over every speech recording at hand, in the telephone band (8 kHz μ-law) a call carries,
and every digit it reports there is a false digit. The other half of a receiver's spec is
that real keys are found: every key is generated at the levels, twists, frequency errors,
durations and noise a keypad and a line may produce (ITU-T Q.24 style), and must be found
once each; tones outside the spec (too short, too much twist, off frequency) must not be.
Reads audio files; `generate_speech` runs the speech kit to make more. Writes nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ivr.bench.audio import TEL_RATE, TEL_SUFFIX, telephone_audio
from ivr.dtmf import COL_HZ, KEYPAD, KEYS, ROW_HZ, DtmfDetector
from ivr.media.codecs import mulaw_decode, mulaw_encode
from pcm.files import AudioFileError
from pcm.samples import as_int16

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".amr", ".ogg"})
Progress = Callable[[int, int, str], None]


# ---- talk-off ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FalseDigit:
    file: str
    at_s: float
    key: str


@dataclass
class TalkOff:
    """False digits the detector reported in one source of speech."""

    source: str
    files: int = 0
    seconds: float = 0.0
    unreadable: int = 0
    false: list[FalseDigit] = field(default_factory=list)

    @property
    def per_hour(self) -> float:
        return len(self.false) / (self.seconds / 3600) if self.seconds else 0.0


def speech_files(root: Path) -> list[Path]:
    """The audio files under `root` (or `root` itself), each recording once: a
    `<name>_tel8k.wav` whose `<name>` file is there too is that file's telephone band."""
    if root.is_file():
        return [root]
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    names = {p.with_suffix("") for p in files}
    return [p for p in files
            if not (p.stem.endswith(TEL_SUFFIX)
                    and p.with_name(p.stem[: -len(TEL_SUFFIX)]) in names)]


def detect_keys(samples: np.ndarray, rate: int = TEL_RATE,
                chunk: int = 160) -> list[tuple[float, str]]:
    """Every key the detector reports in `samples`, with the time it was reported, fed in
    20 ms pieces as a call feeds it."""
    detector = DtmfDetector(rate)
    found: list[tuple[float, str]] = []
    for start in range(0, len(samples), chunk):
        for key in detector.process(samples[start:start + chunk]):
            found.append(((start + chunk) / rate, key))
    return found


def talk_off(source: str, files: Sequence[Path], progress: Progress | None = None) -> TalkOff:
    """Run the detector over each file in the telephone band; every digit is a false one."""
    result = TalkOff(source)
    for i, path in enumerate(files, 1):
        try:
            samples = telephone_audio(path)
        except AudioFileError:
            result.unreadable += 1
            continue
        result.files += 1
        result.seconds += len(samples) / TEL_RATE
        result.false += [FalseDigit(str(path), round(at, 2), key)
                         for at, key in detect_keys(samples)]
        if progress:
            progress(i, len(files), path.name)
    return result


def generate_speech(splice: Path, sentences: Iterable[str], out_dir: Path, *,
                    snr_every: int = 3, snr_db: float = 15.0,
                    progress: Progress | None = None, batch: int = 200) -> list[Path]:
    """Telephone-band caller audio of `sentences` made with the speech kit (`splice.py`),
    kept in `out_dir` and reused by later runs; every `snr_every`-th sentence gets pink
    noise at `snr_db`. Returns the `_tel8k.wav` files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = list(sentences)
    made: list[Path] = []
    for first in range(0, len(texts), batch):
        for noisy in (False, True):
            jobs = [(f"s{i:05d}.wav", t) for i, t in enumerate(texts[first:first + batch], first)
                    if (i % snr_every == snr_every - 1) == noisy]
            todo = [(n, t) for n, t in jobs if not (out_dir / n.replace(".wav",
                                                                        "_tel8k.wav")).is_file()]
            if todo:
                _splice(splice, todo, out_dir, snr_db if noisy else None, seed=first)
            made += [out_dir / n.replace(".wav", "_tel8k.wav") for n, _ in jobs]
        if progress:
            progress(min(first + batch, len(texts)), len(texts), "speech kit")
    return [p for p in made if p.is_file()]


def _splice(splice: Path, jobs: list[tuple[str, str]], out_dir: Path,
            snr_db: float | None, seed: int) -> None:
    tsv = out_dir / "batch.tsv"
    tsv.write_text("".join(f"{n}\t{t}\n" for n, t in jobs), encoding="utf-8")
    cmd = [sys.executable, str(splice), "--batch", str(tsv), "--outdir", str(out_dir),
           "--tel", "x", "--seed", str(seed)]
    if snr_db is not None:
        cmd += ["--snr", str(snr_db)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=3600)
    for name, _ in jobs:  # the 16 kHz original is not needed: calls carry the phone band
        (out_dir / name).unlink(missing_ok=True)


def read_sentences(path: Path, limit: int) -> list[str]:
    """Up to `limit` distinct sentences from a text, TSV or JSON-lines file: from each line,
    the longest field with Chinese in it (a title, a question), cut at 40 characters."""
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = _fields(line)
        han = [f.strip() for f in fields if any("\u4e00" <= ch <= "\u9fff" for ch in f)]
        if han:
            seen.setdefault(max(han, key=len)[:40], None)
        if len(seen) >= limit:
            break
    return list(seen)


def _fields(line: str) -> list[str]:
    if line.startswith("{"):
        try:
            value = json.loads(line)
        except ValueError:
            return [line]
        return [v for v in value.values() if isinstance(v, str)] if isinstance(value, dict) else []
    return line.split("\t")


# ---- tones ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToneCase:
    """One way of pressing all sixteen keys; `valid` says whether a receiver must find them."""

    name: str
    valid: bool
    level_db: float = -10.0  # each tone's peak, dBFS
    twist_db: float = 0.0  # row tone louder than the column tone by this much (negative: less)
    offset: float = 0.0  # frequency error, as a fraction (+ row up, column down)
    tone_s: float = 0.1
    gap_s: float = 0.1
    snr_db: float | None = None  # white noise below the tones' power
    mulaw: bool = True


TONE_CASES: tuple[ToneCase, ...] = (
    ToneCase("nominal", True),
    ToneCase("quiet (-26 dBFS)", True, level_db=-26),
    ToneCase("loud (-4 dBFS)", True, level_db=-4),
    ToneCase("normal twist +6 dB", True, twist_db=6),
    ToneCase("reverse twist -3 dB", True, twist_db=-3),
    ToneCase("frequency +1.5 %", True, offset=0.015),
    ToneCase("frequency -1.5 %", True, offset=-0.015),
    ToneCase("noise -20 dB", True, snr_db=20),
    ToneCase("short 45 ms, gap 45 ms", True, tone_s=0.045, gap_s=0.045),
    ToneCase("linear PCM (L16)", True, mulaw=False),
    ToneCase("too short (20 ms)", False, tone_s=0.02, gap_s=0.1),
    ToneCase("normal twist +10 dB", False, twist_db=10),
    ToneCase("reverse twist -6 dB", False, twist_db=-6),
    ToneCase("frequency +3.5 %", False, offset=0.035),
    ToneCase("frequency -3.5 %", False, offset=-0.035),
)


@dataclass(frozen=True)
class ToneResult:
    case: ToneCase
    pressed: int
    found: int  # keys reported in order, once each
    extra: int  # reports beyond the right ones

    @property
    def passed(self) -> bool:
        if self.case.valid:
            return self.found == self.pressed and self.extra == 0
        return self.found == 0 and self.extra == 0


def press_all(case: ToneCase, seed: int = 0) -> np.ndarray:
    """All sixteen keys pressed as `case` says, at 8 kHz, through the line it describes."""
    rate, rng = TEL_RATE, np.random.default_rng(seed)
    n_tone, n_gap = round(case.tone_s * rate), round(case.gap_s * rate)
    t = np.arange(n_tone) / rate
    amp = 32767 * 10 ** (case.level_db / 20)
    row_amp, col_amp = amp * 10 ** (min(case.twist_db, 0) / 20), amp * 10 ** (
        -max(case.twist_db, 0) / 20)
    parts = [np.zeros(n_gap)]
    for r, row in enumerate(KEYPAD):
        for c, _ in enumerate(row):
            low, high = ROW_HZ[r] * (1 + case.offset), COL_HZ[c] * (1 - case.offset)
            phase = rng.uniform(0, 2 * np.pi, 2)
            parts += [row_amp * np.sin(2 * np.pi * low * t + phase[0])
                      + col_amp * np.sin(2 * np.pi * high * t + phase[1]), np.zeros(n_gap)]
    x = np.concatenate(parts)
    if case.snr_db is not None:
        power = (row_amp**2 + col_amp**2) / 2
        x = x + rng.normal(0, np.sqrt(power / 10 ** (case.snr_db / 10)), len(x))
    samples = as_int16(x)
    return mulaw_decode(mulaw_encode(samples)) if case.mulaw else samples


def tone_results(cases: Sequence[ToneCase] = TONE_CASES, seeds: int = 4) -> list[ToneResult]:
    """Each case pressed `seeds` times with other phases and noise."""
    results = []
    for case in cases:
        found = extra = 0
        for seed in range(seeds):
            keys = "".join(k for _, k in detect_keys(press_all(case, seed)))
            ok = _in_order(keys, KEYS)
            found += ok
            extra += len(keys) - ok
        results.append(ToneResult(case, seeds * len(KEYS), found, extra))
    return results


def _in_order(got: str, want: str) -> int:
    """How many of `want`'s keys `got` reports in order (a longest common subsequence)."""
    prev = [0] * (len(want) + 1)
    for g in got:
        cur = [0]
        for j, w in enumerate(want):
            cur.append(prev[j] + 1 if g == w else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


# ---- report -----------------------------------------------------------------------------------


def talk_off_table(rows: Sequence[TalkOff]) -> str:
    lines = ["| speech | files | hours | false digits | per hour | keys |",
             "|---|---|---|---|---|---|"]
    total = TalkOff("all")
    for row in rows:
        lines.append(_talk_off_line(row))
        total.files += row.files
        total.seconds += row.seconds
        total.false += row.false
    lines.append(_talk_off_line(total, bold=True))
    return "\n".join(lines)


def _talk_off_line(row: TalkOff, bold: bool = False) -> str:
    keys = "".join(sorted({f.key for f in row.false})) or "–"
    name = f"**{row.source}**" if bold else row.source
    return (f"| {name} | {row.files} | {row.seconds / 3600:.2f} | {len(row.false)} | "
            f"{row.per_hour:.1f} | {keys} |")


def tone_table(results: Sequence[ToneResult]) -> str:
    lines = ["| tones | must be found | keys pressed | found | extra | pass |",
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.case.name} | {'yes' if r.case.valid else 'no'} | {r.pressed} | "
                     f"{r.found} | {r.extra} | {'✓' if r.passed else '✗'} |")
    return "\n".join(lines)
