"""Another service's business is no request (dialog.other_services)."""

from __future__ import annotations

import pytest

from dialog.other_services import for_another_service


@pytest.mark.parametrize(("text", "other"), [
    ("燃气费交重了能退吗", True),
    ("我家燃气表卡里明明买了气插进去显示没气", True),
    ("咋又停水了", True),  # an outage told as no complaint: the water company's (writers)
    ("我住六楼水压太小了白天基本莫得水", True),
    ("反映K7县的停水问题", False),  # a complaint: housing's, as the city's messages
    ("小区停水", False),  # an estate's supply: the knowledge base's phrase
    ("燃气公司上门安检说我的软管要换收我三百块", False),  # the knowledge base: housing's
    ("燃气表到期了要强制换还让我自己掏三百多", False),  # a fee forced: housing's (city)
    ("atm机把我的卡吞了", True),
    # tap water: the water company's
    # an outage told as no complaint: the water company's (twenty-two dev lines of five
    # writers; twenty-seventh session), one told as a complaint the housing bureau's
    ("我们楼停水一天了也没个通知", True),
    ("投诉我们小区长期停水", False),
    ("自来水放出来是黄的能喝吗", True),
    ("小区改造把水管挖断了三天没水用", False),  # the works: housing's
    ("物业停水逼我们交物业费", False),
    ("我爸的养老金在银行卡上密码忘了取不出来", True),  # the bank's rule
    ("银行非要本人到柜台才给取钱", True),
    ("社保卡密码忘了咋办", False),  # the social-security card FAQ
    # heating and a utility account: the heat, gas and water companies'
    ("暖气片冰凉屋里才十几度", True),
    ("房子没人住想报停暖气", True),
    ("燃气过户到我名下去哪办", True),
    ("新房自来水开户要带啥", True),
    ("燃气卡充了钱插表上没反应", True),
    ("存折取钱柜员说冻结了", True),
    ("学校教室冬天没暖气孩子冻得不行", False),  # the school's
    ("燃气开户拖了三个月还做不了饭", False),  # a delay, not how to
    ("单位公积金在哪开户", False),
    # normalised as the matcher sees them: no 喂, 请问, 吗 or punctuation
    ("电费怎么交", True),
    ("这个月燃气费要交多少钱", True),
    ("手机话费余额怎么查", True),
    ("银行几点能取现金", True),
    ("信用卡还款日是哪天", True),
    ("车险快到期了去哪续", True),
    ("银行房贷利率都降了我那笔贷款能不能跟着降", True),
    ("我在建行的商业房贷能提前还不要交违约金不", True),
    ("前几年买的那个分红险现在想退能退回来多少", True),
    ("自来水公司抄表的啥时候来啊家里白天没人", True),
    ("外卖软件上咋改收货地址", True),
    ("淘宝那个签到领红包是真的能领到钱吗", True),
    ("车上导航老是带我绕路是不是该更新了", True),
    ("支付宝里的钱怎么转到银行卡", True),
    ("学平险理赔要哪些材料", True),
    ("网上买的裤子小了卖家同意换我要咋寄回去", True),
    # the supply itself, social insurance, taxes, fraud, a complaint: a department's
    ("物业停水三天了", False),
    ("村里想通自来水找谁", False),
    ("燃气泄漏了", False),
    ("打热线听语音导航听了半天也转不到人工", False),
    ("燃气费乱收费", False),
    ("社保卡的银行卡密码忘了", False),
    ("医保卡里的钱能不能转账给家人", False),
    ("车船税在哪交我买车险的时候没交", False),
    ("接了个电话说是公检法让我把存款转到安全账户", False),
    ("公积金贷款利息多少", False),
    ("现在的贷款利率是多少", False),  # the housing fund's FAQ
    ("我已经办了商业贷款能不能转成利息低的那种", False),  # into a housing-fund loan
    ("网上买的裤子质量太差卖家不退怎么办", False),  # a consumer complaint
])
def test_another_service(text: str, other: bool) -> None:
    assert for_another_service(text) is other
