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

__all__ = ["BACKGROUND", "background_sample"]

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
    # written on 2026-12-05 by a helper working from the departments' duties alone (no
    # evaluation set), with the departments' problem examples in intents.yaml
    "喂，是王姐家吗，我找一下王姐", "哎呀打错了，不好意思啊", "你们这儿是不是订外卖的",
    "明天下不下雨啊，我要出门", "今天外面多少度，要穿棉袄不", "我信用卡额度能不能提高一点",
    "银行卡被冻结了，我是去柜台还是打银行电话", "我手机欠费停机了，咋充话费",
    "宽带又断了，装宽带的师傅啥时候上门", "流量套餐太贵了，我想换个便宜的",
    "你是机器人还是真人啊，声音挺好听的", "给我讲个笑话呗，今天心情不好", "你吃饭了没",
    "我想订一个今晚的位子，四个人", "附近哪有好吃的火锅店", "我家狗老掉毛，是不是得换狗粮",
    "那个电视剧今晚几点播", "帮我算一下三百六乘以十二是多少", "我想买个手机，华为和苹果哪个好",
    "我车险快到期了，哪家保险公司便宜", "我和我对象吵架了，你说我该咋办", "今天是农历几号啊",
    "我老伴打呼噜太响了，有啥好办法", "我想买点基金，现在是不是该入手",
    "我微信红包发错人了，能撤回来不", "你们那边几点了，我手机时间不准",
    "有没有好看的电影推荐，周末想带孩子去看", "红烧肉咋做才好吃", "帮我叫个代驾",
    "彩票今天开的啥号", "今天股市涨了还是跌了", "我就是闷得慌，想找个人说说话",
    "我想给我妈买件羽绒服，啥牌子好", "明天我要去爬山，带点啥好",
    "我手机屏幕碎了，附近哪有修手机的", "你会唱歌不，给我唱一个", "我想去银行存个定期，哪家利息高",
    "我的游戏账号被封了，找谁解封", "超市今天鸡蛋有没有打折", "你知道那个明星演唱会啥时候开票吗",
    "我想学做蛋糕，有没有好的视频推荐", "我老婆过生日，送啥礼物好",
    "手机卡想换个号码，要去营业厅吗", "你们这儿能点歌吗", "今年春节放几天假啊",
    "刚才有人打我电话，我回拨一下，你是谁啊", "那个，我找李经理，他让我打这个号的",
    "我家的花叶子发黄了，是浇水浇多了吗", "昨晚那场球谁赢了", "帮我查一下我银行卡里还有多少钱",
    "我中午吃啥好呢，纠结死了", "你叫啥名字啊，多大了", "我想换个发型，短发好看还是长发好看",
    "明天早上有没有雾，我要开车去郊区", "我想报个旅游团去云南，有推荐的没",
    "移动的客服电话多少来着", "哈哈，我就是试试这个号能不能打通", "酱油和生抽有啥区别",
    "我想给手机换个铃声，咋弄", "家里的旧沙发想卖了，有没有上门收的",
    # written on 2026-12-06 by another helper from the departments' duties and the intents'
    # names alone (no evaluation set), with 12 more caller phrasings per intent in intents.yaml
    "喂，你好", "喂喂喂", "你好啊", "在吗", "今天天气怎么样", "明天会不会下雨", "讲个笑话听听",
    "你是机器人吗", "你叫啥名字", "我打错了，不好意思", "这是外卖电话吗", "我找张经理，他在不在",
    "这不是我儿子的号码吗", "银行卡被冻结了咋办", "信用卡还款日能不能推迟", "我的银行卡密码忘了",
    "帮我查查存款利息多少", "手机欠费停机了怎么充值", "话费怎么突然扣了这么多",
    "宽带又断网了，能不能派人来修", "换个手机套餐找谁", "快递丢了找谁", "我的快递三天没动了",
    "外卖小哥把汤洒了", "拼多多砍价是不是真的", "超市几点关门", "附近哪有好吃的火锅",
    "电影院今晚放什么片子", "彩票中奖号码是多少", "双色球今天开奖了吗", "帮我算算今天运势",
    "明天股票会涨吗", "基金亏了好多，怎么办", "黄金现在多少钱一克", "我老公不回家，你说咋办",
    "跟女朋友吵架了，怎么哄", "我心情不好，失恋了", "帮我写一首诗", "你吃饭了吗", "今天星期几",
    "帮我订张去北京的机票", "火车票还有没有", "酒店能帮我订吗", "我手机屏幕摔碎了，哪里修便宜",
    "电脑开不了机了", "微信账号被封了怎么解", "支付宝花呗额度怎么提", "抖音怎么开直播",
    "游戏充值了没到账", "我家狗不吃东西，怎么回事", "猫丢了，能帮忙找找吗", "推荐个好的减肥方法",
    "红烧肉怎么做好吃", "附近有没有按摩店", "我想买个保险，哪家好", "有线电视没信号了",
    "二手车卖给谁价格高", "哪家装修公司靠谱", "给我推荐个相亲对象", "你们热线的小姐姐真好听",
    "测试一下，测试", "我就是随便打打", "没事，就是无聊", "你们这电话费是谁出的",
    "我朋友借钱不还，你们能帮我要吗", "亲戚家分遗产吵起来了", "美国总统是谁", "世界杯谁赢了",
    "二加二等于几", "手机银行转账转错人了", "银行的理财产品到期了不给兑付", "保险公司不给理赔",
    "航班延误了找谁赔", "打印机卡纸了怎么弄", "小孩作业不会做，帮我讲讲这道题",
    "我想找个保姆，有推荐的吗",
)


def background_sample(limit: int) -> tuple[str, ...]:
    """At most `limit` chatter lines, spread evenly over BACKGROUND.

    The chatter class must not outweigh the knowledge base it is trained beside: with a
    knowledge base of a few examples, all 200-odd lines made every request look like chatter
    (发票开错了怎么办 shares 错了 and 怎么办 with them) and the veto rejected it. A classifier
    trains on as many chatter lines as the knowledge base has rows, or all of them."""
    if limit >= len(BACKGROUND):
        return BACKGROUND
    if limit <= 0:
        return ()
    step = len(BACKGROUND) / limit
    return tuple(BACKGROUND[int(i * step)] for i in range(limit))
