"""Scoring the replies a question expects (asr.whisper_choices), without the model: the
scores' arithmetic, the order and the floor. The real model's scoring of garbled replies is
in tests/test_whisper_engine.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from asr.whisper_choices import (
    CHOICE_FLOOR,
    REPLY_CHARS,
    ScoredChoice,
    best_choice,
    score_choices,
    worth_scoring,
)


@dataclass
class _Aligned:
    text_token_probs: list[float]


class FakeTokenizer:
    """One token per character; the start sequence is what the real one gives Whisper."""

    sot_sequence = (50258, 50260, 50359)
    no_timestamps = 50363

    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]


class FakeModel:
    """Aligns a text by looking its characters up in `probs` (unknown ones: 0), noting
    every call."""

    def __init__(self, probs: dict[str, float]) -> None:
        self.probs = probs
        self.calls: list[tuple[list[int], list[list[int]], list[int]]] = []

    def align(self, encoded: object, start: list[int], tokens: list[list[int]],
              frames: list[int]) -> list[_Aligned]:
        self.calls.append((start, tokens, frames))
        return [_Aligned([self.probs.get(chr(t), 0.0) for t in ids]) for ids in tokens]


def test_replies_are_ranked_by_their_tokens_mean_log_probability() -> None:
    model = FakeModel({"不": 0.5, "对": 0.5, "是": 0.1, "的": 0.9})
    scored = score_choices(model, FakeTokenizer(), object(), 120, ["是的", "不对", "不对", " "])
    assert [c.text for c in scored] == ["不对", "是的"]  # duplicates and blanks dropped
    assert scored[0].score == pytest.approx(math.log(0.5))
    assert scored[1].score == pytest.approx((math.log(0.1) + math.log(0.9)) / 2)
    start, _tokens, frames = model.calls[0]
    assert start == [50258, 50260, 50359, 50363] and frames == [120]  # no timestamps


def test_a_token_the_decoder_rules_out_scores_finite() -> None:
    scored = score_choices(FakeModel({}), FakeTokenizer(), object(), 50, ["没有"])
    assert math.isfinite(scored[0].score) and scored[0].score < CHOICE_FLOOR


def test_the_best_reply_must_clear_the_floor() -> None:
    assert best_choice([ScoredChoice("满意", -2.5), ScoredChoice("一般", -9.0)]) == "满意"
    assert CHOICE_FLOOR == -5.0
    assert best_choice([ScoredChoice("满意", CHOICE_FLOOR - 0.1)]) is None
    assert best_choice([]) is None
    assert best_choice([ScoredChoice("满意", -7.0)], floor=-8.0) == "满意"


@pytest.mark.parametrize(("transcript", "worth"), [
    ("美辣美辣", True),  # a garbled 没了没了
    ("mae", True),
    ("部队更做个美关系", True),  # 不对，跟这个没关系: eight characters, still a short reply
    ("没有,没有", False),  # a reply already heard: nothing to rescue
    ("不对,我想办生育登记", False),
    ("对了我刚接到各诈骗话", False),  # longer than a short reply: a new request, garbled
    ("", False),
    ("不满意", False),
    ("对,对,对,就是这个", False),  # yes words together (对, 是): said, nothing to rescue
])
def test_only_a_short_transcript_without_a_reply_is_scored(
        transcript: str, worth: bool) -> None:
    assert worth_scoring(transcript, ("没有", "不对", "对", "是", "满意", "不满意", "1")) is worth
    assert REPLY_CHARS == 8
