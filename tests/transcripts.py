"""Comparing what a recognizer produced: normalised text and a bounded CER, never exact strings.

Recognizer output differs across CPUs, library builds and audio spans (issue 8: two decodes
of one clip differed in punctuation only), so tests compare transcripts in the scoring form
of `asr.textnorm.scoring_text` (punctuation and whitespace dropped, traditional → simplified,
full-width → half-width, Latin case-folded) and bound the CER on it; or, where that is what
the test is about, check that key words survived.

Each bound in a test says what was measured. To measure again, set TRANSCRIPT_CER_LOG to a
file: every comparison appends a tab-separated line (what, CER, bound, hypothesis, reference).
"""

from __future__ import annotations

import os

from rapidfuzz.distance import Levenshtein

from asr.textnorm import cer, scoring_text

__all__ = ["assert_contains_close", "assert_heard", "assert_transcript_close",
           "normalise_transcript"]

normalise_transcript = scoring_text  # one normaliser for scoring, kept in asr/textnorm.py


def _log(what: str, value: float, bound: float, hyp: str, ref: str) -> None:
    path = os.environ.get("TRANSCRIPT_CER_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{what}\t{value:.4f}\t{bound}\t{hyp}\t{ref}\n")


def _describe(what: str, hyp: str, ref: str) -> str:
    return (f"{what or 'transcript'}:\n"
            f"  hypothesis {hyp!r} → {normalise_transcript(hyp)!r}\n"
            f"  reference  {ref!r} → {normalise_transcript(ref)!r}")


def assert_transcript_close(hyp: str, ref: str, max_cer: float, *, what: str = "") -> float:
    """Fail unless `hyp` is within `max_cer` of `ref` (both normalised); return the CER."""
    value = cer(ref, hyp)
    _log(what, value, max_cer, hyp, ref)
    assert value <= max_cer, f"{_describe(what, hyp, ref)}\n  CER {value:.3f} > {max_cer}"
    return value


def assert_heard(hyp: str, *words: str, what: str = "") -> None:
    """Fail unless every one of `words` occurs in `hyp`, in order, once both are normalised."""
    heard = normalise_transcript(hyp)
    at = 0
    for word in words:
        found = heard.find(normalise_transcript(word), at)
        _log(what or f"heard {word}", 0.0 if found >= 0 else 1.0, 0.0, hyp, word)
        assert found >= 0, (f"{what or 'transcript'}: {word!r} not heard (in order) in "
                            f"{hyp!r} → {heard!r}")
        at = found + len(normalise_transcript(word))


def window_cer(ref: str, hyp: str) -> float:
    """CER of `ref` against the stretch of `hyp` that matches it best (both normalised):
    for a part of a longer transcript, such as one prompt in a whole call's audio."""
    r, h = normalise_transcript(ref), normalise_transcript(hyp)
    if not r:
        return 0.0
    best = float(len(r))
    for size in range(max(1, len(r) * 7 // 10), len(r) * 13 // 10 + 1):
        for start in range(0, max(1, len(h) - size + 1)):
            best = min(best, Levenshtein.distance(r, h[start:start + size]))
    return best / len(r)


def assert_contains_close(hyp: str, ref: str, max_cer: float, *, what: str = "") -> float:
    """Fail unless some stretch of `hyp` is within `max_cer` of `ref`; return that CER."""
    value = window_cer(ref, hyp)
    _log(what, value, max_cer, hyp, ref)
    assert value <= max_cer, (f"{_describe(what, hyp, ref)}\n"
                              f"  best-window CER {value:.3f} > {max_cer}")
    return value
