"""A sales call offers the listener something: no request (dialog.sales_calls)."""

from __future__ import annotations

import pytest

from dialog.sales_calls import is_a_sales_call


@pytest.mark.parametrize(("text", "sales"), [
    # normalised as the matcher sees them (the trailing 吗 is gone)
    ("城东新开的楼盘首付只要十万您考虑一下", True),
    ("我是XX教育的课程顾问想了解一下您家孩子的学习情况", True),
    ("我们这边做企业贷款的利息低放款快贵单位有需要", True),
    ("姐我们这新出的保健品对降血压特别管用要不要试试", True),
    ("我们是做装修的您家需要装修", True),
    # a complaint about such calls, or a caller's own request: left to the matcher
    ("天天有人打电话推销贷款问我有没有需要", False),
    ("有人冒充客户经理让我转账", False),
    ("我们是做小生意的客户老要电子发票", False),
    ("你们需要什么材料", False),
])
def test_sales_call(text: str, sales: bool) -> None:
    assert is_a_sales_call(text) is sales
