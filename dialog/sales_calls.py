"""A sales call: the caller offers something, no request of theirs at all.

Telemarketers dial every number, the hotline's too: 城东新开的楼盘，首付只要十万，您考虑一下吗,
我是XX教育的课程顾问…暑期班现在有优惠, 我们这边做企业贷款的…请问贵单位有需要吗. Their words
are a department's (楼盘 the housing bureau's, 孩子的学习 education's, 贷款 the housing fund's),
so the matcher routed or answered them. The seller's turn gives them away: an offer put to the
listener (您考虑一下吗, 贵单位有需要吗, 您家需要装修吗), a sales title (课程顾问, 置业顾问), a
limited-time discount. A complaint about such calls (推销电话, 骚扰, 骗) is left to the matcher.
Chosen on two dev writers (blind5, blind19); no knowledge-base example or in-scope dev line has
the shape. Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["is_a_sales_call"]

_OFFER = re.compile(
    # an offer put to the listener (the trailing 吗 is gone after normalising)
    r"(?:(?:您|你)家|贵单位|贵公司)(?:有没有|有)?(?:需要|意向|兴趣)|"
    r"(?:您|你)(?:这边)?有(?:没有)?(?:需要|意向|兴趣)|(?:您|你)(?:要不要|考虑一下)|要不要(?:试试|来一|来点)|"
    # a sales title, a discount, a contact asked for
    r"(?:课程|置业|销售|理财)顾问|客户经理|业务员|限时优惠|现在有优惠|报名有优惠|加个微信|"
    r"打扰您")
_COMPLAINT = re.compile("推销|骚扰|骗|冒充|投诉|举报|反映|天天打|老打|总打|给我打")


def is_a_sales_call(text: str) -> bool:
    """Does the (normalised) utterance offer the listener something, with no complaint about
    such calls in it?"""
    return _OFFER.search(text) is not None and _COMPLAINT.search(text) is None
