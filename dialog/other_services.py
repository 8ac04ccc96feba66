"""Questions for another service: a utility's bill, a bank's counter, an insurance firm.

水费单子丢了，这个月要交多少 names water (the housing bureau's water supply) and 交 (a tax word),
so the matcher took it for the small-business tax FAQ; 我给孩子买的那个商业保险想退了 went to tax
too. What the caller asks is a firm's business: what a water, power, gas or phone bill comes to
and how to pay it; cash, deposits, transfers and credit cards at a bank; a commercial insurance
policy. None is a department's duty here. A problem with the supply itself (停水, 水压, 燃气
泄漏) or with social insurance (社保, 医保) is left alone, as is any complaint (乱收费 is the
market regulator's). The matcher treats a match as an aside (`signals.other_service`). Pure.
"""

from __future__ import annotations

import re

__all__ = ["for_another_service"]

_BILL = re.compile(r"(?:水费|电费|燃气费|煤气费|天然气费|话费|网费|宽带费|手机费|手机话费)"
                   r".{0,12}?(?:交多少|多少钱|怎么交|在哪交|哪里交|去哪交|余额|账单|单子|欠费|充值|"
                   r"缴费|交费)|抄表")
_BANK = re.compile(r"取现金|取点现金|存钱|存款|转账|信用卡|理财产品|银行卡密码|网银|银行房贷|"
                   r"(?:微信|支付宝)(?:里|上)?的钱.{0,6}(?:咋|怎么)|"
                   # a bare 贷款利率 is the housing fund's FAQ, and so is a commercial loan
                   # turned into one of its loans
                   r"商贷利率|商业房贷(?!.{0,6}转)|银行.{0,6}利率")
# How to do something with a parcel or an online order; a faulty or lost one is a complaint.
_PARCEL = re.compile(r"(?:快递|外卖|网购|网上买|卖家|快递柜|取件码|收货地址|淘宝|拼多多|京东)"
                     r".{0,16}?(?:咋|怎么|如何)|(?:咋|怎么|如何).{0,8}?(?:收货地址|取件码|快递柜)|"
                     # whether a platform's game is real (拼多多那个砍价是真的能砍成吗)
                     r"(?:淘宝|拼多多|京东|抖音|快手|美团).{0,12}?(?:是真的|真的能|靠谱不|靠不靠谱)")
_PARCEL_FAULT = re.compile("不退|不换|不赔|不发货|质量|假货|假的|丢了|丢件|破损|坏了|少了|"
                           "过期|变质|吃了|拉肚子|虚假|宣传")
_INSURER = re.compile(r"商业保险|车险|保险公司|寿险|重疾险|意外险|分红险|万能险|"
                      # and a navigation app
                      r"理财险|学平险|(?<!语音)导航(?:软件|老|总|是不是|有毛病|不准)")
# A matter for a department after all.
_MATTER = re.compile("社保|医保|公积金|养老|失业|工伤|生育|工资|欠薪|税|投诉|举报|反映|乱收费|多收|"
                     "停水|停电|水压|水质|漏|泄漏|不给|欺骗|骗|诈骗|冒充|公检法|安全账户|违法|违规")


def for_another_service(text: str) -> bool:
    """Does the (normalised) utterance ask a utility, a bank or an insurer for its own
    business, with no department's matter in it?"""
    if _MATTER.search(text):
        return False
    if _PARCEL.search(text) and not _PARCEL_FAULT.search(text):
        return True
    return bool(_BILL.search(text) or _BANK.search(text) or _INSURER.search(text))
