"""A social or medical insurance fee that went wrong when paid: the tax bureau's matter.

The tax bureau collects social and medical insurance fees (its duties: 社保费和医保费征收),
so a payment that was taken twice, or taken and shown as unpaid, is for it to put right —
while the FAQs on how to pay (pension_payment, resident_medical_payment) only say how. Four
writers of the blind sets, each on their own, sent such calls to tax: 城乡居民医保费在税务APP
上被扣了两次钱, 在税务APP上交的社保费，钱扣了，却显示缴费失败. A fee named and a payment
gone wrong, both, make the rule; a reimbursement (报销) is medical insurance's own money and
is left alone. Pure.
"""

from __future__ import annotations

import re

__all__ = ["fee_went_wrong"]

# The text is normalised (no punctuation), so a gap is a few characters of one clause.
_FEE = re.compile(r"社保费|医保费|养老保险费|医疗保险费|(?:交|缴).{0,8}(?:社保|医保)")
_WRONG = re.compile(r"扣了两次|扣了两回|重复扣|多扣|扣.{0,6}(?:却|但|可).{0,6}显示|"
                    r"显示(?:没交|未缴|没缴|欠费|缴费失败|失败)|缴费失败|扣款失败|没到账")
_NOT_FEE = re.compile("报销|报账|结算")


def fee_went_wrong(text: str) -> bool:
    """Does the (normalised) utterance report an insurance fee payment gone wrong?"""
    return bool(_FEE.search(text) and _WRONG.search(text) and not _NOT_FEE.search(text))
