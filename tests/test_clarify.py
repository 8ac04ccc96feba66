"""Tests for dialog.clarify: reading the caller's answer to a clarifying question."""

from __future__ import annotations

import pytest

from dialog.clarify import REJECT, choose
from dialog.types import Candidate, MatchResult

PENDING = ("sbk_reissue", "hpf_withdraw")


def said(text: str, intent: str | None = None, action: str = "none",
         candidates: tuple[Candidate, ...] = ()) -> MatchResult:
    return MatchResult(intent, 0.9, None, action, text=text,  # type: ignore[arg-type]
                       candidates=candidates)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (said("对", "yes"), "sbk_reissue"),
        (said("不是", "no"), REJECT),
        (said("第二个"), "hpf_withdraw"),
        (said("后面那个吧"), "hpf_withdraw"),
        (said("第一个"), "sbk_reissue"),
        (said("前者"), "sbk_reissue"),
        (said("公积金怎么取", "hpf_withdraw", "answer"), "hpf_withdraw"),
        (said("社保卡和公积金", None, "clarify", (Candidate("hpf_withdraw", 0.5),)),
         "hpf_withdraw"),
        (said("发票怎么开", "tax_invoice", "answer"), None),
        (said("嗯那个"), None),
    ],
)
def test_choose(match: MatchResult, expected: str | None) -> None:
    assert choose(PENDING, match) == expected


def test_an_ordinal_beyond_the_candidates_is_not_a_choice() -> None:
    assert choose(("sbk_reissue",), said("第二个")) is None
    assert choose(("sbk_reissue",), said("对", "yes")) == "sbk_reissue"
    assert choose((), said("对", "yes")) is None
