"""Problems whose owner the shape of the utterance tells go to that department
(dialog.duty_shapes, SecondLooks._duty_shape)."""

from __future__ import annotations

import pytest

from dialog.duty_shapes import duty_shape
from dialog.matcher import Matcher


@pytest.mark.parametrize(("text", "shape"), [
    # normalised as the matcher sees them: no punctuation
    ("今年的医保费被扣了两次", "fee_trouble"),
    ("拉砂的货车装得冒尖把桥压裂了", "overloaded"),
    ("县道上坑坑洼洼拉砖的车一过颠得跟跳舞似的", "highway_hole"),
    ("小区门口那条路有个大坑", "street_hole"),  # a street's: housing
    ("打出租到酒店他愣是绕了快三十公里", "taxi_detour"),
    ("送外卖摔断了腿平台说我不是他们的人", "platform_injury"),
    ("头一回说我缺户口本第二回说缺结婚证就不能一次说清楚吗", "told_piecemeal"),
    ("第一次给退了一部分听说大病还有第二次的", None),  # a second payment, no papers
    ("药店让人拿卡去刷给的是洗衣粉和大米", "card_misused"),
    ("我楼上那家天天半夜两点还在那放音乐蹦跶", "neighbour_noise"),
    ("楼上装修电钻一响就是一天", None),  # building works: housing's
    ("劳务派遣公司把我们的身份证都收走了", "id_withheld"),
    ("今年定额税突然从三百涨到八百", "fixed_tax"),
    ("个体户定额税是怎么核定的", None),  # the FAQ's question
    ("出院清单上好几项检查他根本没做过全给刷了医保", "billing_padded"),
    ("收费清单上好几项检查我根本就没做过", None),  # no insurance named: health's (writers)
    ("网上订了个蛋糕拿到手里面都发霉了", "spoiled_food"),
    ("美容院给我鼻子打了一针说是玻尿酸现在鼻头发黑了", "cosmetic_jab"),
    ("灵活就业的社保费今年是不是改到税务那边交了", "fee_at_tax"),
    ("我家车的牌子前天晚上被人卸走了一块", "plate_stolen"),
    ("想给儿子改个名字他上初中了嫌名字土去哪改", "name_change"),
    ("下水道堵了马路上污水往外冒臭得很", "sewer_overflow"),
    ("钱包在7路车上被人掏了里头有八百块钱", "theft"),
    ("小区里有人摆摊说是祖传秘方包治百病还给老人扎针放血", "illegal_practice"),
    ("幼儿园一次收了一学期的钱孩子只去了一个礼拜就病了不给退", "school_refund"),
    ("俺在厂里搬货被铁架子砸了腰老板说是俺自己不小心一分钱不给", "work_hurt"),
    ("我在厂里干活手指头被机器轧断了老板死活不给报工伤", None),  # the work-injury FAQ's
    ("新搬的小区周围莫得一个车站能不能让车往这边绕一下", "bus_stop_wanted"),
    ("公交司机看我们老年人还没站稳就开车", None),
    ("剪个头进门说三十八剪完收我三百九十八", "bait_price"),
    ("我的手机套餐被偷偷改成了一百九十九的", None),
    ("哎呀我妈的卡被人偷了里头还有钱呢", None),  # a card lost: its reissue FAQ
    ("喝醉的司机开车把我家院墙撞塌了就跑了", "hit_and_run"),
    ("美容院忽悠我妈办了三万块的卡说能把她的老寒腿治好", "cure_claims"),
    ("楼下那家小旅馆床单从来不换我住了一晚上身上起了一片红疹子", "hotel_hygiene"),
    ("那个新开的厂听说啥手续都没批就开工了", "works_unapproved"),
    ("网页上填了四十多分钟的表一点提交就跳出一串乱码", "portal_broken"),
    ("小区楼下开了个教作文的班晚上九点还在上课听说啥手续都没有", "tutoring_unlicensed"),
    ("我家马桶堵了有没有通下水道的师傅电话", None),
    ("化肥买回来撒地里庄稼一点不见长拿去化验含量不对", "fertiliser_fake"),
    ("换煤气罐的罐子都锈得不成样了还给灌气", "gas_cylinder"),
    ("村小那个老师上课老喝酒还打孩子", "teacher_conduct"),
    ("我是学校的代课老师当初说好的入编一直没消息", "substitute_teacher"),
    ("村小的代课老师工资半年没发了", "substitute_teacher"),
    ("公司想改个名字要去哪办", None),  # a company's: the registry's
    ("下班骑电动车回家路上被车撞了公司说路上出的事他们不管", "commute_injury"),
    ("有人把车堵在我家车库门口车上留的电话打不通", "car_blocking"),
    ("隔壁养了条大狼狗上个月还咬了楼下的小孩他们家也不拴", "dog_nuisance"),
    ("被狗咬了要打啥针", None),  # a jab: health's
    ("户口本上名字写错了一个字上学报名学籍对不上", "name_wrong"),
    ("孩子出生证明上名字写错了一个字", None),  # the hospital's certificate: health's
    ("老板跟我们签的合同一直锁在他抽屉里我们手上一份都没有", "contract_withheld"),
    ("有人说能给查男女收三千块", None),  # no pregnancy named
    ("老婆怀孕六个月了有人说能给查男女", "fetal_sex"),
    ("我在美容院办了一万多的卡才做了两次店门口就贴了转让", "prepaid_gone"),
    ("药房不要医生的单子就卖抗生素", "rx_drugs"),
    ("超过十五天没交罚款会有滞纳金吗", None),  # a traffic fine's
    ("路边招手三辆车都不拉说不顺路", "taxi_refusal"),
    ("我家井里打上来的水有股汽油味", "well_water"),
    ("职业学校第二年就把他们送去厂里流水线干活", "school_labour"),
    ("刚接了个电话说我医保卡被冻结了让我往一个账户转钱", "phone_scam"),
    ("热线一直占线我打了一上午才打进来", "hotline_trouble"),
    ("初中说是摇号录取结果托关系的都进去了", "lottery_rigged"),
    ("车牌摇号摇了三年都没中", None),
    ("我们镇上原来有趟车到县城上个月说停就停了", "bus_cut"),
    ("窗口说必须本人来可我爸在医院躺着起不来", "in_person_required"),
    ("我们小区的电梯卡在两层楼中间我被关了四十分钟", "lift_safety"),
    ("买了个防癌险业务员说啥都能报现在住院了又说不在范围里", None),  # an insurer's
    ("工地渣土车超载把小区路压坏了", None),  # a muck truck in town: housing's
    ("有个男的天天在学校门口转悠跟着小女孩", "stalker"),
    ("接电话那个小伙态度太差还挂了我电话", "hotline_trouble"),
    ("早上就去排号排到下午说下班了明天再来", "hall_trouble"),
    ("小区里一辆车停了好几个月没人管轮胎都瘪了", "abandoned_car"),
    ("我妈有点糊涂下午出去遛弯到现在没回来", "person_missing"),
    ("楼下那套房天天进进出出生面孔还有股怪味", "strangers_next_door"),
    ("村头天天有人聚着赌钱输赢好几千", "gambling"),
    ("那个作坊里干活的都是十四五岁的孩子", "child_labour"),
    ("六十五岁坐公交免费吗", None),  # an age, no work
    ("公司知道我怀孕了就让我走人", "pregnant_fired"),
    ("中介收了我五百说介绍进厂结果根本不招人", "job_agency"),
    ("卫生院用过的针管纱布全倒在河边", "medical_waste"),
    ("诊所把针头扔在门口垃圾桶里", None),  # the clinic's conduct: health's
    ("我们村好几家人发烧拉肚子没人来查", "outbreak"),
    ("吃了酒席以后好几家都拉肚子发烧", None),  # a meal: food safety
    ("退休返聘每个月发的钱扣了一大块", "income_withheld"),
    ("帮人写了篇稿子说好三千到手只有两千四", "income_withheld"),
    ("年终奖发了两万一下子扣了好几千", "income_withheld"),
    ("老板扣了我年终奖说我迟到", None),  # the boss's deduction
    ("老房子卖了中介说还要交差价的百分之二十", "sale_taxed"),
    ("二手房过户要交多少钱", None),  # the deed-tax FAQ's question
    ("商场里给小孩坐的旋转木马转起来嘎吱响螺丝都松了", "ride_safety"),
    ("你们回访说问题解决了其实根本没人来过", "false_closure"),
    ("回电话说弄好了还让我打满意", "false_closure"),
    ("这个号我打了十遍每遍都是忙", "hotline_trouble"),
    ("这边说归那边那边说归这边到底谁来管", "runaround"),
    ("网上约好了九点到了窗口说系统里查不着", "hall_trouble"),
    ("你们那栋楼全是台阶连个斜坡都没有", "hall_trouble"),
    ("接了个电话说我儿子出事了让我打三万块钱", "phone_scam"),
    ("被网上的人哄着充游戏钱卡里的钱转走了", "phone_scam"),
    ("社保费交了银行也扣款了可是显示未缴", "fee_trouble"),
    ("我在手机上缴养老保险费显示缴费失败钱却扣了", "fee_trouble"),
    ("交灵活就业社保重复扣费了", "fee_trouble"),
    ("社保费交了收据也有系统还显示欠费", "fee_trouble"),
    ("不知道谁用我的身份证注册了一家公司", "identity_registered"),
    ("我名下突然多了两个公司", "identity_registered"),
    ("身份证丢了以后我成了一家店的法人", "identity_registered"),
    ("我去年注销了公司现在税务说我是非正常户", "tax_after_deregistration"),
    ("店注销了税务还天天催我申报", "tax_after_deregistration"),
    ("身份证办了半个月了还没拿到", "document_overdue"),
    ("港澳通行证交了申请一个多月都没寄到", "document_overdue"),
    ("办事大厅的自助机把我的社保卡吞了", "machine_kept_card"),
    ("政务大厅的空调坏了一个礼拜了", "hall_trouble"),
    ("我在窗口交的原件他们给我弄丢了", "hall_trouble"),
    ("取号机卡住了身份证退不出来", "machine_kept_card"),
    ("我那个小店早就关门了现在说我欠税", "tax_after_deregistration"),
    ("驾驶证说好二十个工作日现在还没寄到", "document_overdue"),
    ("去大厅办事门口一个车位都没有", "hall_trouble"),
    ("大厅说有老年人绿色通道去了还叫我排队", "hall_trouble"),
    ("打你们热线排了半天队接通就给我挂了", "hotline_trouble"),
    ("你们接线员态度太差了", "hotline_trouble"),
    ("你们这个电话我打了一上午都是忙音好不容易通了又给我挂了", "hotline_trouble"),
    ("我都打了好几回了每次排半天队就给挂了", "hotline_trouble"),
    ("打这个号打了一上午都占线", "hotline_trouble"),
    ("窗口说我带的委托书不对到底要啥样的也不跟我说清楚", "hall_trouble"),
    ("在网上约好的周五上午到了窗口说系统里没有我", "hall_trouble"),
    ("跑了三趟每回窗口换个人要的东西都不一样", "runaround"),
    ("从来没在那个厂上过班手机上一查收入说我在那领工资", "income_reported"),
    ("有人借别人的卡去诊所刷卡拿药", "card_misused"),
    ("那个私人医院拉老人免费住院拿我们的卡去套钱", "card_misused"),
    ("换了家医院住院就不给走卡了全得自己出", "insurance_refused"),
    ("有人打电话说是快递理赔让我马上转三千", "phone_scam"),
    ("加了我微信说能办贷款我转了五千就联系不上了", "phone_scam"),
    ("进厂交了五百押金干不满半年不退", "work_deposit"),
    ("我爸接了个电话说我出车祸了要打钱他转了一万", "phone_scam"),
    ("网上认识的网友让我投钱我转了八万现在联系不上了", "phone_scam"),
    ("电梯把我儿子关了半小时", "lift_safety"),
    ("大厅的保安不让我进说要先预约", "hall_trouble"),
    ("网上写的跟窗口说的对不上白跑一趟", "hall_trouble"),
    ("窗口说我户口本上的名字跟身份证对不上不给办", None),  # a record's mismatch, not the hall
    ("退房的时候房东押金不退", None),
    ("窗口的大姐吃早饭吃到九点才开始办", "hall_trouble"),
    ("我们楼的电梯上周把人关在里面四十分钟", "lift_safety"),
    ("商场的扶梯把小孩的鞋绞进去了", "lift_safety"),
    ("办个事跑了四趟每回都说少一样东西", "runaround"),
    ("公司发我一万的工资只给我报五千我怕影响贷款", "wages_taxed"),
    ("解放路跟新华街交叉口那个大坑好几个骑电动车的摔了", "street_hole"),
    ("解放路公交站旁边那个井盖没了", "street_hole"),
    ("县道上有个大坑一个礼拜好几辆车在那爆胎", "highway_hole"),  # transport's, not street_hole
    ("明明是医保定点医院医生说这个药医保不给报让我们到外面药店自费买", "insurance_refused"),
    ("转诊单开好了到上级医院说不认全按自费算", "insurance_refused"),
    ("住院自费的那部分医保能报吗", None),
    ("年底单位发了一万块奖金扣税扣了快两千", "wages_taxed"),
    ("老板拖欠工资三个月还说要扣税", None),
    ("工资不高也要做个税汇算吗", None),
    ("公司都注销半年了系统里还说我有一笔没申报天天发短信说要罚款", "tax_after_deregistration"),
    ("说是一窗通办开个店跑了四个窗口同样的复印件交了四遍", "runaround"),
    ("在大厅取了号叫号的声音太小我没听见过号了又让我重新取", "hall_trouble"),
    ("大老远坐车来大厅门口贴个通知说今天系统维护不对外", "hall_trouble"),
    ("我从没在这家公司上过班手机上一查说我在那领了一年工资", "income_reported"),
    # how to pay, a reimbursement, enrolment, registering on purpose, the card alone: not these
    ("城乡居民医保费在哪交", None),
    ("医保报销的钱多扣了", None),
    ("孩子的医保一直交不上说查不到这个人", None),
    ("超市收银扣了我两次钱", None),
    ("刚才有人打电话说是公安局的我不信他就把电话挂了", None),  # a fraud report: the police's
    ("用身份证注册公司需要什么材料", None),
    ("身份证丢了怎么补办", None),
    ("自助机上能打印社保缴费记录吗", None),
    ("营业执照注销需要什么材料税务要去吗", None),
    ("护照办理需要多久", None),
    ("身份证丢了还没补办", None),
    ("医院大厅的空调坏了", None),  # another institution's hall
    ("政务大厅几点开门", None),
    ("店关了执照怎么注销", None),  # the deregistration FAQ
    ("打你们热线反映的事到现在没人回", None),  # the progress FAQ
    ("社保热线老是打不通", None),  # another office's line
    ("我要找接线员", None),
    ("老楼加装电梯要年检吗", None),  # installing a lift: the housing FAQ
    ("电梯坏了一个多月物业不修我家住十八楼", None),  # 家住 is no 夹住
    ("医保报销跑了四趟每次都说材料不全", None),  # a runaround over a named matter
    ("我在这家公司上过班工资一直没发", None),
    ("社区卫生服务中心的医生经常不在岗", None),
])
def test_a_duty_shape(text: str, shape: str | None) -> None:
    found = duty_shape(text)
    assert (found[0] if found else None) == shape


@pytest.mark.parametrize(("text", "signal", "department"), [
    ("我交的城乡居民医保费被扣了两次钱，找谁退", "fee_trouble", "tax"),
    ("有人拿我身份证去注册了个公司，我一点都不知道", "identity_registered", "market"),
    ("大厅那个自助机把我身份证吞了，吐不出来", "machine_kept_card", "gov_service"),
    ("政务大厅饮水机坏了好几天没人修", "hall_trouble", "gov_service"),  # not the hours FAQ
    ("我个体户早就不干了，突然收到短信说我欠税还有滞纳金", "tax_after_deregistration", "tax"),
])
def test_a_duty_shape_goes_to_its_department_not_to_an_faq(
        matcher: Matcher, text: str, signal: str, department: str) -> None:
    result = matcher.match(text)
    assert (result.intent, result.action, result.department) == (None, "transfer", department)
    assert result.signals[signal] == 1.0


def test_how_to_pay_the_fee_is_still_answered(matcher: Matcher) -> None:
    result = matcher.match("城乡居民医保费怎么交")
    assert result.intent == "resident_medical_payment"
