"""Tests for dialog.classifier and its place in the matcher: it learns from examples alone,
its probabilities read as frequencies on held-out phrasings, every decision it takes part in
is explained in `signals`, and chatter stays rejected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialog.classifier import IntentClassifier, features, softmax, train
from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher
from dialog.normalize import normalize
from dialog.phonetic import analyse
from dialog.tools.evaluate import read_eval_file

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "tests/data/kb_eval.tsv"  # held out: never used to tune


def utt(text: str):  # type: ignore[no-untyped-def]
    return analyse(normalize(text))


@pytest.fixture(scope="module")
def toy() -> IntentClassifier:
    examples = [(0, "发票怎么开"), (0, "开发票要带什么"), (0, "专用发票在哪开"),
                (1, "公积金怎么提取"), (1, "租房能取公积金吗"), (1, "公积金提取要多久"),
                (2, "今天天气怎么样"), (2, "给我讲个笑话")]
    return train([(c, utt(t)) for c, t in examples], 3)


def test_features_are_character_and_sound_ngrams() -> None:
    grams = features(utt("医保"))
    assert {"医", "保", "医保", "~yi", "~bao", "~yi bao"} <= set(grams)
    # a homophone shares the sound features: 一宝 for 医保
    assert {"~yi", "~bao", "~yi bao"} <= set(features(utt("一宝")))


def test_probabilities_sum_to_one_and_pick_the_class(toy: IntentClassifier) -> None:
    for text, expected in (("发票开错了", 0), ("公积金能取吗", 1), ("讲个笑话", 2)):
        p = toy.probabilities(utt(text))
        assert p.shape == (3,) and abs(float(p.sum()) - 1.0) < 1e-5
        assert int(p.argmax()) == expected, text


def test_unknown_words_give_the_prior_not_confidence(toy: IntentClassifier) -> None:
    p = toy.probabilities(utt("嘻嘻哈哈呵呵"))
    assert float(p.max()) < 0.6
    assert toy.known_share(utt("嘻嘻哈哈呵呵")) == 0.0


def test_training_is_deterministic_and_cached(toy: IntentClassifier) -> None:
    again = train([(0, utt("发票怎么开")), (1, utt("公积金怎么提取"))], 2)
    twice = train([(0, utt("发票怎么开")), (1, utt("公积金怎么提取"))], 2)
    assert np.array_equal(again.weights, twice.weights)
    assert softmax(np.array([0.0, 0.0])).tolist() == [0.5, 0.5]


def test_a_class_without_examples_is_never_predicted() -> None:
    model = train([(0, utt("发票怎么开")), (2, utt("公积金怎么提取"))], 3)
    assert float(model.probabilities(utt("发票")).max()) > 0.5
    assert float(model.probabilities(utt("发票"))[1]) < 1e-6


def expected_calibration_error(matcher: Matcher, path: Path) -> float:
    """ECE (ten bins) of `signals["classifier"]` — the probability of the intent the matcher
    ranks first — against that intent being the expected one, over the in-scope lines."""
    conf, ok = [], []
    for line in read_eval_file(path):
        if line.expected == "none" or line.expected.startswith("dept:"):
            continue
        evidence = matcher.evidence(line.text)
        assert evidence is not None
        conf.append(evidence.signals["classifier"])
        ok.append(bool(evidence.candidates) and evidence.candidates[0].intent == line.expected)
    c, o = np.asarray(conf), np.asarray(ok, dtype=float)
    bins = np.minimum((c * 10).astype(int), 9)
    return float(sum(abs(c[bins == b].mean() - o[bins == b].mean()) * (bins == b).sum()
                     for b in range(10) if (bins == b).any()) / len(c))


def test_calibrated_on_held_out_phrasings(matcher: Matcher) -> None:
    """On kb_eval's in-scope lines (never used to tune) what the classifier says is about how
    often the matcher is right (measured in docs/benchmarks.md; the bound leaves room for
    knowledge-base edits)."""
    assert expected_calibration_error(matcher, EVAL) < 0.15


def test_signals_explain_the_classifier(matcher: Matcher) -> None:
    result = matcher.match("俺想把公积金取出来买房子")
    assert result.intent == "hpf_withdraw"
    assert 0.0 < result.signals["classifier"] <= 1.0
    assert result.signals["classifier_none"] < 0.2
    assert "classifier" in result.to_json()["signals"]  # type: ignore[operator]


@pytest.mark.parametrize("text", ["给我唱首歌吧", "明天下不下雨", "帮我订个酒店", "你是男的女的"])
def test_chatter_is_rejected(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert (result.intent, result.action, result.department) == (None, "none", None), result
    assert result.signals["classifier_none"] > 0.5


def test_a_new_phrasing_no_example_has_is_understood(matcher: Matcher, kb: KnowledgeBase) -> None:
    """Words of several examples, in an order none of them has: the fuzzy signal alone stays
    low, the classifier carries it."""
    text = "单位一直拖着工钱不发，我们几个人找谁"
    result = matcher.match(text)
    assert result.intent == "wage_arrears", result
    assert result.signals["classifier"] > result.signals["example_chars"]
    plain = Matcher(kb, learned=False).match(text)
    assert "classifier" not in plain.signals
