"""One character alone is never an FAQ answer or a routed problem on resemblance only."""

from __future__ import annotations

import pytest

from dialog.matcher import Matcher


@pytest.mark.parametrize("text", ["不", "不不不", "汪汪汪", "贷"])
def test_one_syllable_answers_and_routes_nothing(matcher: Matcher, text: str) -> None:
    # 不 had been the income-tax settlement FAQ (补 by sound), 汪汪汪 the online-services FAQ
    # (网); repeats are one character after normalisation
    result = matcher.match(text)
    assert (result.action, result.intent, result.department) == ("none", None, None)


@pytest.mark.parametrize(("text", "intent"), [("对", "yes"), ("是是是", "yes"), ("行", "yes")])
def test_a_system_intent_of_one_character_still_counts(
        matcher: Matcher, text: str, intent: str) -> None:
    assert matcher.match(text).intent == intent
