"""The replies a question expects, scored against the audio Whisper just decoded.

After 您是想咨询…吗 or 还有其他问题吗 a caller says one of a few short replies, and those are
the words the phone band garbles most: 不对不对 came back as 捕对捕对, 满意 as "mae", 按1 as
阿姨 (docs/benchmarks.md, "Expected replies"). Vosk can decode against a grammar; Whisper
cannot, but its decoder can say how likely each expected reply is as the start of what was
said: CTranslate2's `align` runs the decoder forced along a given text over the utterance's
encoder output and returns each token's probability. The reply whose tokens are likeliest on
average (the mean log-probability) is the best choice; it becomes the transcript's last
reading, so the call uses it only when neither the transcript nor Whisper's own runners-up
mean anything to the bot (dialog.hypotheses). Scoring reuses the decode's encoder output and
costs about 10 ms a reply on two cores.

Pure computation on a loaded model; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asr.textnorm import scoring_text

# A best choice whose tokens average under this log-probability is not offered: the
# utterance is then none of the replies. And a transcript longer than REPLY_CHARS is not a
# short reply: a new request after 还有其他问题吗 (对了，我刚接到个诈骗电话, heard garbled)
# scored 就这些 at -5.7 as its start, which would have ended the call. Both chosen on the
# blind answers' dev split (docs/benchmarks.md, "Expected replies").
CHOICE_FLOOR = -5.0
REPLY_CHARS = 8
# What decides which transcripts are scored and which reply is offered, in words: a cached
# transcript made under other settings is not this one (ivr.bench.blind_audio's cache key).
SETTINGS = f"floor {CHOICE_FLOOR:g}; at most {REPLY_CHARS} characters; none already said"
_LEAST_PROB = 1e-9  # a token the decoder gives no chance at all still has a finite log


@dataclass(frozen=True)
class ScoredChoice:
    """An expected reply and its tokens' mean log-probability over the utterance."""

    text: str
    score: float


def worth_scoring(transcript: str, choices: Sequence[str]) -> bool:
    """Could the transcript be a garbled reply? Not when it already says one of the replies
    (it needs no rescue) nor when it is longer than a short reply."""
    heard = scoring_text(transcript)
    return bool(heard) and len(heard) <= REPLY_CHARS and not any(
        (key := scoring_text(c)) and key in heard for c in choices)


def score_choices(model: Any, tokenizer: Any, encoded: Any, num_frames: int,
                  choices: Sequence[str]) -> list[ScoredChoice]:
    """Each reply's score, best first. `model` is the CTranslate2 Whisper model, `tokenizer`
    faster-whisper's (its start-of-transcript sequence: language, task), `encoded` the
    utterance's encoder output and `num_frames` its length in mel frames."""
    start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    scored = []
    for text in dict.fromkeys(c for c in choices if c.strip()):
        ids = tokenizer.encode(text)
        if not ids:
            continue
        probs = model.align(encoded, start, [ids], [num_frames])[0].text_token_probs
        logs = [math.log(max(float(p), _LEAST_PROB)) for p in probs]
        scored.append(ScoredChoice(text, sum(logs) / len(logs)))
    return sorted(scored, key=lambda c: c.score, reverse=True)


def best_choice(scored: Sequence[ScoredChoice], floor: float = CHOICE_FLOOR) -> str | None:
    """The likeliest reply, if it clears `floor`."""
    return scored[0].text if scored and scored[0].score >= floor else None
