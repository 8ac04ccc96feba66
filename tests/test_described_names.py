"""Things named by what they are for are read as their words (dialog.described_names)."""

from __future__ import annotations

import pytest

from dialog.described_names import name_described_things
from dialog.matcher import Matcher


@pytest.mark.parametrize(("text", "named"), [
    # normalised as the matcher sees them
    ("厂里欠了我半年的住房那笔钱", "厂里欠了我半年的公积金"),
    ("想用单位帮我存的钱付首付", "想用公积金付首付"),
    ("单位停了我看病那份", "单位停了我医保"),
    ("扣了十年老了以后领钱的转不回老家", "扣了十年养老保险转不回老家"),
    ("孩子上不了记全家名字的本子", "孩子上不了户口本"),
    ("想把户口从娘家那个本子上迁过来", "想把户口从户口本上迁过来"),
    ("出国用的那个本本过期了", "护照过期了"),
    ("去香港过关的小本子丢了", "去香港港澳通行证丢了"),
    ("住店要刷的那张卡丢了", "身份证丢了"),
    ("厂子倒了听说没活干了能领点生活钱", "厂子倒了听说领失业金"),
    ("工资条上扣了住房那一栏", "工资条上扣了公积金"),
    ("公司不给交那个买房的钱", "公司不给交那个公积金"),
    ("老家给交了一份看病的城里又交了一份", "老家给交医保城里又交了一份"),
    ("卡里每月存进去的那点看病钱能给我妈用不", "卡里每月存医保能给我妈用不"),
    ("生孩子的补贴单位说还没批", "生育津贴单位说还没批"),
    ("我爸那个存买房钱的账户能取不", "我爸那个存公积金的账户能取不"),
    ("公司欠了我们该存的那笔买房钱", "公司欠了我们该存的那笔公积金"),
    ("每个月工资里扣的那几样到底交了没", "每个月工资里扣的社保到底交了没"),
    ("娃想落到俺家那个本子上", "娃想落到户口本上"),
    ("去澳门的那个证过期了", "港澳通行证过期了"),
    ("上学要那个暂住的卡", "上学要那个居住证"),
    ("医院说要他生下来那张纸", "医院说要他出生证明"),
    ("吃饭要张能报账的票老板不给", "吃饭要张发票老板不给"),
    ("小公司每个月还得去报那个表吗", "小公司每个月纳税申报吗"),
    ("我要买两张票", "我要买两张票"),  # a ticket, no receipt
    ("老板让我拿假票冲账", "老板让我拿假发票冲账"),
    ("单位天天拿这种票报账", "单位天天拿这种假发票报账"),
    ("店关了还是每个月让我报", "店关了还是每个月纳税申报"),
    ("每个月报销一次", "每个月报销一次"),
    ("一碗面收我五十菜单上没写价格", "一碗面收我五十没有明码标价"),
    ("攒够了买房的钱", "攒够了买房的钱"),  # savings, no fund
    # the housing bureau's housing money, what a hospital charges
    ("住房补贴那笔钱啥时候发", "住房补贴那笔钱啥时候发"),
    ("看病的钱太贵了", "看病的钱太贵了"),
])
def test_described_things_are_named(text: str, named: str) -> None:
    assert name_described_things(text) == named


def test_the_housing_money_reaches_the_fund(matcher: Matcher) -> None:
    result = matcher.match("公司倒闭了，欠了我们两年的住房那笔钱一直没存")
    assert result.department == "housing_fund"
