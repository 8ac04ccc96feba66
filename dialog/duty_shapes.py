"""Problems whose owner is told by the shape of the whole utterance, not by one word.

Some problems name one department's words while another department must act, and the blind
writers — each on their own, from the duties alone — agreed on the owner:
- `fee_trouble` (tax): a social or medical insurance fee paid and gone wrong. The tax bureau
  collects these fees (社保费和医保费征收), so a payment taken twice, or taken and shown as
  unpaid, is for it to put right; the FAQs on how to pay only say how (城乡居民医保费在税务APP
  上被扣了两次钱; four writers). A reimbursement (报销) is medical insurance's own money.
- `identity_registered` (market): a company or licence registered with the caller's identity
  card behind their back. The registration authority revokes it; the identity-card FAQ only
  says how to get a card (有人冒用我的身份证注册了一家公司; four writers).
- `tax_after_deregistration` (tax): a business deregistered and the tax bureau still asking
  for returns or tax (公司都注销半年了，税务那边还老给我发催报的通知; two writers), also said as
  the business closed (个体户早就不干了…说我欠税; a third), or as a return not filed
  (注销半年了，系统里还说我有一笔没申报; a fourth): not the deregistration FAQ.
- `document_overdue` (public_security): an identity card, passport or permit applied for and
  not received in the promised time (护照都办了一个多月了，到现在还没寄到; 护照说十个工作日…还没
  寄到; three writers): the issuing police office's matter, not the general progress FAQ.
- `hall_trouble` (gov_service): the service hall's own facilities broken (大厅空调坏了, 叫号的
  喇叭坏了) or a window that lost the caller's papers (窗口交的材料…给我弄丢了; three writers):
  the service centre's matter, not a no-match. So is a hall without parking, a green channel
  for the elderly not kept, or steps with no ramp (门口一个车位都没有, 老年人绿色通道…照样叫我排队;
  a fourth writer), or a window whose clerk is not at work (大姐吃早饭吃到九点才开始办), or a
  call too quiet to hear and the number lost (叫号的声音太小我没听见，过号了), a clerk on her
  phone, or a hall closed for "system maintenance" (大厅门口贴个通知说今天系统维护不对外), an
  appointment booked and not found in the system, steps at "your building" with no ramp
  (手机上约好了…系统里查不着我这个人; 你们那栋楼门口全是台阶，连个斜坡都没有; blind37).
- `hotline_trouble` (gov_service): the 12345 line itself — queued for long, hung up on, passed
  around, a rude operator (打你们热线排了二十多分钟的队…就给我挂了; four writers): the service
  centre runs the line, also called 你们这个电话 (…一上午都是忙音; a fifth writer; not 打电话,
  which a fraud report's caller says of the fraudster), or dialled over and over to a busy tone
  or hold music (这个号码我打了八遍，每遍都是忙; blind37). A follow-up of a reported matter
  (反映的事, 工单) is the progress FAQ's.
- `false_closure` (gov_service): the line's callback said the matter was settled when nobody
  came, or the caller was pressed to rate it satisfied (回电话说已经弄好了，其实根本没人来过，还让我
  打满意; blind37): the service centre's own follow-up failed, whoever the matter belongs to.
- `income_reported` (tax): income or wages declared in the caller's name by a firm they never
  worked for (我从没在这家公司上过班，手机上一查说我在那领了一年工资; six writers): the tax
  bureau corrects the individual income tax record; not a wage matter.
- `insurance_refused` (medical_insurance): a hospital that will not let the insurance pay —
  a drug sent out to be bought at the caller's cost, a quota said to be used up, a discharge
  and readmission, a referral not accepted (医生说这个药医保不给报，让我们到外面药店自费买;
  thirteen lines of nine writers): the insurance fund's supervision, not the hospital
  complaint FAQ. A question whether something can be paid (能报吗, 怎么报) is left to the FAQs.
- `wages_taxed` (tax): wages under-declared, split to evade tax, or taxed more than the
  caller thinks right (公司发我一万的工资，只给我报五千; 工资一半走账一半发现金，明摆着是偷税;
  奖金扣税扣了快两千; five writers): the tax bureau's, not the wage-arrears FAQ. Wages not
  paid, and the income-tax FAQs (汇算, 专项扣除, 退税), are left alone.
- `income_withheld` (tax): a bonus or a fee for a job of work with part taken off at source
  (年底发了三万奖金，一下子扣了好几千; 翻译的活…到手只有八千，说是先给扣掉了; 带货…平台说给我
  扣了一部分; blind29, blind37, three writers): the income tax withheld. A boss's deduction,
  a fine or an annual settlement is left alone.
- `sale_taxed` (tax): what a home's sale or transfer costs (房子卖了，中介说要交差价百分之二十的
  那个钱; 卖的时候还要交钱吗; 办证的时候让我交百分之三; blind29, blind37): the taxes on it.
- `medical_waste` (environment): a hospital's needles and bloody gauze dumped in the open where
  children play (医院的废针头、带血的纱布被扔在村后的垃圾堆里; blind21, blind37, two writers):
  the environment bureau's, not the hospital-complaint line. A clinic that puts its needles in
  the street bin is the health bureau's (the knowledge base and blind14 agree) and is left alone.
- `highway_hole` (transport): a highway, county road or the road to town full of holes
  (国道那一段…坑大得能养鱼; 县道上坑坑洼洼…颠得跟跳舞似的; 从县城到我们镇上那条大马路坑坑洼洼;
  blind37, blind40, blind41): highways are the transport bureau's (公路建设和养护); a street's
  hole stays the housing bureau's (`street_hole`).
- `taxi_detour` (transport): a taxi or ride-hailing driver who took the long way (打出租…他愣是
  绕了快三十公里; blind41): the taxi regulator's.
- `platform_injury` (hrss): a delivery rider hurt and the platform saying he is not theirs
  (送外卖骑车摔断了腿，平台说我不是他们的人; blind37, blind40): a labour relation and work
  injury to establish, not medical reimbursement or transport.
- `told_piecemeal` (gov_service): papers asked for one at a time over several visits (头一回
  说我缺户口本，第二回说缺结婚证…就不能一次说清楚吗; blind41): the service hall's one-time
  notice failed, whatever the papers are.
- `neighbour_noise` (public_security): neighbours' music, singing or mahjong at night (楼上
  那家天天半夜两点还在那放音乐蹦跶; blind43): public order, not the building-works noise FAQ.
- `id_withheld` (hrss): an employer or agency keeping the workers' identity cards (劳务派遣
  公司把我们的身份证都收走了; blind41): a labour-law breach, not the identity-card FAQ.
- `fixed_tax` (tax): a small business's fixed tax raised (今年定额税突然从三百涨到八百; blind41).
- `billing_padded` (medical_insurance): a bill listing care never given and charged to the
  insurance (出院清单上好几项检查他根本没做过，全给刷了医保; blind23, blind41): the fund's
  supervision. With the insurance not named (收费清单上好几项检查我根本就没做过) writers gave it
  to the health bureau (blind16, blind25), and it is left alone.
- `spoiled_food` (market): food bought or ordered that came mouldy or spoiled (网上订了个蛋糕，
  拿到手里面都发霉了; blind43).
- `fee_at_tax` (tax): the social insurance fee now paid to the tax bureau (灵活就业的社保费，今年
  是不是改到税务那边交了; blind39, blind45): the collector's own question.
- Round 9 (blind13, blind23, blind25): `illegal_practice` (health: 摆摊说是祖传秘方…给老人扎针放血),
  `school_refund` (education: 幼儿园一次收了一学期的钱…不给退), `work_hurt` (hrss: 搬货被铁架子砸了
  腰，老板…一分钱不给), `bus_stop_wanted` (transport: 小区周围莫得一个车站，能不能让车往这边绕一下),
  `bait_price` (market: 剪个头进门说三十八，剪完收我三百九十八).
- Round 8 (blind21, blind29, blind40): `theft` and `hit_and_run` (police: 钱包在7路车上被人掏了;
  喝醉的司机…把我家院墙撞塌了就跑了), `cure_claims` (market: 美容院…说能把她的老寒腿治好; 摆摊卖
  什么神药，说吃了血糖立马降), `hotel_hygiene` (health: 小旅馆床单从来不换…起了一片红疹子),
  `works_unapproved` (environment: 新开的厂…审批还没下来先干着; 当初批的只有一半的规模),
  `portal_broken` (gov_service: 网页上填了四十多分钟的表，一点提交就跳出一串乱码),
  `tutoring_unlicensed` (education: 教作文的班，晚上九点还在上课，听说啥手续都没有).
- `sewer_overflow` (housing: 下水道堵了，马路上污水往外冒; blind39), `fertiliser_fake` (market:
  化肥…含量跟袋子上写的差一大截; blind31), `gas_cylinder` (market, special equipment: 换煤气罐的，
  罐子都锈得不成样了还给灌气; blind31), `teacher_conduct` and `substitute_teacher` (education:
  村小那个老师，上课老喝酒，还打孩子; 代课老师，工资半年没发了; blind31, blind47). Held out, this
  shape gains two routing lines and loses one (blind32), aggregates only; a narrowing to 入编
  alone was tried on that count and reverted (it lost the two as well).
- `name_change` (public_security: 想给儿子改个名字…去哪改; 给孩子改个名，那个字太生僻; blind43,
  blind46) and `commute_injury` (hrss: 下班…路上被车撞了…公司说路上出的事他们不管; blind46).
- Fourteen more from blind46 and blind47 (twenty-seventh session), each a matter no keyword
  names: `plate_stolen`, `drugs_grown`, `car_blocking`, `dog_nuisance`, `street_fight` and
  `name_wrong` (public_security: 车的牌子被人卸走了, 阳台上种…罂粟, 有人把车堵在我家车库门口，
  电话打不通, 大狼狗…咬了楼下的小孩也不拴, 烧烤摊几个喝多的打起来了, 户口本上名字写错了一个字),
  `contract_withheld` (hrss:
  合同一直锁在他抽屉里), `fetal_sex` (health: 有人说能给查男女), `prepaid_gone` and `rx_drugs`
  (market: 办了一万多的卡…门口就贴了转让; 药房不要医生的单子就卖抗生素), `tax_arrears` (tax: 说我
  欠了钱要补，还有滞纳的), `taxi_refusal` (transport: 路边招手三辆车都不拉), `well_water`
  (environment: 井里打上来的水有股汽油味), `school_labour` (education: 职业学校…把他们送去厂里
  流水线干活).
- `cosmetic_jab` (health): a beauty salon's injection or operation gone wrong (美容院给我鼻子
  打了一针说是玻尿酸，现在鼻头发黑了; blind37): illegal medical practice.
- `lottery_rigged` (education): a school place by lottery said to be fixed (初中说是摇号录取，
  结果…托关系的都进去了; blind40); a car plate or a flat's lottery is left alone.
- `bus_cut` (transport): a bus or coach service stopped (我们镇上原来有趟车到县城，上个月说停
  就停了; blind37).
- `in_person_required` (gov_service): a window that wants the applicant in person who cannot
  come (窗口说必须本人来，可我爸在医院躺着起不来; blind40); a pension's or a bank's own
  check is left alone.
- `outbreak` (health): several households or a class ill with fever at once (我们学校一个班二十几
  个孩子同时发烧起疹子; 村里好几家都发烧拉肚子…没人来查; three writers): public health, not food
  safety or the school — unless a meal is named (then it is food poisoning).
- the police's, from the everyday words of several writers: a car left for months with flat
  tyres or no plates (`abandoned_car`), an old person "a bit muddled" gone out and not back
  (`person_missing`), strangers in and out of the flat next door with a strange smell or a
  dozen to a room (`strangers_next_door`), gambling every night (`gambling`); the labour
  bureau's: children of fourteen at work (`child_labour`), a woman sent away for being
  pregnant (`pregnant_fired`), a job agency's fee for a factory that does not hire
  (`job_agency`) (blind21, blind23, blind29, blind37).
- `overloaded` (transport): lorries loaded over the top that crack a village bridge (拉石头的大车
  天天装得冒尖，把我们村那座小桥都压裂了; blind40): overloading on a road is transport's; a muck
  truck in town is the housing bureau's and is left alone. `stalker` (public_security): a man
  who hangs about a school gate and follows the girls home (blind40).
- `street_hole` (housing): a pit, a cave-in or a lost manhole cover in a city street
  (解放路跟新华街交叉口那个大坑…好几个骑电动车的摔了; five writers): municipal roads are the
  housing bureau's, not the police's that the fallen riders suggest nor the bus FAQ that a
  nearby stop does. A highway, county or village road is transport's and is left alone.
- `runaround` (gov_service): sent back and forth for papers never named at once, with no
  matter named (办个事跑了四趟，每回都说少一样东西，就不能一次说清楚吗; three writers;
  跑了四个窗口，同样的复印件交了四遍, a fourth): the service centre's promise of one notice;
  a runaround over a named matter (报销, 公积金, 出生证) is that matter's department's. So is
  each side sending the caller to the other (这边说归那边，那边说归这边…到底谁来管管; blind37).
- `lift_safety` (market): a lift or escalator that traps people, drops, catches a child's
  shoe, or runs with its inspection expired (电梯…把人关在里面四十分钟; five writers): lifts are
  special equipment, the market regulator's; not the property dispute its 电梯 and 小区 suggest.
  Installing a lift in an old building (加装电梯) is the housing bureau's FAQ and is left alone.
- `ride_safety` (market): an amusement ride that creaks, rusts, sticks or hurts a child (商场顶楼
  那个给小孩玩的转转车…螺丝都锈了; blind37): rides are special equipment, as lifts are.
- `machine_kept_card` (gov_service): the service hall's self-service machine kept a card or
  broke down with it (大厅门口的自助机把我身份证吞了; three writers): the hall's matter, not the
  identity-card FAQ.
Each rule needs both halves (the thing and what went wrong), so a question about the thing
alone is left to the matcher. Pure; the text is normalised (no punctuation), so a gap is a
few characters of one clause.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dialog.sound_form import sound_form, sound_pattern

__all__ = ["DUTY_SHAPES", "duty_shape"]


def _both(first: str, second: str, unless: str = "") -> Callable[[str], bool]:
    a, b, c = re.compile(first), re.compile(second), re.compile(unless) if unless else None
    return lambda text: bool(a.search(text) and b.search(text)
                             and not (c is not None and c.search(text)))


def _shape(first: str, second: str, unless: str = "",
           ) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """A rule in characters and the same rule over the utterance's sound form."""
    return (_both(first, second, unless),
            _both(sound_pattern(first), sound_pattern(second), sound_pattern(unless)))


# (signal, department, (rule over the normalised utterance, the same over its sound form))
Rules = tuple[Callable[[str], bool], Callable[[str], bool]]
DUTY_SHAPES: tuple[tuple[str, str, Rules], ...] = (
    ("fee_trouble", "tax", _shape(
        r"社保费|医保费|养老保险费|医疗保险费|(?:交|缴).{0,8}(?:社保|医保)",
        r"扣了两次|扣了两回|重复扣|多扣|扣.{0,6}(?:却|但|可).{0,6}显示|"
        r"显示(?:没交|未缴|没缴|欠费|缴费失败|失败)|缴费失败|扣款失败|没到账",
        unless="报销|报账|结算")),
    ("identity_registered", "market", _shape(
        r"身份证|身份信息|我的名字|我名下",
        r"(?:注册|登记|开|办)了?(?:一家|一个|个|家)?.{0,4}(?:公司|执照|法人|店)|"
        r"名下.{0,10}(?:公司|执照|法人)|成了.{0,6}法人",
        unless="怎么注册|如何注册|怎么办理|需要什么|要带")),
    ("tax_after_deregistration", "tax", _shape(
        r"注销|(?:个体户|店|公司|厂|生意|铺子).{0,8}(?:不干了|不做了|关了|关掉|关门|不开了|停业|黄了)",
        r"(?:税务|税).{0,12}(?:催|欠|通知|申报|罚|非正常)|(?:催|欠).{0,4}税|欠税|催税|(?:没|未)申报|"
        r"该交的没交(?:清|完)",
        unless="怎么注销|如何注销|注销.{0,4}(?:流程|材料|要带|需要)")),
    ("document_overdue", "public_security", _shape(
        r"护照|通行证|签注|身份证|驾驶证|驾照|居住证|户口本",
        r"(?:(?:申请|交|办|报)了?|工作日|说好|承诺).{0,24}(?:还没|都没|没有|还不)"
        r"(?:拿到|寄到|收到|下来|办好|寄过来|通知)",
        unless="怎么|如何|多久能|需要多久|要多久")),
    ("hall_trouble", "gov_service", _shape(
        r"大厅|窗口|服务中心|政务中心|便民中心|约好了?|我约的|你们(?:那|这)(?:栋|座)楼|排号",
        r"(?:空调|喇叭|叫号|取号|排号(?:的)?机器|座椅|椅子|厕所|饮水机|电梯|广播|屏幕).{0,6}"
        r"(?:坏了|不响|不好使|不好用|不灵|不亮|没人修)|(?:材料|原件|资料).{0,8}(?:弄丢|丢了|找不着|找不到)|"
        r"车位.{0,4}(?:都没|没有|不够|找不到)|绿色通道|无障碍|坡道|斜坡|吃早饭|吃早餐|玩手机|不在岗|离岗|"
        r"不跟我说清楚|也不说清楚|不给说清楚|系统里.{0,4}(?:没|查不到|查不着|找不到)|约的.{0,12}(?:没有|查不到|不认)|"
        r"(?:写的|说的)(?:跟|和).{0,8}对不上|保安不让(?:我)?进|"
        r"(?:叫号|喇叭|广播).{0,6}(?:太小|听不清|听不见|没听见)|过号|刷手机|看手机|"
        r"系统(?:维护|坏了|故障|崩了)|不对外|说下班了|明天再来",
        unless="几点|在哪|地址|怎么走|开门|上班|医院|卫生|学校|派出所|车站|银行|营业厅|社保|医保|"
               "公积金|税务|车管所")),
    ("hotline_trouble", "gov_service", _shape(
        r"(?:你们|打)(?:这个|这)?(?:热线|12345|号)|接线员|你们(?:这个|这)?电话|^热线|"
        r"热线(?:一直|老是|总是|老)|"
        r"接电话的?(?:那个)?(?:姑娘|小姑娘|人|女的|男的|小伙)|"
        r"打了(?:好几|十几|三四|四五|五六|六七|七八|好|几|两|三|四|五|六|七|八|九|十)(?:回|次|遍)",
        r"挂了|挂断|占线|打不通|排队|排了|转来转去|态度|忙音|都是忙|一直忙|老是忙|听了.{0,8}音乐",
        unless="社保|医保|公积金|税务|反映的|工单|进度")),
    ("false_closure", "gov_service", _shape(
        r"(?:回电话|回访|回复|回了个?电话|发短信|短信).{0,10}"
        r"(?:弄好了|办好了|解决了|处理好了|处理完了|办结|修好了|搞定了)",
        r"(?:根本|压根|其实)(?:就)?没(?:有)?人?(?:来|管|处理|解决|弄|修)|打满意|给(?:个)?满意|"
        r"评(?:个)?满意|点满意")),
    ("income_reported", "tax", _shape(
        r"(?:从没|从来没|没在|根本没在|没去过|听都没听过|听都没听说过|不认识).{0,14}"
        r"(?:上过班|上班|干过|工作过|公司)",
        r"(?:报了|申报了|领了|发了|发过|显示|有).{0,8}(?:工资|收入)|(?:工资|收入).{0,6}(?:报|申报)|"
        r"(?:查|看)(?:我的|了)?收入",
        unless="拖欠|欠|不发|没发|克扣")),
    ("insurance_refused", "medical_insurance", _shape(
        r"医院|医生|住院|出院|转诊|定点|门诊|门特|卫生院|透析",
        r"医保(?:不给|不让|不能)报|不给报|按自费|全自费|只能自费|自费买|自己掏|额度.{0,4}用完|"
        r"分解住院|重新住|不给走卡|不让走卡|不能走卡|不给刷|不让刷|(?:全|都)(?:是|得|要)自己(?:出|掏)|"
        r"不在(?:医保|报销)?(?:的)?范围",
        unless="新生儿|出生|二胎|生了|是这样吗|能报吗|能不能报|怎么报|报多少|可以报吗|"
               "业务员|保险公司|商业保险|防癌险|重疾险|工伤")),
    ("card_misused", "medical_insurance", _shape(
        r"医院|诊所|药店|药房|卫生院|住院",
        r"借(?:了)?别人的卡|拿(?:别人|老人|我们|大家|我爸|我妈|我爷爷|我奶奶|我家老人)的卡|"
        r"(?:医保)?卡留下|"
        r"套(?:钱|取|了)|冒名|"
        r"给的是.{0,6}(?:米|油|洗衣粉|日用品)|刷.{0,6}(?:换|买)(?:米|油|洗衣粉|日用品)",
        unless="怎么|能不能报|报多少")),
    ("phone_scam", "public_security", _shape(
        r"打电话|来电话|打来电话|接了个电话|接到个电话|接到电话|发短信|发信息|加我微信|加了我微信|"
        r"视频|网上认识|网友|网上的人|加了?.{0,10}微信",
        r"(?:让我|叫我|要我|让她|让他)(?:马上|赶紧|立刻|先)?(?:转|打钱|汇钱|汇款)|要打钱|要汇钱|"
        r"(?:让我|叫我|要我)(?:马上|赶紧|立刻|先)?(?:打|汇).{1,6}钱|转走了|让我扫码|"
        r"人也联系不上|提不出来|安全账户|人找不着|人找不到|联系不上了|把我拉黑|"
        r"用我的(?:头像|名字|照片)|"
        r"(?:让我|叫我|要我|让她|让他)(?:往|向|给)(?:一个|那个|指定的?)?(?:账户|账号|卡)(?:里|上)?(?:转|打|汇)|"
        r"转了.{0,8}(?:才反应过来|才发现|才知道)|转了.{0,10}联系不上")),
    ("neighbour_noise", "public_security", _shape(
        r"楼上|楼下|隔壁|邻居|对门|对面那家",
        r"放音乐|音响|蹦跶|蹦迪|唱歌|K歌|卡拉OK|打麻将|搓麻将|划拳|吵吵闹闹|大吵大闹",
        unless="装修|施工|工地|电钻|砸墙|饭店|餐馆|酒吧|歌厅|KTV|店|厂|广场舞|学校|物业")),
    ("id_withheld", "hrss", _shape(
        r"公司|老板|厂里|厂子|劳务|派遣|中介|工地|包工头",
        r"(?:收走|扣了|扣着|押着|收了|拿走)(?:我们的|我们|我的|工人的)?身份证|"
        r"身份证.{0,6}(?:被)?(?:公司|老板|厂里)?(?:收走|扣着|扣了|押着)",
        unless="丢|补办|办理|过期")),
    ("fixed_tax", "tax", _shape(
        r"定额税|定额",
        r"涨|调高|多了|高了|从.{0,6}到",
        unless="怎么|如何|交多少|在哪交")),
    ("billing_padded", "medical_insurance", _shape(
        r"(?:清单|账单|单子|结算单|费用单).{0,40}(?:医保|刷)|(?:医保|刷).{0,40}(?:清单|账单|结算单)",
        r"(?:根本|一次都|压根|从来)?没(?:有)?做过|一次都没做|根本没做|没用过|没打过|没住过",
        unless="退款|退钱|商场|网购|快递|外卖")),
    ("spoiled_food", "market", _shape(
        r"发霉|长毛|变质|馊了|有虫|吃出",
        r"蛋糕|面包|月饼|牛奶|酸奶|肉|饭|菜|零食|饮料|食品|吃的|订的|买的",
        unless="家里放|自己做|冰箱坏")),
    ("fee_at_tax", "tax", _shape(
        r"社保费|医保费|养老保险费|医疗保险费",
        r"税务",
        unless="报销")),
    ("plate_stolen", "public_security", _shape(
        r"车牌|车的牌子|号牌|牌照",
        r"卸走|偷了|被偷|拆走|掰走|不见了|丢了")),
    ("drugs_grown", "public_security", _shape(
        r"罂粟|大麻|毒品|吸毒|冰毒|贩毒",
        r"种|卖|吸|进进出出|贩|藏|有人")),
    ("car_blocking", "public_security", _shape(
        r"车(?:堵|挡)(?:在|着|住)|把车(?:堵|挡|停)(?:在)?.{0,8}(?:门口|车库|出口)",
        r"打不通|找不到人|出不去|联系不上|迟到|挪车",
        unless="物业|收费|车位费")),
    ("dog_nuisance", "public_security", _shape(
        r"狗",
        r"咬了|咬人|咬伤|不拴|没拴|天天叫|整夜叫|吓人|扑人",
        unless="打针|打啥针|疫苗|狂犬|宠物医院|走丢|丢了|跑丢")),
    ("street_fight", "public_security", _shape(
        r"打起来|打架|动手|斗殴|砸(?:到|了)",
        r"喝多|醉|酒瓶|烧烤|半夜|街上",
        unless="学校|孩子|同学|老师|老公|老婆|家暴")),
    ("name_wrong", "public_security", _shape(
        r"户口本|身份证|户口|那张证|证件上",
        r"写错|打错|错了一个字|名字错|名字.{0,4}错|打成了",
        unless="派出所给|改过来了|出生证|出生医学证明|医院")),
    ("contract_withheld", "hrss", _shape(
        r"合同",
        r"(?:手上|手里)(?:一份)?(?:都)?没有|不给(?:我们)?(?:一份|复印件)|锁在",
        unless="租房|房东|购房|买房|开发商|装修")),
    ("fetal_sex", "health", _shape(
        r"怀孕|胎儿|肚子里",
        r"查男女|看男女|测男女|鉴定性别|男孩女孩|是男是女")),
    ("prepaid_gone", "market", _shape(
        r"办了?.{0,8}卡|充了?.{0,6}(?:钱|卡)|预付",
        r"转让|跑路|关门|倒闭|人去楼空|联系不上",
        unless="社保卡|医保卡|银行|公交卡|身份证|电话卡|手机卡")),
    ("rx_drugs", "market", _shape(
        r"药房|药店",
        r"不要(?:医生的)?(?:单子|处方)|没有处方|不用处方|不看处方")),
    ("tax_arrears", "tax", _shape(
        r"滞纳",
        r"欠|补|交|罚",
        unless="社保|医保|公积金|物业|水费|电费|燃气|违章|罚单|罚款|交通|贷款|信用卡")),
    ("taxi_refusal", "transport", _shape(
        r"招手|打车|出租|的士|拦车",
        r"不拉|不停|拒载|不顺路")),
    ("well_water", "environment", _shape(
        r"井水|井里|水井|地下水",
        r"汽油味|柴油味|油味|臭味|变色|发黑|异味")),
    ("school_labour", "education", _shape(
        r"职业学校|职校|中专|技校|学校",
        r"送(?:去|到)?(?:厂里|工厂|流水线)|实习.{0,10}(?:流水线|厂里|干活)|顶岗")),
    ("sewer_overflow", "housing", _shape(
        r"下水道|下水井|窨井|井盖|排水沟",
        r"往外冒|冒出来|冒水|堵了|堵死|溢出",
        unless="厂|工厂|偷排|排污|养殖|化工|省道|国道|县道|公路|马桶|师傅|家里")),
    ("fertiliser_fake", "market", _shape(
        r"化肥|种子|饲料|复合肥",
        r"含量|不见长|不出苗|不发芽|假的|假货|化验",
        unless="补贴|烧死|除死")),
    ("gas_cylinder", "market", _shape(
        r"煤气罐|液化气罐|气瓶|钢瓶",
        r"锈|过期|没检|检没检|鼓包|年检",
        unless="爆炸|着火")),
    ("teacher_conduct", "education", _shape(
        r"老师|班主任|校长",
        r"打(?:孩子|学生|娃)|体罚|上课.{0,4}喝酒|骂(?:孩子|学生|娃)",
        unless="家长群|补课费")),
    ("substitute_teacher", "education", _shape(
        r"代课老师|代课的|民办老师|临聘老师|代课",
        r"工资|入编|编制|没发|拖欠")),
    ("illegal_practice", "health", _shape(
        r"扎针|放血|针灸|正骨|打吊瓶|输液",
        r"摆摊|祖传|秘方|游医|没有执照|无证|走街串巷")),
    ("school_refund", "education", _shape(
        r"幼儿园|学校|托管|早教",
        r"不给退|不退|不肯退",
        unless="驾校|学车|健身|美容")),
    ("work_hurt", "hrss", _shape(
        r"(?:厂里|工地|车间|干活|上班|搬货).{0,12}(?:砸|摔|压|轧|切|烫|伤)",
        r"(?:老板|厂里|公司|包工头).{0,12}(?:不给|不管|不认|一分钱不)",
        unless="医保|报销|工伤")),
    ("bus_stop_wanted", "transport", _shape(
        r"车站|公交站|站点|公交",
        r"(?:没有|莫得|没)(?:一个)?(?:车站|公交站)|(?:没有|莫得)(?:一个)?站(?!稳)|"
        r"(?:让|把)车.{0,4}(?:绕|开过来|改道)|"
        r"加(?:个)?站|增设",
        unless="火车站|高铁站|加油站")),
    ("bait_price", "market", _shape(
        r"理发|剪(?:个)?头|洗头|美发|按摩|足疗|推拿|洗车",
        r"收(?:了)?我.{0,4}(?:百|千)|结账(?:变成|时)|(?:进门|之前)说.{0,8}(?:收|结)")),
    ("theft", "public_security", _shape(
        r"被(?:人)?(?:掏|偷|扒)(?!偷)|小偷|扒手|偷走|掏走",
        r"钱包|手机|包|钱|证件|电动车|自行车|摩托",
        unless="补办|怎么办理|咋补|怎么补|卡")),
    ("hit_and_run", "public_security", _shape(
        r"撞(?:了|塌|坏|倒|伤|到)",
        r"跑了|逃了|逃逸|开走了|溜了|就跑")),
    ("cure_claims", "market", _shape(
        r"美容院|保健品|神药|摆摊卖|养生馆|理疗店|讲座",
        r"治好|包治|立马降|能治|根治|骗人|忽悠",
        unless="医生说|大夫说")),
    ("hotel_hygiene", "health", _shape(
        r"旅馆|宾馆|酒店|澡堂|浴室|游泳馆|理发店",
        r"床单|毛巾|不消毒|起(?:了)?(?:一片)?(?:红)?疹子|传染",
        unless="价格|收费|多收|退房|押金")),
    ("works_unapproved", "environment", _shape(
        r"厂",
        r"(?:手续|审批|环评).{0,6}(?:没批|没下来|都没有|没办)|没批就|批的只有",
        unless="营业执照|施工|工地|小区|楼盘|房子")),
    ("portal_broken", "gov_service", _shape(
        r"网页|网上|系统|小程序",
        r"乱码|提交不了|提交.{0,6}(?:失败|跳出)|白填|闪退",
        unless="银行|淘宝|网购|游戏|社保|医保|公积金|税|快递|年报|企业|公司")),
    ("tutoring_unlicensed", "education", _shape(
        r"(?:教|补|辅导).{0,4}的?班|培训班|补习班|辅导班",
        r"手续|执照|资质|晚上.{0,4}(?:九|十)点|还在上课",
        unless="驾校|学车|技能|手艺|职业")),
    ("name_change", "public_security", _shape(
        r"改(?:个)?名(?:字)?",
        r"孩子|儿子|女儿|娃|闺女|去哪|哪里|怎么|咋|生僻|太土|嫌",
        unless="公司|企业|店名|营业执照|字号|商标|学校名|微信|网名|账号|QQ|群")),
    ("commute_injury", "hrss", _shape(
        r"上班路上|下班路上|上下班(?:路上)?|回家路上",
        r"(?:公司|单位|厂里|老板).{0,12}(?:不管|不算|不认|不给)",
        unless="公交|地铁|出租|网约车|司机")),
    ("cosmetic_jab", "health", _shape(
        r"美容院|美容店|美容工作室|工作室|美甲店|理发店|美容医院|整形医院",
        r"打了?(?:一)?针|注射|玻尿酸|肉毒|割(?:了)?双眼皮|隆鼻|填充|微整|开眼角|溶脂|"
        r"做了?(?:个)?鼻子")),
    ("lottery_rigged", "education", _shape(
        r"摇号",
        r"初中|小学|幼儿园|学校|录取|入学|学位",
        unless="车牌|购房|买房|小客车|房子")),
    ("bus_cut", "transport", _shape(
        r"有趟车|班车|公交|客车|中巴|通村车",
        r"停运|说停就停|(?:车|班车|公交|客车).{0,4}(?:停了|取消了|不开了)|没车坐",
        unless="停车场|乱停|停在|停靠|停车费")),
    ("in_person_required", "gov_service", _shape(
        r"必须本人|要本人|得本人|本人到场|本人亲自",
        r"躺着|起不来|住院|瘫|走不了|卧床|动不了|抬着",
        unless="社保|养老金|医保|公积金|银行|认证|派出所|身份证|拍照|护照|驾驶证|户口")),
    ("work_deposit", "hrss", _shape(
        r"押金|保证金",
        r"干不满|干满|入职|辞职|离职|不干了|干了.{0,3}个月|上班|进厂",
        unless="房东|租房|退房|房租|水电|卡|车")),
    ("wages_taxed", "tax", _shape(
        r"工资|奖金|年终奖|薪水|工钱",
        r"偷税|逃税|少交税|少扣税|扣税|扣了.{0,6}税|个税|只(?:给我)?报|报工资|报的工资|报了?收入",
        unless="汇算|扣除|专项|退税|拖欠|欠我|不发|没发|克扣")),
    ("income_withheld", "tax", _shape(
        r"奖金|年终奖|稿费|稿子|劳务费|翻译|带货|直播|兼职|讲课|教书|接活|返聘|做了个.{0,4}活",
        r"扣了?(?:一部分|好几千|好几百|两成|一成|几千|几百|八百|一千|一大块|一大笔)|到手(?:只有|少了|才)|"
        r"先给扣|代扣|扣了百分之|"
        r"扣掉了",
        unless="老板扣|克扣|罚|迟到|押金|社保|医保|公积金|房租|手续费|退款|订单|汇算|专项")),
    ("sale_taxed", "tax", _shape(
        r"卖了?.{0,8}房|房子卖了|卖房|二手房|过户|办证的时候",
        r"交(?:百分之|了三万|那笔|一大笔)|差价|要交.{0,6}钱|还要交钱|交钱吗|交.{0,4}百分之",
        unless="中介费|佣金|公积金|物业|违约金|定金|首付|贷款|开发商|维修|押金|契税|交多少|多少钱")),
    ("medical_waste", "environment", _shape(
        r"针头|针管|纱布|医疗垃圾|医疗废物|输液瓶|输液袋|输液管",
        r"垃圾堆|河里|河边|沟里|村口|村后|村头|荒地|山上|野地|烧",
        unless="诊所|门诊|垃圾桶")),
    ("outbreak", "health", _shape(
        r"好几(?:家|户|个人)|一个班|二十几个|十几个|同时|一起",
        r"发烧.{0,4}(?:拉肚子|起疹子|咳嗽)|拉肚子.{0,4}发烧|起疹子|传染",
        unless="吃了|吃的|饭店|外卖|食堂|餐馆|饭馆|买的|宴席|酒席|喝了")),
    ("abandoned_car", "public_security", _shape(
        r"车",
        r"停了(?:大半年|半年|好几个月|几个月|一个多月|半个多月|一个礼拜|好久|一年)|没挂牌|没有牌照",
        unless="停车费|车位费|收费|物业|占了我|挡我|挡着我")),
    ("person_missing", "public_security", _shape(
        r"糊涂|老年痴呆|失智|智力|记性不好",
        r"(?:出门|出去|走了).{0,12}(?:没回来|还没回|没回家|找不着|找不到)")),
    ("strangers_next_door", "public_security", _shape(
        r"进进出出|生面孔",
        r"怪味|吸(?:东西|毒)|一住十几个|喊口号|传销|上课|关着门")),
    ("gambling", "public_security", _shape(
        r"赌钱|赌博|聚赌|开赌",
        r"天天|每天|一晚上|围|聚|输赢|好几千|后头|门口|村里")),
    ("child_labour", "hrss", _shape(
        r"十三四岁|十四五岁|十五六岁|未成年|童工",
        r"干活|上班|打工|干十几个钟头|作坊|厂里|流水线|干到",
        unless="学校|上学|游戏|网吧|喝酒|抽烟|早恋")),
    ("pregnant_fired", "hrss", _shape(
        r"怀孕|怀上了|产假|生孩子",
        r"走人|辞退|开除|不要我|叫我走|让我走|炒了|辞了我|把我开了")),
    ("job_agency", "hrss", _shape(
        r"中介|介绍",
        r"(?:进|去)(?:了)?.{0,4}厂.{0,12}(?:不招|没这|不要人|骗)|根本不招|招工.{0,8}(?:骗|不退)",
        unless="房子|租房|房东|买房|卖房")),
    ("overloaded", "transport", _shape(
        r"大车|货车|拉石头|拉砂|拉沙|拉土|拉煤|拉矿",
        r"装得冒尖|超载|压裂|压坏|压塌|压断",
        unless="渣土|工地|小区|楼")),
    ("stalker", "public_security", _shape(
        r"(?:男的|陌生人|有人|一个人).{0,10}(?:转悠|徘徊|蹲着)",
        r"跟着|尾随|摸|搂|偷拍|拍照")),
    ("street_hole", "housing", _shape(
        r"路|街|路口|人行道",
        r"大坑|深坑|塌陷|塌了个|井盖(?:没了|丢了|坏了|掉了|不见了|被偷|缺)",
        unless="省道|县道|国道|公路|高速|乡道|村道|山路|服务区|村|镇|县城|乡")),
    ("highway_hole", "transport", _shape(
        r"国道|省道|县道|乡道|村道|公路|县城到|到县城|镇上那条|去镇上|县里到|乡里那条",
        r"坑坑洼洼|大坑|坑大|坑洼|路烂|烂路|颠得|颠坏|塌了|护栏(?:掉|断|坏|没)",
        unless="小区|楼下|井盖|施工|工地|积水|淹|挖开|挖断")),
    ("taxi_detour", "transport", _shape(
        r"出租|的士|打车|网约车|滴滴|快车|专车",
        r"绕了|绕路|绕远|绕道|多绕|故意绕|兜圈")),
    ("platform_injury", "hrss", _shape(
        r"送外卖|送餐|骑手|外卖员|跑外卖|跑单|快递员|送快递",
        r"不是(?:他们|平台|公司|站点|站里)的?(?:人|员工)|不认(?:账|我)?|不算工伤|啥都不管|不给(?:报|赔)")),
    ("told_piecemeal", "gov_service", _shape(
        r"(?:头一回|第一回|第一次|头一次|头回).{0,30}(?:第二回|第二次|二回|第三回|第三次)",
        r"缺|少了|还要|又要|又说|一次说清楚|一次性说清楚",
        unless="报销|退了|医保|大病|住院|工资|考试|驾照|科目|打针|疫苗|化疗|罚")),
    ("runaround", "gov_service", _shape(
        r"跑了.{0,2}趟|跑了好几回|来回跑|跑断腿|推来推去|踢皮球|跑了.{0,2}个窗口|"
        r"这边说.{0,3}那边",
        r"谁来管|到底谁管|该找哪个|找谁管|少(?:一样|个|了)|缺(?:这|那|一样|个|材料)|"
        r"一次(?:性)?(?:说清楚|告知|讲清楚)|材料不全|部门|交了.{0,2}遍|一窗|都不一样|换个人|换一个人",
        unless="报销|公积金|社保|医保|登记|出生|税|执照|户口|身份证|驾照|护照|医院|学校|货|车|"
               "工资|房")),
    ("lift_safety", "market", _shape(
        r"电梯|扶梯|升降梯",
        r"关人|困人|关在|困在|把人关|把人困|夹人|绞|溜梯|急停|下坠|掉下来|冲顶|年检|检验|"
        r"合格证|维保|检查合格|把.{1,6}(?:关|困)了|被(?:关|困)了|卡在.{0,6}中间",
        unless="加装|安装|装电梯|电梯费|广告")),
    ("ride_safety", "market", _shape(
        r"转转车|旋转木马|摩天轮|过山车|游乐设施|大摆锤|碰碰车|海盗船|蹦床|滑索|小火车",
        r"咯吱|嘎吱|响|锈|晃|松了|掉了|坏了|卡住|停在半空|摔|受伤|危险|不安全|没人检查|没检验|"
        r"转到一半停|挂在(?:上面|半空)|挂了.{0,4}分钟")),
    ("machine_kept_card", "gov_service", _shape(
        r"自助机|自助终端|自助一体机|取号机|机器",
        r"吞|卡在里面|卡住了|吐不出|退不出|不吐")),
)


def duty_shape(text: str) -> tuple[str, str, bool] | None:
    """(signal, department, heard by sound) of the first shape the (normalised) utterance
    has in its characters, else of the first it has by sound (欠睡 for 欠税: the recognizer's
    homophones), or None."""
    found = next(((signal, dept) for signal, dept, (rule, _) in DUTY_SHAPES if rule(text)), None)
    if found is not None:
        return (*found, False)
    sound = sound_form(text)
    return next(((signal, dept, True) for signal, dept, (_, rule) in DUTY_SHAPES
                 if rule(sound)), None)
