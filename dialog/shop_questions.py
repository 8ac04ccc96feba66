"""Questions about a shop: what a noodle bar is called, when a bank closes, whether a stall is out.

A caller who asks 派出所隔壁那家面馆叫啥名字, 人民医院门口那个煎饼摊今天出摊了没 or 中国银行下午几点
关门 wants to know something about a private business, which no department answers. The words
around the shop are a department's (派出所, 医院, 学校, 公交站) and the question's words are an
FAQ's (几点关门 is the service hall's opening hours), so the matcher took such questions for the
hukou FAQ, the hospital-complaint line or the hall's hours. What gives them away is the shape:
the whole utterance names a shop or a vendor (…店, …馆, …摊, 银行, 营业厅, 卖鱼的) and then asks one
thing about it — its name, its WeChat or phone number, its owner's surname, whether it sells
something, whether it is still there, when it opens. A matter for the government is a complaint
about the shop (卖过期的, 乱收费, 吵): the words before the shop must hold none of those, and the
question must end the utterance. The matcher treats a match as chatter (`Matcher._decide`,
`signals.shop_question`). Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["asks_about_a_shop"]

# A private business or vendor. Not 厅 or 所 alone: the service hall (大厅) and the police
# station (派出所) are the government's own.
_SHOP = (r"(?:[\u4e00-\u9fffA-Za-z0-9]{0,5}(?:店|馆|摊|铺|亭|超市|商场|银行|营业厅|食堂|网吧|"
         r"发廊|理发的|菜场|小卖部|工行|建行|农行|中行|招行|交行|邮储|公园|动物园|游乐场|景区|电影院|"
         r"健身房)|(?:卖|修|开)[\u4e00-\u9fff]{1,3}的)")
# What is asked about the shop; the end of the utterance.
_ASK = (r"(?:(?:的)?(?:老板娘?|师傅|老板的)?(?:"
        r"叫(?:啥|什么|个啥)(?:名字?)?|名字(?:叫(?:啥|什么))?|(?:的)?微信(?:号)?(?:是多少)?|"
        r"(?:电话|手机)(?:号码?)?(?:是多少)?|姓(?:啥|什么)|"
        r"有没有(?:得)?卖[\u4e00-\u9fff]{1,6}|卖不卖[\u4e00-\u9fff]{1,6}|(?:还)?在不在|"
        # whether it has something in stock (药店还有那个布洛芬不, 超市有没有二十斤装的大米)
        r"(?:还有|有没有)(?:那个|那种)?[\u4e00-\u9fff0-9]{1,10}?(?:不|没|没有|卖)?|"
        r"有卖[\u4e00-\u9fff0-9]{1,8}的?|"
        r"(?:[\u4e00-\u9fff0-9]{0,6})?出摊(?:了)?(?:没|没有)?|"
        r"(?:[\u4e00-\u9fff0-9]{0,6}?)(?:几点)?(?:开门|关门|营业|打烊|开饭|(?:开始)?打折)(?:不|没|了没|没有)?|"
        r"(?:的)?[\u4e00-\u9fff]{0,4}?(?:好不好(?:吃|喝)|好(?:吃|喝)不|怎么样)|"
        r"你去过(?:没|没有)?))"
        r"(?:来着|了|的|呢|啊|呀|你们?(?:晓得|知道)(?:不|吗)?)*"
        # where else it was sought (我跑了三家都没货)
        r"(?:(?:我|俺)?跑了.{1,3}(?:家|个地方)都没(?:货|有|买到))?"
        # the errand it is for (工行周六开门不？我要取点钱)
        r"(?:(?:我|俺)(?:要|想|得)?去?(?:取|存|买|办|逛|带)[\u4e00-\u9fff]{0,5})?")
# Words that make it a matter after all: a complaint or report about the shop.
_MATTER = re.compile("投诉|举报|反映|过期|变质|假|坑|骗|乱收费|吵|扰民|占道|油烟|卫生|无证|无照|"
                     "罚|违法|违规|查一下|查查|管一管|管管|补贴|补助|贷款|政策|许可")
_PATTERN = re.compile(rf"(?P<before>.{{0,16}}?){_SHOP}(?:那家|那个|里|里面|的)?{_ASK}")


def asks_about_a_shop(text: str) -> bool:
    """Does the whole (normalised) utterance ask one thing about a shop or vendor, with no
    complaint or report about it?"""
    found = _PATTERN.fullmatch(text)
    return found is not None and _MATTER.search(text) is None
