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
        (said("嗯……前头那个吧"), "sbk_reissue"),
        (said("后边那个"), "hpf_withdraw"),
        (said("后面"), "hpf_withdraw"),
        (said("前面"), "sbk_reissue"),
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


WORDS = {"sbk_reissue": ("社保卡挂失补办", "社保卡"), "hpf_withdraw": ("公积金提取", "公积金")}


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (said("公积金那个"), "hpf_withdraw"),  # named by a piece of its name
        (said("社保卡的事"), "sbk_reissue"),
        (said("都想问问"), None),  # names neither
        (said("社保卡和公积金"), None),  # names both as much: a tie is no choice
        (said("发票怎么开公积金", "tax_invoice", "answer"), None),  # another request wins
    ],
)
def test_choose_by_naming_one(match: MatchResult, expected: str | None) -> None:
    assert choose(PENDING, match, WORDS) == expected


def test_naming_is_no_choice_when_one_was_offered() -> None:
    assert choose(("sbk_reissue",), said("社保卡"), WORDS) is None


DEPARTMENTS = {"sbk_reissue": "hrss", "hpf_withdraw": "housing_fund",
               "hpf_balance": "housing_fund", "tax_invoice": "tax"}


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        # the offer's words, read by the matcher as a sibling in the same department
        (said("公积金的", "hpf_balance", "answer"), "hpf_withdraw"),
        # another department's request that also names an offer is a new question
        (said("发票怎么开公积金", "tax_invoice", "answer"), None),
        # a sibling without the offer's words is no choice either
        (said("余额多少", "hpf_balance", "answer"), None),
    ],
)
def test_a_sibling_read_of_a_named_offer_is_that_offer(
        match: MatchResult, expected: str | None) -> None:
    assert choose(PENDING, match, WORDS, DEPARTMENTS.get) == expected


COMPLAINTS = ("hospital_complaint", "staff_complaint", "suggestion")
COMPLAINT_WORDS = {"hospital_complaint": ("医院服务投诉", "医院"),
                   "staff_complaint": ("投诉工作人员", "推诿"),
                   "suggestion": ("提意见建议", "提个意见")}
COMPLAINT_DEPARTMENTS = {"hospital_complaint": "health", "staff_complaint": "gov_service",
                         "suggestion": "gov_service", "office_hours": "gov_service",
                         "consumer_complaint": "market"}


def test_a_tie_between_two_offers_goes_to_the_department_heard() -> None:
    # 投诉 is in both offers' names; 政务中心 made the matcher hear the service centre's hours
    match = said("是投诉你们政务中心的人", "office_hours", "answer")
    assert choose(COMPLAINTS[:2], match, COMPLAINT_WORDS, COMPLAINT_DEPARTMENTS.get) \
        == "staff_complaint"
    # without the department heard, a tie is still no choice
    assert choose(COMPLAINTS[:2], said("是投诉"), COMPLAINT_WORDS) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("投诉，我就是要投诉", "staff_complaint"),  # the offer's word repeated, fillers around it
    ("投诉吧", "staff_complaint"),
    ("我要投诉卖菜的缺斤少两", None),  # more than the word: the new request stands
])
def test_an_offer_s_word_repeated_is_that_offer(text: str, expected: str | None) -> None:
    match = said(text, "consumer_complaint", "transfer")  # what the bare 投诉 reads as
    assert choose(COMPLAINTS[1:], match, COMPLAINT_WORDS, COMPLAINT_DEPARTMENTS.get) == expected
