"""Tests for dialog.examples: question frames, similarity and the best example per intent."""

from __future__ import annotations

import numpy as np
import pytest

from dialog.examples import ExampleIndex, similarity, strip_frames
from dialog.phonetic import analyse


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("办护照需要什么材料", "办护照"),
        ("新生儿参保需要什么材料", "新生儿参保"),
        ("营业执照怎么办理", "营业执照"),
        ("怎么办", "怎么办"),  # nothing but a frame: kept whole
        ("可以", "可以"),
    ],
)
def test_strip_frames(text: str, content: str) -> None:
    utt = strip_frames(analyse(text))
    assert utt.text == content
    assert utt.tones == analyse(content).tones  # the pinyin is cut at the same places
    assert len(utt.plain) == len(utt.loose) == len(content)


def test_similarity_full_and_contained() -> None:
    scores = similarity("公积金怎么取", ["公积金怎么取", "取公积金", "我想问公积金怎么取出来用"])
    assert scores[0] == pytest.approx(1.0)
    assert 0.0 < scores[1] < 1.0
    # Contained in a longer example: high, but discounted by the length difference.
    assert 0.7 < scores[2] < 1.0


def test_a_short_query_inside_a_long_example_is_not_a_match() -> None:
    (score,) = similarity("是", ["是不是要带身份证"])
    assert score < 0.5


def test_empty_inputs() -> None:
    assert similarity("", ["a"]).tolist() == [0.0]
    assert similarity("a", []).size == 0


def test_best_example_per_owner_on_characters_and_sounds() -> None:
    examples = [(1, analyse("公积金怎么提取")), (0, analyse("医保怎么报销")),
                (1, analyse("租房提取公积金"))]
    index = ExampleIndex(examples, owners=3)
    chars, sounds = index.scores(analyse("攻击金怎么提取"))
    assert chars.shape == sounds.shape == (3,)
    assert sounds[1] == pytest.approx(1.0)  # every syllable matches
    assert chars[1] < sounds[1]  # 攻击 are other characters
    assert sounds[1] > sounds[0] and chars[2] == 0.0  # owner 2 has no examples
    assert np.all((0 <= chars) & (chars <= 1))
