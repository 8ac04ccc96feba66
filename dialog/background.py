"""Chatter no hotline department serves: the classifier's "none of these" class.

A classifier trained only on the knowledge base's intents must spread all its probability over
them, so a caller asking for a song gives some intent a probability that looks like
confidence. Training one more class on what callers say that is *not* a government matter
(wrong numbers, personal errands, commercial services, small talk) lets out-of-scope
utterances put their probability there; the intents keep what is left. Written by hand from
the kinds of calls any hotline receives, not from an evaluation set. Words that are also
duties (投诉, 医院, 工资 …) are kept out so the class does not learn to reject real requests.
Pure data.
"""

from __future__ import annotations

__all__ = ["BACKGROUND"]

BACKGROUND: tuple[str, ...] = (
    # small talk and the bot itself
    "你叫什么名字", "你是机器人还是真人", "你今年多大了", "你有没有男朋友", "你喜欢吃什么",
    "陪我聊会儿天吧", "我今天心情不好", "我好无聊啊", "你在干嘛呢", "你会说英语吗",
    "你觉得我长得好看吗", "早上好啊", "晚安", "今天是星期几", "现在几点了",
    # entertainment
    "唱首歌给我听", "讲个故事吧", "说个笑话听听", "放点音乐", "最近有什么好看的电影",
    "帮我查一下昨晚球赛的比分", "推荐几本好看的小说", "玩个猜谜游戏吧", "明星八卦有啥新闻",
    "帮我搜一下抖音上那个视频",
    # weather, travel and leisure
    "明天会下雨吗", "今天外面多少度", "这周天气怎么样", "国庆去哪旅游比较好",
    "帮我订一间酒店", "帮我买两张电影票", "去上海的机票多少钱", "附近有什么好玩的地方",
    "景区门票多少钱一张",
    # commercial services and shopping
    "帮我点个外卖", "我想买一部新手机", "哪家的烤鸭好吃", "附近有没有咖啡店",
    "帮我叫个跑腿送东西", "快递到哪里了", "帮我预约洗车",
    "信用卡额度怎么提高", "银行卡密码忘了", "股票明天会涨吗", "基金要不要卖掉",
    "宽带装一下多少钱", "手机流量用完了", "帮我查一下话费余额",
    "有没有搬家公司的电话", "保姆一个月多少钱",
    # personal matters and errands
    "我家狗狗生病了", "帮我给我老婆发个短信", "帮我记一下明天要开会", "提醒我下午三点吃药",
    "我钥匙找不到了", "我想学做红烧肉", "孩子作文不会写帮帮我", "帮我翻译一句英文",
    "这道数学题怎么做", "我该买什么生日礼物", "我和我老公吵架了", "想找个对象",
    "帮我算一下三十八乘以七", "给我起个好听的名字",
    # wrong numbers
    "打错电话了", "是张师傅家吗", "请问是外卖店吗", "我找李老板", "我以为是我女儿的电话",
    "这里是不是修手机的", "喂喂喂听得到吗我打错了", "是出租公司吗我要订车",
)
