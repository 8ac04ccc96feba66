"""An insurance fee paid and gone wrong goes to the bureau that collects it
(dialog.fee_trouble, SecondLooks._fee_collector)."""

from __future__ import annotations

import pytest

from dialog.fee_trouble import fee_went_wrong
from dialog.matcher import Matcher


@pytest.mark.parametrize(("text", "wrong"), [
    # normalised as the matcher sees them: no punctuation
    ("今年的医保费被扣了两次", True),
    ("社保费交了银行也扣款了可是显示未缴", True),
    ("我在手机上缴养老保险费显示缴费失败钱却扣了", True),
    ("交灵活就业社保重复扣费了", True),
    ("社保费交了收据也有系统还显示欠费", True),
    # how to pay, a reimbursement, enrolment: not the collector's
    ("城乡居民医保费在哪交", False),
    ("医保报销的钱多扣了", False),
    ("孩子的医保一直交不上说查不到这个人", False),
    ("超市收银扣了我两次钱", False),
])
def test_a_fee_gone_wrong(text: str, wrong: bool) -> None:
    assert fee_went_wrong(text) is wrong


def test_a_fee_taken_twice_goes_to_the_tax_bureau_not_the_how_to_pay_answer(
        matcher: Matcher) -> None:
    result = matcher.match("我交的城乡居民医保费被扣了两次钱，找谁退")
    assert (result.intent, result.action, result.department) == (None, "transfer", "tax")
    assert result.signals["fee_trouble"] == 1.0


def test_how_to_pay_the_fee_is_still_answered(matcher: Matcher) -> None:
    result = matcher.match("城乡居民医保费怎么交")
    assert result.intent == "resident_medical_payment"
