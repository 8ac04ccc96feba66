"""A question for an office none of our departments is gets no answer and no queue
(dialog.other_agencies)."""

from __future__ import annotations

import pytest

from dialog.matcher import Matcher
from dialog.other_agencies import for_another_agency


@pytest.mark.parametrize(("text", "agency"), [
    ("想给我爸办个遗嘱公证要带啥", "justice"),
    ("我想开个证明证明我跟我妈是母子关系派出所说不开", "justice"),
    ("我们村支书把修路的钱揣自己兜里了我要实名举报他", "discipline"),
    ("俺是外地嫁过来的户口迁过来五年了村里分地没我的份", "rural_land"),
    ("孩子学校要志愿服务时长证明", "archives_heritage"),
    ("小区地下室说是人防工程物业拿来当车位出租", "civil_air_defence"),
    ("物业也调解不了听说有那种免费调解的哪儿有啊", "justice"),
    ("楼道里全是电动车在那充电安全出口都堵死了物业也不管", "fire_brigade"),
    ("人民公园湖边那个栏杆断了好几根", "forestry_gardens"),
    ("举报一个科长吃拿卡要办个证非要我请他吃饭送烟", "discipline"),
    ("我要举报工作人员吃拿卡要", None),  # the staff-complaint FAQ
    ("算赔偿要用那个上年度的平均工资统计局公布了没有", "statistics"),
    ("街道要我开个居住证明我是租房子住的", "street_office"),
    ("我那个不动产证材料上个礼拜就交到登记中心了想问问啥时候能拿证", "property_registry"),
    ("小区里有人搞家庭聚会传教天天上门塞传单", "religion"),
    ("退伍证丢了能补不", "veterans_military"),
    ("我儿子在监狱里服刑想问一下家属探视要怎么预约", "justice"),
    ("我要上访我的事情十年了没解决", "petitions"),
    ("河里有人拿电瓶电鱼小鱼苗都死了", "agriculture"),
    ("有个科长收了我五千块钱说帮我把营业执照办下来", "discipline"),
    ("村里修路每家摊派五百块不交的话说以后不给开证明", "discipline"),
    ("律师收了我两万块钱啥也没干电话也不接我要投诉他", "justice"),
    ("那个优待证办下来了能坐公交免费吗", "veterans_military"),
    ("听说区里在招社区工作者年龄限制是多少岁", None),  # a job: hrss's
    ("那个农药打了以后我家的菜全烧死了卖药的说是我兑多了", "agriculture"),
    ("阿拉小区楼下新开了个ktv有没有许可证的", "culture_tourism"),
    ("有个人打电话说他是法院的让我把钱转到啥安全账户", None),  # a fraud: the police's
    ("厂那个大烟囱顶上住了一窝老鹰这是不是保护动物", "forestry_gardens"),
    ("咱们滨河公园晚上能不能多安几盏灯", None),  # a suggestion
    ("家里有线电视一到晚上就花屏", "power_telecom"),
    ("加油站旁边有人私自卖散装汽油", "emergency_management"),
    ("小区门口那个烟酒店卖的中华抽着味儿不对我怀疑是假烟", "tobacco"),
    ("我想跟对象去领证民政局那边要不要预约", "civil_affairs"),
    ("觉得派出所处理不公想去检察院申诉", "justice"),
    ("律师收了钱啥也不干我要投诉他", "justice"),
    ("跟团旅游导游逼着买玉我要投诉旅行社", "culture_tourism"),
    ("老房本是九几年发的要不要换成新的不动产证", "property_registry"),
    ("知青下乡的档案去哪查", "archives_heritage"),
    ("楼顶装避雷针防雷检测找谁", "weather"),
    ("火车半夜鸣笛吵得睡不着", "rail_air"),
    ("单位领导天天公款吃喝", "discipline"),
    ("学校的灭火器都过期了", "fire_brigade"),
    ("工会的困难职工帮扶孩子上大学能申请吗", "trade_union"),
    ("医生收红包不给就不安排手术", None),  # the hospital's: health
    ("区里招社区工作者年龄限制多少", None),  # recruitment: labour's example
    ("路边的树被人砍了好几棵绿化带都秃了", None),  # greenery: housing's example
    ("后天下不下雨我要晒麦子", "weather"),
    ("台风几号登陆我要出海", "weather"),
    ("后山上有人偷砍树", "forestry_gardens"),
    ("公园的厕所老锁着", "forestry_gardens"),
    # the other office named so plainly that a word of ours beside it does not count
    ("校长开公车接送孙子上学", "discipline"),
    ("幼儿园想带孩子参观消防队", "fire_brigade"),
    ("户口迁走了老家宅基地还算我的吗", "property_registry"),
    ("我老公打我我不想报警妇联能管吗", "womens_federation"),
    ("12306上身份证核验不通过", "rail_air"),
    ("办个公证要去哪", "justice"),
    ("出生证明要公证去哪个公证处", "justice"),
    ("老爷子走了留下老房子大哥说他是长子要多分", "justice"),
    ("想给孩子办残疾证是先去医院鉴定吗", "disabled_persons"),
    ("我户口在外地能在这儿办结婚登记吗", "civil_affairs"),
    ("不服仲裁结果能去法院吗", None),  # the arbitration FAQ's own question
    ("老板扣了我三个月的钱想打官司", None),  # wages: labour's
    # normalised as the matcher sees them: no 喂, 请问, 吗 or punctuation
    ("我妈想吃低保去哪申请", "civil_affairs"),
    ("补办结婚证要带什么", "civil_affairs"),
    ("坐高铁把包忘在车上了咋找回来", "rail_air"),
    ("猪要打啥疫苗去哪打", "animal_husbandry"),
    ("我奶奶九十了高龄津贴在哪领", "civil_affairs"),
    ("想把房产证上我前夫的名字去掉咋办", "property_registry"),
    ("房贷还清了抵押登记去哪注销", "property_registry"),
    ("开个小超市想卖烟烟草证去哪办", "tobacco"),
    ("国外买的奶粉被海关扣了让补税", "customs"),
    ("网格员老是上门问我收入", "street_office"),
    ("想开个网吧除了营业执照还要啥许可", "culture_tourism"),
    ("仲裁赢了公司不给钱申请强制执行去哪", "justice"),
    ("村里选举我在外地能委托我妈投票吗", "elections"),
    ("孩子想上体校啥时候招生", "sports"),
    ("下大雨河水就漫上来能不能把河道清一清", "water_resources"),
    ("在村里当过网格员招聘算不算基层经历", None),  # a recruitment: ours
    ("河道里有个排污口冒黑水", None),  # pollution: the environment's
    ("妇联有没有帮单亲妈妈的项目", "womens_federation"),
    ("工会发的购物卡过期了还能用不", "trade_union"),
    ("商场的安全出口被货堆死了", "fire_brigade"),
    ("地里的灌溉渠堵了没人清", "water_resources"),
    ("寄的EMS查不到物流了", "postal"),
    ("过年想卖鞭炮要办啥证", "emergency_management"),
    ("经济普查我家小卖部也要填表吗", "statistics"),
    ("山坡上想种点果树有补助没", "agriculture"),
    ("想找个律师帮我看看合同", "justice"),
    ("领结婚证要带户口本不", "civil_affairs"),
    ("殡仪馆的电话是多少", "civil_affairs"),
    ("残疾证年审在哪", "disabled_persons"),
    ("房产继承要去公证处办吗", "justice"),
    ("邻居欠钱不还我想起诉他", "justice"),
    ("我爸走了几个兄弟为老房子吵翻了这房子该咋分", "justice"),
    ("同事借了我三千块说发工资还结果辞职走人了", "justice"),
    ("继承房子要交契税吗", None),  # the deed-tax FAQ
    ("我爸去世了他的公积金要继承提出来", None),
    ("今年征兵体检什么时候", "veterans_military"),
    ("高铁票改签要手续费吗", "rail_air"),
    ("宽带到期了怎么续费", "power_telecom"),
    ("日本签证要准备什么材料", "embassy"),
    ("社区选举我怎么没有选票", "elections"),
    ("邮局寄的挂号信还没到", "postal"),
    ("河堤上有个口子汛期快到了", "water_resources"),
    ("政府啥时候再发消费券", "commerce"),
    ("店里的灭火器过期了去哪换新的", "fire_brigade"),
    ("初一去庙里拜拜几点开门", "religion"),
    ("初一去寺里烧香要不要预约啊", "religion"),  # incense is no burning
    ("那个清真寺周五几点做礼拜", "religion"),
    ("俺家狗走丢了黑白花的叫旺财", "animal_husbandry"),
    ("我想报名当人口普查员", "statistics"),
    ("房产证上想加我老婆的名字去哪办", "property_registry"),
    ("老房子的土地证找不着了能补不", "property_registry"),
    ("狗老是不吃东西附近有宠物医院吗", "animal_husbandry"),
    ("退休了想去老年大学学画画在哪报名", "culture_tourism"),
    ("想给我家狗打狂犬疫苗哪里有宠物打针的地方", "animal_husbandry"),
    ("狗狗刚打完疫苗能洗澡不", "animal_husbandry"),
    ("我家狗拉肚子两天了附近哪有给狗看病的地方", "animal_husbandry"),
    ("我要跟老公离婚他不同意我去哪告他", "civil_affairs"),
    ("朋友借了我五万块钱写了欠条现在就是不还", "justice"),
    ("雅思咋报名啊", "exam_bodies"),
    ("俺家承包地让邻居占了一垄村里调解不了", "rural_land"),
    ("公证处做个委托公证要多少钱", "justice"),
    # one of our matters named beside it: a department's
    ("低保户的孩子上高中能免学费吗", None),
    ("生育登记要带结婚证吗", None),
    ("委托书要不要公证", None),
    ("废品站天天烧电线", None),
    ("楼顶装了信号基站担心辐射", None),
    ("网上有人冒充法院让我转钱这是诈骗吧", None),
    ("公司拖欠工资我要起诉", None),
    ("护照办了一个月还没寄到", None),
    ("健身房老板跑路了", None),
    ("报警了派出所不给立案", None),
    ("邮政寄来的身份证丢了", None),
    ("防汛期间工地半夜还在施工", None),
    ("消防通道被一楼违建堵了", None),  # the housing bureau's
    ("交房五年了房产证还办不下来开发商说手续没弄完", None),  # the developer: housing
    ("业委会选举被物业操纵了", None),
    ("被狗咬了要去哪打狂犬疫苗", None),  # a person's jab: the health bureau's
    ("宠物医院乱收费我要投诉", None),
    ("被邻居家的狗咬了刚打完疫苗伤口还疼", None),
    ("离婚了房子过户给我要不要交契税", None),
    ("我爸腿脚不便想委托我去办社保卡", None),
    ("要告公司拖欠工资的案子说好下个月开庭又推了", None),  # labour arbitration
    ("卖给我的种子是假的种下去不出苗我要投诉", None),
])
def test_another_agency(text: str, agency: str | None) -> None:
    assert for_another_agency(text) == agency


@pytest.mark.parametrize("text", ["想申请低保，要啥条件", "办美国签证要去哪面签", "残疾证在哪里办"])
def test_a_question_for_another_office_is_an_aside(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals["other_agency"] == 1.0 and result.aside
