"""Wrong numbers: a caller who asks whether they reached someone else.

"请问是小区门口卖水果的老板吗" names a street vendor and a residential compound, and the
departments' problem examples are full of both (小区门口有人占道卖水果: urban management), so
the words alone routed this wrong-number call to the housing bureau's queue (route 0.72). What
gives it away is the shape: the whole utterance asks whether the one answering *is* some
person or shop (是王师傅家吗, 你是修鞋的吗, 这里是不是张记饭店). A caller of the hotline
describes a matter or asks how; one who asks "are you X" with X a person or a trade dialled
someone else. The matcher treats such an utterance as chatter (`Matcher._decide`,
`signals.someone_else`). The hotline's own names (是12345吗, 是社保局吗) do not end in a person or
a trade and are left alone. Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["addressed_to_someone_else", "opens_for_someone_else"]

# Who a wrong number is for: a person by kinship or trade title, or a family or shop.
_PERSON = "老板娘|老板|师傅|先生|女士|小姐|经理|大姐|大哥|阿姨|叔叔|大爷|大妈|家|店|铺|饭馆|餐馆"
# "…的" naming someone by their trade (修鞋的, 卖水果的, 送快递的, 开锁的).
_TRADE = "修|卖|送|开|做|搞|装|补|磨|配|擦"  # not 收: 你们是不是收费的 asks about us
_WHO = r"(?:你们?|您|这里|这儿|那边|那里)?是(?:不是)?(?:那个)?"
_PATTERN = re.compile(
    rf"{_WHO}(?:.{{0,12}}(?:{_PERSON})|.{{0,10}}(?:{_TRADE}).{{1,4}}的)")


# "Wrong number" said outright, with nothing else but apologies; 打 as the recognizer also
# writes it (答错了, 达错了: 护士打针打错了 made 答错了 a hospital complaint by sound).
_SORRY = "(?:不好意思|对不起|抱歉|哎呀|哎|啊|呀|哦)"
_DIALLED_WRONG = re.compile(
    rf"(?:{_SORRY}*(?:我|我们)?(?:好像|可能)?[打答达大搭按拨]错(?:了)?(?:电话|号码?)?(?:了)?{_SORRY}*)+")


def addressed_to_someone_else(text: str) -> bool:
    """Does the whole (normalised: no 喂, 请问 or 吗) utterance ask whether the callee is some
    person or shop (是王师傅家, 是小区门口那个修鞋的), or say the number was wrong (打错了)?"""
    return _PATTERN.fullmatch(text) is not None or _DIALLED_WRONG.fullmatch(text) is not None


# A call that opens by asking for someone else, then says what it wants (喂，人民医院吗？帮我转
# 一下心内科; 是实验小学吗？我找二年级三班的张老师; 搬家公司吗，周六上午搬个两室一厅): the callee
# asked for is a person, a trade, a firm or an institution's switchboard, never an office of
# ours (社保局, 派出所, 政务大厅, 12345) and never 物业 (property firms are the housing bureau's
# to supervise). What follows must report nothing: 是人民医院吗？我要投诉你们的医生 is a
# complaint the hotline takes whoever the caller thought they rang.
_CALLEE = ("公司|店|铺|馆|厂|的|总机|门卫|前台|传达室|小学|中学|学校|幼儿园|医院|卫生院|诊所|"
           "住院部|门诊|科|药房|家|老师|护士|主任|医生|大夫|师傅|经理|老板娘|老板|阿姨|叔叔|"
           "大爷|大妈|银行|网点|营业厅|站")
_OURS = re.compile("局|政府|政务|热线|123|中心$|派出所|大队|街道|社区|居委会|办事处|窗口|大厅|物业|"
                   "所$|保障站|服务站|工作站|管理站|监测站")
_OPENING = re.compile(
    rf"(?:(?:喂|你好|您好|哎)+[，,、 ]*)*(?:请问)?(?:这里|这儿|你们|您|你)?是?(?:不是)?"
    rf"(?P<callee>[^，,。？?！!\s]{{0,12}}?(?:{_CALLEE}))(?:吗|嘛|么|吧)[？?，,。！!\s]+"
    rf"(?P<rest>.+)")
# …or by asking for a person by name or post (我找住院部三楼的李护士，她是我侄女).
_ASKING_FOR = re.compile(
    r"(?:(?:喂|你好|您好|哎)+[，,、 ]*)*(?:我)?(?:找一下|找下|找)(?P<callee>[^，,。？?！!\s]{0,12}?"
    r"(?:老师|护士|主任|医生|大夫|师傅|经理|老板娘|老板|阿姨|叔叔))(?P<rest>[，,。？?！!\s].*)?")
_REPORT = re.compile("投诉|举报|反映|不给|不退|不让|乱|坏|堵|吵|脏|骗|欠|打人|受伤|违法|违规|"
                     "没人管")


def opens_for_someone_else(text: str) -> bool:
    """Does the caller's (raw: with 吗 and punctuation) utterance open by asking for a
    person, firm or switchboard not of the hotline (or ask to speak to a person by post),
    and go on to report nothing?"""
    found = _OPENING.fullmatch(text.strip()) or _ASKING_FOR.fullmatch(text.strip())
    return (found is not None and _OURS.search(found["callee"]) is None
            and _REPORT.search(found["rest"] or "") is None)
