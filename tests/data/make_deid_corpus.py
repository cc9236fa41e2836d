"""Assemble ``deid_gold.jsonl``: the gold corpus of ``dajiandu bench deid`` (issue 12).

The sentences below were written by hand for this corpus, in the registers of 容错纠错 case files
and petition summaries; the slots are filled from hand-written value lists, each identifier in
one of several written forms. The annotations (every identifier's kind, its text as written and
where it sits; every must-keep term, written ``【…】`` in a template) come from how each text is
assembled here, never from the de-identifier. Run ``python tests/data/make_deid_corpus.py`` to
write the files again (deterministic).

``deid_heldout.jsonl`` comes from the second set of templates and value lists (``HELD_…``), written
after the recognisers had been tuned on the misses of the first: its figures are the ones that
say how the recognisers do on text they were not fitted to.

Slots: ``{p0}`` the case's own person (given to the de-identifier as the case's name, as the
case library does), ``{p1}``–``{p3}`` other people, ``{m}`` a minority name, ``{phone}``,
``{landline}``, ``{id}``, ``{bank}``, ``{plate}``, ``{email}``, ``{qq}``, ``{wechat}``,
``{uscc}``, ``{village}``, ``{community}``, ``{street}``, ``{house}``.
"""

import json
import random
import re
from pathlib import Path

CASES = [
    "{p0}任【县发改局】【副局长】期间，在【重点项目建设】中因用地手续调整致工期延误，经办人{p1}（电话{phone}）如实说明情况，【2022年】追回资金【35.6万元】。",
    "【2023年】，{p0}在{village}推进【高标准农田】建设，因连续降雨造成返工损失约【12.8万元】，村民{p1}、{p2}作为证人证实施工程序合规。",
    "{p0}担任{village}第一书记，为推动【乡村振兴】先行垫付种苗款，个人银行卡{bank}转账记录清楚，【动机态度】端正，未【谋取私利】。",
    "经查，{p0}在【招商引资】中承诺的奖补政策超出权限，但经【集体研究】，企业统一社会信用代码{uscc}，【后果影响】较小，【挽回损失】【20万元】。",
    "【疫情防控】期间，{p0}紧急调用车辆{plate}转运物资，未履行【政府采购】程序，司机{p1}（身份证号{id}）证实物资全部用于防控一线。",
    "{p0}在【征地拆迁】补偿中多计面积，被征收户{p1}家住{street}，现已退回多付补偿款【4.2万元】，【性质程度】较轻。",
    "【国企改革】中，{p0}主持的改制方案因评估机构失误低估资产，评估负责人{p1}联系邮箱{email}，经【党委会】研究后及时纠正，【2021年】完成整改。",
    "{p0}在{community}推进老旧小区改造，因设计变更增加投资【86万元】，居民{p1}通过微信{wechat}反映意见，社区及时公示，【程序方法】基本符合规定。",
    "据施工方负责人{p1}（QQ：{qq}）介绍，{p0}为赶工期要求先行施工，【客观条件】所限，【2020年】补办了【招投标】手续。",
    "【城市管理】中，{p0}对占道经营户{p1}作出处罚时适用条款错误，当事人联系电话{landline}，经复议撤销后重新作出决定。",
    "{p0}（{id}）在【脱贫攻坚】中为贫困户{p1}、{p2}代办小额贷款，手续不全但资金全部用于生产，【2019年】按期归还。",
    "【营商环境】专项整治中，{p0}推行容缺受理，一企业（信用代码{uscc}）因资料不全被投诉，经核实属【先行先试】探索，予以【容错纠错】。",
    "{p0}在【生态环保】督察整改中先拆后补，养殖户{p1}住{village}{house}，补偿款【6.3万元】已于【2022年】发放到位。",
    "【2024年】{p0}牵头实施{village}饮水工程，因地质条件变化超概算【18.5万元】，经办人{p1}手机{phone}，【村民代表大会】表决同意追加预算。",
    "{p0}与{p1}在项目验收时未发现隐蔽工程缺陷，施工队长{p2}（车牌{plate}）承担返工费用，【挽回损失】【9.7万元】。",
    "{p0}在担任【县财政局】【局长】期间，为盘活闲置资金拨付至城投公司账户{bank}，未造成损失，【2023年】完成清理。",
    "【2022年】{p0}在{community}开展网格化管理试点，网格员{p1}（电话{phone}）、{p2}协助摸排，试点方案经【党组会】研究通过。",
    "{p0}在推进【易地扶贫搬迁】时提前支付搬迁户{p1}安置补助，其身份证号码{id}与花名册核对无误，【不予容错】情形不存在。",
    "经【经济责任审计】，{p0}任内新建的冷链仓储项目闲置，项目联系人{p1}（{email}）称系市场变化所致，【2021年】已引进企业运营。",
    "{p0}与村会计{p1}在【一事一议】项目中未按【四议两公开】程序公示，但资金【3.6万元】全部用于修路，村民{p2}等人签字认可。",
    "{m}在{village}推广特色种植时，因品种选择失误致部分农户减收，合作社法人代表{p1}（{phone}）组织补种，【2023年】挽回大部分损失。",
    "{p0}在河道清淤中落实【河长制】，将淤泥临时堆放于村民{p1}承包地，其住址{street}，现已复垦并补偿【1.2万元】。",
    "【2020年】{p0}为保障【重点项目建设】用电，先行协调{village}架设线路，经办人{p1}、{p2}的银行账号{bank}收到临时占地补偿。",
    "{p0}在工程款支付中审核不严，施工单位（统一社会信用代码：{uscc}）多报工程量【27.4万元】，发现后全额追回。",
    "{p0}在【林长制】落实中批准采伐更新，护林员{p1}（QQ号{qq}）提出异议，经调查系规划图斑错误，【后果影响】轻微。",
    "{p0}作为【县住建局】【副局长】，在危房改造中将补助先行拨付给农户{p1}（{id}），后补齐验收资料，【动机态度】端正。",
    "【2023年】{p0}为解决企业融资难组织银企对接，企业联络员{p1}电话{landline}，相关担保事项经【集体研究】决定。",
    "{p0}在{community}疫情封控期间调用社区车辆{plate}，为独居老人{p1}、{p2}送药，事后补办了用车审批。",
    "{p0}在土地整治项目中因测绘公司失误多计面积，测绘员{p1}（微信号：{wechat}）已承担相应责任，追回资金【15万元】。",
    "{p0}在【2022年】防汛抢险中先动用后报批应急物资【46万元】，仓库保管员{p1}出具了出库记录，【客观条件】紧急。",
    "{p0}主持修订的补贴办法存在漏洞，申领人{p1}家住{village}{house}，多领补贴【0.8万元】，已退回并完善制度。",
    "{p0}在【政府采购】中选择了报价较高的供应商，供应商联系人{p1}（邮箱{email}）说明系质保期更长，经评估认定【性质程度】较轻。",
    "{p0}为推进集体经济发展，以{village}名义入股合作社，合作社理事长{p1}（手机{phone}）按期分红，【2024年】收回本金【10万元】。",
    "{p0}、{p1}在易涝点改造中未等设计批复即开工，后经专家{p2}论证方案可行，未造成损失，予以【部分容错】。",
    "{p0}在审批临时建筑时未实地核查，建设人{p1}（身份证{id}）超面积搭建，现已拆除，【2021年】作出书面检查。",
    "【2022年】，{p0}为盘活{community}闲置用房引入养老机构，机构负责人{p1}的对公账户{bank}已退还押金，【程序方法】合规。",
    "{p0}在乡镇机构改革中临时借调{p1}、{p2}两名同志，未及时办理手续，借调期满均已返岗。",
    "{m}在牧区推广新型饲草种植，牧民{p1}（电话{phone}）的草场因干旱减产，{m}协调保险理赔【2.3万元】。",
    "{p0}在{village}人居环境整治中拆除村民{p1}的违建猪圈，补偿协议约定款项转入其银行卡{bank}，群众无异议。",
    "{p0}为保障开学组织校舍抢修，施工老板{p1}（车牌号{plate}）先行进场，【2023年】补签了合同。",
]

PETITIONS = [
    "举报人{p1}（电话{phone}）反映{p0}在{village}低保评定中优亲厚友。",
    "来电人{p1}称，{p0}在【征地拆迁】中克扣补偿款，来电人联系方式{landline}。",
    "实名举报人{p1}，身份证号{id}，反映{p0}违规接受宴请，要求回复至邮箱{email}。",
    "来信人{p1}反映{p0}挪用扶贫资金，并附上收款银行卡号{bank}的流水截图。",
    "反映人{p1}（家住{street}）称{p0}在旧城改造中多计面积，联系电话{phone}。",
    "网络举报：{p1}实名反映{p0}公车私用，车牌号{plate}，举报人QQ：{qq}。",
    "信访人{p1}、{p2}联名反映{p0}在{community}换届选举中拉票，联系人电话{phone}。",
    "来访人{p1}（{id}）反映{p0}在【高标准农田】项目中偷工减料，要求【2024年】底前答复。",
    "投诉人{p1}反映{p0}对其经营的企业（统一社会信用代码{uscc}）选择性执法，联系人微信{wechat}。",
    "来电人（电话{phone}）称{p0}在{village}危房改造中索要好处费，来电人姓名{p1}。",
    "举报人{p1}反映，{p0}之妻{p2}在其分管领域承揽工程，举报人手机{phone}，座机{landline}。",
    "12388转来：{p1}反映{p0}违反【中央八项规定】精神，在{community}某餐馆多次宴请，举报人邮箱{email}。",
    "来信人{p1}称{p0}在{village}土地流转中侵占集体收益【5万元】，回信地址{street}。",
    "控告人{p1}反映{p0}打击报复，控告人身份证号码{id}，电话{landline}。",
    "上级转办：举报人{p1}（QQ号{qq}）反映{p0}在项目招标中泄露标底。",
    "反映人{p1}称其补偿款被{p0}截留，款项应转入其银行账户{bank}，联系电话{phone}。",
    "检举人{p1}反映{p0}违规为亲属{p2}办理低保，{p2}现住{village}{house}。",
    "来电人{p1}（电话{phone}）反映{p0}驾驶公车{plate}接送子女上学。",
    "申诉人{p1}认为{p0}对其作出的处分不当，申诉人通讯地址{street}，联系电话{landline}。",
    "来信人{p1}反映{p0}在{community}物业选聘中收受好处，另提供证人{p2}的电话{phone}。",
    "联名举报人{p1}、{p2}反映{p0}在【2023年】村务公开中弄虚作假，联系人{p3}手机{phone}。",
    "举报人{p1}（身份证{id}，电话{phone}）反映{p0}在【招投标】中围标串标。",
    "来访人{p1}反映{p0}强拆其位于{village}的房屋，要求赔偿【30万元】，来访人微信号{wechat}。",
    "网络举报：{p1}反映{p0}违规经商办企业，企业统一社会信用代码{uscc}，举报人邮箱{email}。",
    "实名举报人{p1}反映{p0}在扶贫项目验收中弄虚作假，并提供{p2}的银行卡{bank}作为证据。",
]

NAMES = [
    "王建国", "李秀英", "张海涛", "刘晓梅", "陈志强", "杨丽娟", "黄小波", "赵丽", "吴国平", "周建华",
    "徐文斌", "孙红英", "马建军", "朱明辉", "胡春燕", "郭德胜", "何玉兰", "高志远", "林海峰", "罗桂芳",
    "郑晓东", "梁国栋", "谢雨婷", "宋佳", "唐明", "许国庆", "韩雪", "冯志刚", "邓丽", "曹文军",
    "彭海燕", "曾庆华", "肖红梅", "田野", "董卫东", "袁小平", "潘金凤", "蒋志华", "蔡伟", "余小红",
    "杜建", "叶青", "程立新", "苏小燕", "魏东升", "吕明", "丁春生", "任建平", "沈玉梅", "姚国强",
    "卢亚军", "姜海", "崔永红", "钟秋生", "谭少华", "陆文杰", "汪志明", "范丽萍", "金凤英", "石磊",
    "廖承志", "贾晓龙", "夏雨", "韦国强", "覃小燕", "蒙丽丽", "黎春花", "莫德贵", "农振华", "陆秀兰",
    "欧阳明辉", "司马玉兰", "诸葛建平", "上官燕", "东方红梅", "皇甫志勇", "令狐春", "尉迟敬文",
    "阮氏梅", "卜海军", "邝美云", "龚德明", "邵春华", "熊国华", "秦岭", "邱桂林", "江涛", "尹志平",
    "薛海", "闫春雷", "段玉华", "雷鸣", "侯建设", "龙凤英", "史文华", "陶然", "贺勇", "顾小军",
    "毛建新", "郝运来", "万家富", "严正", "武学文", "戴红", "孔繁荣", "向前进", "汤圆圆", "常青松",
]  # fmt: skip
MINORITY = ["阿依古丽·买买提", "艾尔肯·吐尔逊", "热依拉·艾买提", "买买提·阿不都", "古丽娜尔·吾守尔", "帕尔哈提·依明"]  # fmt: skip
VILLAGES = ["青山村", "东风村", "红星村", "小河村", "大坪村", "石门村", "龙潭村", "新塘村", "柳溪村", "上岭村", "下湾村", "黄泥村", "杨家村", "梅子坳村", "凤凰村", "长岭村"]  # fmt: skip
COMMUNITIES = ["河东社区", "幸福里社区", "建设路社区", "南湖社区", "金桥社区", "朝阳社区", "文华社区", "滨江社区", "东门社区", "翠竹社区"]  # fmt: skip
STREETS = ["民主路12号3栋2单元501室", "人民路88号", "建设大道126号", "解放街45号2单元301室", "朝阳路7号院", "新华路203号", "中山路16号4栋", "青年路55号1单元"]  # fmt: skip
HOUSES = ["3组15号", "5组8号", "二组", "7组21号", "1组3号"]  # fmt: skip
MOBILES = ["13912345678", "13807714321", "15977123456", "18677889900", "13307712468", "17777123890", "19907715566", "13588776655"]  # fmt: skip
LANDLINES = ["0771-5551234", "(0771)2826543", "0773-2821188", "010-88886666", "0771 5612345", "(0779)3023456", "0771-5551234-8021", "0772-2211334转21", "400-800-1234", "4008123456", "800-820-8820"]  # fmt: skip
EMAILS = ["wangjg1975@163.com", "lixy_gx@qq.com", "zhang.haitao@126.com", "cz_liu2020@sina.com", "jubao2023@163.com", "xmc_office@gxzf.gov.cn"]  # fmt: skip
QQS = ["12345678", "987654321", "2468013579", "55667788", "100234"]
WECHATS = ["zhang_san88", "wxid_ab12cd34ef", "lixiaomei-2020", "gxnn_wjg", "WangJianGuo1975"]
PLATES = ["桂A12345", "桂A·D1234", "桂B 6Q8Z2", "粤B·12345", "桂AD12345", "川A8K9J2", "桂C·F5678", "湘A 3B7C9"]  # fmt: skip
ID_BODIES = ["45010219750312", "45030519820607", "45112219900101", "45260119681125", "45072119881019", "45220219950228", "45040319790716", "45010319890610"]  # fmt: skip
BANK_BODIES = ["622202100112345", "621700290012345", "622848002134567", "622588123456789", "620058000123456"]  # fmt: skip
CORPORATE = ["4501 0100 0400 1234 5678", "20-015101040012345"]
USCC_BODIES = ["91450100MA5KX1P2", "92450102MA5L0Y3N", "91450300198765432"]

# ---- held out: written after the recognisers were tuned on the texts above, never tuned on
HELD_CASES = [
    "【2021年】汛期，{p0}未等上级批复即组织{village}群众转移，租用货车{plate}的费用【1.8万元】由{p1}个人垫付，事后报销，【客观条件】紧迫。",
    "{p0}在【县自然资源局】工作时，为加快不动产登记，允许申请人{p1}（身份证号码：{id}）先办后补材料，未造成权属纠纷。",
    "【招商引资】签约前，{p0}向企业代表{p1}承诺减免租金，企业（代码{uscc}）入驻后因政策调整未能兑现，经协商以其他方式补偿【12万元】。",
    "{p0}负责的{community}综合体改造项目，设计单位联系人{p1}（手机号{phone}，邮箱{email}）未按期交图，导致工期延误两个月。",
    "在【乡村振兴】产业项目中，{p0}安排{village}合作社先行采购种苗，出纳{p1}将货款【7.5万元】转入供应商账户{bank}，手续后补。",
    "{p0}在防疫物资采购中，通过微信（{wechat}）联系供货商{p1}紧急订货，未履行比价程序，物资价格与市场价基本持平。",
    "{p0}与同事{p1}、{p2}共同研究后，对{village}{house}的危旧房实施应急加固，费用超出预算【2.6万元】。",
    "{p0}在【城市管理】执法中暂扣了摊贩{p1}的三轮车，摊贩通过QQ（{qq}）投诉，经复核属程序瑕疵，已退还并赔礼道歉。",
    "{m}在组织牧区转场时，因天气突变致牧民{p1}损失牛羊，{m}通过电话{landline}协调保险公司理赔，【挽回损失】【4.4万元】。",
    "【2024年】{p0}为保障项目进度，同意承包方负责人{p1}（{phone}）先行使用临时用地，后补办了审批手续，【后果影响】较小。",
    "经【集体研究】，{p0}决定将闲置校舍租给{p1}经营托育机构，承租人住{street}，租金按月转入学校账户{bank}。",
    "{p0}在【脱贫攻坚】期间为{village}贫困户{p1}、{p2}申请临时救助，其中一户身份证号{id}登记有误，已更正。",
]
HELD_PETITIONS = [
    "来电人{p1}（手机{phone}）反映{p0}在{village}人居环境整治中虚报工程量。",
    "举报人{p1}称{p0}收受施工方好处，举报人要求将回复发送至{email}。",
    "来信人{p1}（住{street}）反映{p0}违规审批宅基地，联系电话{landline}。",
    "实名举报人{p1}（身份证号码{id}）反映{p0}在{community}违规发放补贴。",
    "反映人{p1}微信号{wechat}，反映{p0}在招聘中弄虚作假，要求【2025年】前答复。",
    "信访人{p1}反映{p0}拖欠其工程款【8万元】，请求打入其银行卡{bank}。",
    "来访人{p1}、{p2}反映{p0}驾驶车辆{plate}出入娱乐场所，联系人电话{phone}。",
    "投诉人{p1}（QQ{qq}）称{p0}在企业（统一社会信用代码{uscc}）年检中故意刁难。",
]
HELD_NAMES = [
    "符小明", "岑丽华", "黄思远", "廖晓丽", "温国辉", "樊志强", "葛春梅", "邢建设", "庞丽", "颜伟华",
    "倪红霞", "庄晓峰", "聂海波", "章志勇", "鲁明", "岳红", "翟建华", "殷秀兰", "詹文", "申海燕",
    "欧丽娟", "耿国庆", "关永强", "兰芳", "焦德胜", "俞晓燕", "左春生", "柳青", "甘明亮", "祝红英",
    "包志华", "宁静", "尚志军", "舒畅", "阮志强", "柯文华", "纪红", "梅林", "童小兵", "凌云",
    "慕容雪", "西门庆国", "端木华", "公孙杰",
]  # fmt: skip
HELD_VILLAGES = ["枫林村", "大塘村", "六合村", "水口村", "沙坪村", "白石村"]
HELD_COMMUNITIES = ["桂花社区", "城北社区", "新城社区", "五一社区"]
HELD_STREETS = ["友爱路36号", "长湖路9号5栋1单元201室", "桃源路102号院"]

# ---- local forms (issues 19 and 23): WeChat ids after any of their labels or bare, surnames outside
# the common list, villages, communities and 村民小组, IP addresses, phones in Chinese numerals,
# card numbers that fail Luhn, 老王/小李. Two sets, written apart: LOCAL_* is what the recognisers
# were tuned on; LOCAL_HELD_* was written first, in another register (talk records, complaint
# registers), with its own values, and scored blind before any tuning (see README).
LOCAL_CASES = [
    "{p0}在{vil}实施【高标准农田】建设时，委托{rare}代购种子，货款经{wx}转账支付，【2022年】已全部结清。",
    "{p0}为推进【乡村振兴】，同意{vil}先行施工，施工员{rare}手机{cnphone}，事后经【集体研究】补办手续。",
    "经查，{p0}任内申报系统的登录地址为{ip}，材料系{rare}代为上传，【动机态度】端正，未【谋取私利】。",
    "{p0}将临时救助金【0.9万元】先行转入{rare}的银行卡{card}，后补齐了审批手续，【程序方法】基本合规。",
    "据{nick}回忆，{p0}在{vil}召开【村民代表大会】前已征求意见，【村集体】经营收入未受影响。",
    "{p0}在【社区治理】试点中安排{nick}和{rare}入户摸排，{vil}群众普遍认可，【后果影响】较小。",
    "{p0}与{rare}在【村级】工程验收中未实地核查，{vil}的排水沟返工，【挽回损失】【2.1万元】。",
    "项目联系人{rare}（{wx}）称，{p0}要求先供货后结算，线上订单IP为{ip}，【客观条件】紧迫。",
]
LOCAL_PETITIONS = [
    "举报人称{p0}在{vil}低保评定中优亲厚友，可通过{wx}联系举报人。",
    "来电人（电话{cnphone}）反映{p0}让{nick}代领补贴。",
    "网络举报（来源IP {ip}）：{p0}违规占用{vil}【村集体】土地。",
    "来信反映{p0}将工程款打入{rare}的银行卡{card}，知情人{rare2}可作证。",
]
LOCAL_HELD_CASES = [
    "谈话笔录摘录：{p0}称，【2023年】为赶在汛期前完工，他让{nick}先找施工队进场，相关情况可向{rare}核实，对方{wx}。",
    "核查组调取了{vil}的【村级】账目，{p0}经手的【村集体】收入【4.6万元】已全部入账，出纳{rare}的手机{cnphone}已登记备查。",
    "{p0}在【社区治理】创新试点中，委托{rare}搭建线上议事平台，平台服务器地址{ip}，后因数据迁移延误上线，未造成损失。",
    "据{vil}群众反映，{p0}将补助资金先行打入{rare}的农行卡{card}，后经【集体研究】补办手续，【动机态度】端正。",
    "{p0}回忆：当时{nick}打电话说材料齐了，我就签了字；后查明申报系统登录地址为{ip}，系他人代为操作，【性质程度】较轻。",
    "在【乡村振兴】衔接项目中，{p0}同意{vil}先建后补，技术员{rare}（{wx}）出具了验收意见，【客观条件】所限。",
    "{p0}与{nick}一起到{vil}走访，发现{rare}家的危房未纳入改造，随即协调资金【1.5万元】，补办了审批手续。",
    "经办人{rare}说明：工程款【12.3万元】已转入施工方负责人{p1}的银行卡{card}，联系电话{cnphone}，资金用途清楚。",
]
LOCAL_HELD_PETITIONS = [
    "网络举报（IP：{ip}）：{p0}在{vil}【村集体】资产出租中收受好处，举报人留言{wx}。",
    "来电人称{p0}让{nick}代收拆迁补偿款，来电号码{cnphone}，要求保密。",
    "匿名信反映{p0}与{rare}合伙承揽{vil}道路工程，工程款打入{rare2}名下银行卡{card}。",
    "群众来访反映{p0}在【社区治理】中优亲厚友，称可通过{wx}联系知情人{rare}。",
]
LOCAL_VALUES = {
    "wx_cues": [
        "微信号：",
        "微信：",
        "微信",
        "wx:",
        "wx：",
        "VX：",
        "vx",
        "v信",
        "V信:",
        "微信号 ",
    ],
    "wx_ids": ["gl_wang1988", "tanxm2021", "qiaoyun-77", "Luo_Jian_66", "nanning88xy"],
    "wxid": ["wxid_3k9m2p7q", "wxid_ab7x0y2z9w"],
    "rare": [
        "宓建军",
        "钭晓红",
        "隗志强",
        "郦春梅",
        "璩国华",
        "濮明亮",
        "茆玉兰",
        "禚德胜",
        "蹇海波",
        "眭秀英",
        "郄建平",
        "冼伟明",
        "谌丽娟",
    ],
    "villages": [
        "青石村",
        "石牛村",
        "白沙村",
        "马家湾组",
        "罗村三组",
        "新华社区",
        "桥头社区",
        "高岭屯",
        "瓦窑组",
        "长冲村",
    ],
    "ips": [
        "183.14.22.107",
        "10.20.3.4",
        "36.112.78.200",
        "2408:8256:3a1::7f",
        "240e:468:81:2c::1",
    ],
    "mobiles": ["13877112233", "15807719876", "18978563412", "13707761357"],
    "card_bodies": [
        "6217003320001234567",
        "6228480402564890018",
        "6013826100012345",
        "621661280000123456",
    ],
    "nick": ["老王", "小李", "老陈", "小黄", "老韦", "小蒙"],
    "names": NAMES,
}
LOCAL_HELD_VALUES = {
    "wx_cues": ["微信号：", "微信", "wx ", "WX:", "VX", "vx：", "v信：", "V信", "微信："],
    "wx_ids": ["hh_liuxf77", "nbzhu2019", "xinhy_88", "qiguoqing-01", "Ningbo_Zhu66"],
    "wxid": ["wxid_9kq3m2x7", "wxid_p0l9ok8ij7"],
    "rare": [
        "竺建平",
        "忻海燕",
        "仉立新",
        "亓国庆",
        "笪秀珍",
        "佴志刚",
        "缑明远",
        "郏春华",
        "逄海军",
        "訾雪梅",
        "厍永红",
        "乜小军",
        "蒯建华",
        "郗文斌",
    ],
    "villages": [
        "横溪村",
        "李家岙村",
        "沙溪社区",
        "前王组",
        "下洋村二组",
        "上陈组",
        "龙头屯",
        "白峰社区",
        "竹山村",
        "东岙社区",
    ],
    "ips": [
        "223.104.63.18",
        "117.136.0.45",
        "192.168.10.254",
        "2409:8900:1a2b::35",
        "fe80::1c2d:3e4f:5a6b:7c8d",
    ],
    "mobiles": ["13957432109", "15068201133", "18857409876", "13819945620"],
    "card_bodies": [
        "6222081202003456781",
        "6230580000012345678",
        "6217856100098765",
        "622848003312345670",
    ],
    "nick": ["老周", "小刘", "老黄", "小杨", "老覃", "小陆"],
    "names": HELD_NAMES,
}
_CN_DIGITS = ("零一二三四五六七八九", "〇幺二三四五六七八九", "洞幺两三四五六拐八勾")


def _cn_phone(rng: random.Random, mobiles: list[str]) -> str:
    """A mobile read out in Chinese numerals (一三九…, 幺三九…), grouped 3-4-4 or not."""
    digits = rng.choice(mobiles)
    table = rng.choice(_CN_DIGITS[:2])
    spoken = "".join(table[int(d)] for d in digits)
    return rng.choice(
        [
            spoken,
            f"{spoken[:3]} {spoken[3:7]} {spoken[7:]}",
            f"{spoken[:3]}-{spoken[3:7]}-{spoken[7:]}",
        ]
    )


def _not_luhn(rng: random.Random, bodies: list[str]) -> str:
    """A 16–19 digit card number that fails the Luhn check, in one of the usual groupings."""
    card = rng.choice(bodies)
    if _luhn(card[:-1]) == card:
        card = card[:-1] + str((int(card[-1]) + 1) % 10)
    return rng.choice([card, " ".join(card[i : i + 4] for i in range(0, len(card), 4))])


def _local(rng: random.Random, values: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """The slots of the local forms, each annotated with its form."""
    if rng.random() < 0.3:
        wx: tuple[str, ...] = ("im", rng.choice(values["wxid"]), "wechat")
    else:
        wx = ("im", rng.choice(values["wx_ids"]), "wechat", rng.choice(values["wx_cues"]))
    rare = rng.sample(values["rare"], 2)
    village = rng.choice(values["villages"])
    return {
        "wx": wx,
        "rare": ("person", rare[0], "rare_surname"),
        "rare2": ("person", rare[1], "rare_surname"),
        "vil": ("address", village, "village"),
        "ip": ("ip", rng.choice(values["ips"]), "ip"),
        "cnphone": ("phone", _cn_phone(rng, values["mobiles"]), "chinese_numeral_phone"),
        "card": ("bank_card", _not_luhn(rng, values["card_bodies"]), "card_not_luhn"),
        "nick": ("person", rng.choice(values["nick"]), "nickname"),
    }


def build_local(held: bool) -> list[dict[str, object]]:
    """The texts of the local forms (tuning set, or the held-out one)."""
    rng = random.Random(20261206 if held else 20261205)
    values = LOCAL_HELD_VALUES if held else LOCAL_VALUES
    cases, petitions = (
        (LOCAL_HELD_CASES, LOCAL_HELD_PETITIONS) if held else (LOCAL_CASES, LOCAL_PETITIONS)
    )
    out = []
    for kind, templates, copies in (("case", cases, 5), ("petition", petitions, 5)):
        for copy in range(copies):
            for t, template in enumerate(templates):
                row = _fill(
                    template,
                    rng,
                    kind,
                    copy * len(templates) + t,
                    extra=_local(rng, values),
                    names=values["names"],
                )
                row["id"] = f"local-{row['id']}"
                out.append(row)
    return out


# ---- the petition masking at extraction (issue 23): the row's own reporter values written into
# any field and in any form, and reporters who share the accused's name. Each row: the fields as
# a clerk filled them, the reporter's name/phone/ID as the protected columns hold them, every
# written reporter value with its form (all must go), and the accused's name (must stay).
PETITION_MASK_TEMPLATES = [
    ("被反映人职务", "副局长（举报人{name}电话{phone}）", "反映{accused}工作作风问题"),
    ("问题摘要", "", "举报人{name}（电话{phone}）反映{accused}违规发放补贴"),
    ("问题摘要", "", "来电人{name}称{accused}收受礼金，回电{phone}，身份证{id}"),
    ("被反映人单位", "{unit}（来信人{name}转）", "{accused}在项目中优亲厚友，联系人{phone}"),
    ("问题摘要", "", "{name}实名反映{accused}打击报复，证件号{id}"),
]
PETITION_MASK_REPORTERS = [("王建国", "13912345678", "45010319890610934X"), ("欧阳明辉", "15977123456", "450305198206071237"),
                           ("黎春花", "18677889900", "452601196811251238"), ("覃小燕", "13307712468", "450721198810191231")]  # fmt: skip
PETITION_MASK_ACCUSED = ["张伟", "李强", "陈志强", "刘晓梅", "周建华"]


def _name_forms(name: str) -> list[tuple[str, str]]:
    return [
        (name, "name"),
        (f"{name[0]} {name[1:]}", "name_spaced"),
        (f"{name[0]}\u3000{name[1:]}", "name_spaced"),
    ]


def _phone_forms(phone: str) -> list[tuple[str, str]]:
    spoken = "".join("零一二三四五六七八九"[int(d)] for d in phone)
    yao = "".join("〇幺二三四五六七八九"[int(d)] for d in phone)
    return [(phone, "phone"), (f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", "phone_grouped"),
            (phone.translate(_WIDE), "phone_fullwidth"), (spoken, "phone_chinese_numerals"),
            (f"{yao[:3]} {yao[3:7]} {yao[7:]}", "phone_chinese_numerals")]  # fmt: skip


def build_petition_mask() -> list[dict[str, object]]:
    """Rows for the petition masking bench: every template with every reporter, each value in a
    drawn written form; one row in four has a reporter who shares the accused's name."""
    rng = random.Random(20261207)
    out = []
    for n in range(120):
        field, extra, summary = PETITION_MASK_TEMPLATES[n % len(PETITION_MASK_TEMPLATES)]
        name, phone, id_number = PETITION_MASK_REPORTERS[n % len(PETITION_MASK_REPORTERS)]
        same = n % 4 == 3
        accused = name if same else rng.choice(PETITION_MASK_ACCUSED)
        written_name, name_form = rng.choice(_name_forms(name))
        written_phone, phone_form = rng.choice(_phone_forms(phone))
        written_id = rng.choice(
            [
                id_number,
                f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}",
                id_number.translate(_WIDE),
            ]
        )
        slots = {
            "name": written_name,
            "phone": written_phone,
            "id": written_id,
            "accused": accused,
            "unit": "某县财政局",
        }
        fields = {
            "被反映人姓名": accused,
            "被反映人职务": "科长",
            "被反映人单位": "某县财政局",
            "问题摘要": summary.format(**slots),
        }
        if extra:
            fields[field] = extra.format(**slots)
        secrets = [{"value": v, "form": f} for v, f, slot in ((written_name, name_form, "{name}"), (written_phone, phone_form, "{phone}"),
                   (written_id, "id_number", "{id}")) if slot in summary + extra]  # fmt: skip
        if (
            same
        ):  # the accused's own mention in the summary is the same string: only the field is checked
            secrets = [s for s in secrets if s["form"] not in ("name", "name_spaced")]
        out.append({"id": f"pm-{n:04d}", "fields": fields, "reporter": [name, phone, id_number],
                    "secrets": secrets, "accused": accused, "same_name": same})  # fmt: skip
    return out


_WIDE = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
_ID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _id_check(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_W, strict=True)) % 11]


def _luhn(body: str) -> str:
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return body + str((10 - total % 10) % 10)


def _uscc(body: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = (body + "0" * 17)[:17]
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


def _phone(rng: random.Random) -> str:
    p = rng.choice(MOBILES)
    forms = [p, f"{p[:3]}-{p[3:7]}-{p[7:]}", f"{p[:3]} {p[3:7]} {p[7:]}", f"+86 {p}", f"+86-{p}",
             f"0086 {p}", p.translate(_WIDE), f"{p[:3]}.{p[3:7]}.{p[7:]}", f"{p[:3]}—{p[3:7]}—{p[7:]}",
             f"（+86）{p}"]  # fmt: skip
    return rng.choice(forms)


def _id(rng: random.Random) -> str:
    body = rng.choice(ID_BODIES) + f"{rng.randint(100, 999)}"
    full = body + _id_check(body)
    forms = [full, full.lower(), f"{full[:6]} {full[6:14]} {full[14:]}", " ".join(full[i : i + 4] for i in range(0, 18, 4)),
             full.translate(_WIDE), f"{full[:6]}-{full[6:14]}-{full[14:]}", full[:6] + full[8:17]]  # fmt: skip
    return rng.choice(forms)


def _bank(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return rng.choice(CORPORATE)
    card = _luhn(rng.choice(BANK_BODIES) + f"{rng.randint(0, 999):03d}")
    forms = [card, " ".join(card[i : i + 4] for i in range(0, len(card), 4)), "-".join(card[i : i + 4] for i in range(0, len(card), 4)), card.translate(_WIDE)]  # fmt: skip
    return rng.choice(forms)


def _email(rng: random.Random) -> str:
    e = rng.choice(EMAILS)
    return rng.choice([e, e.replace("@", "＠"), e.replace("@", "(at)"), e])


def _fill(
    template: str,
    rng: random.Random,
    kind: str,
    n: int,
    held: bool = False,
    extra: dict[str, tuple[str, ...]] | None = None,
    names: list[str] | None = None,
) -> dict[str, object]:
    """One text from ``template``: each slot filled, each identifier annotated where it sits.

    ``extra`` slots (the local forms of issues 19 and 23) are ``(kind, value, form)`` or
    ``(kind, value, form, cue)``: ``cue`` is written before the value and is not part of it (a
    WeChat id's label); ``form`` goes into the annotation so the bench reports it apart.
    """
    names_, villages, communities, streets = (
        (HELD_NAMES, HELD_VILLAGES, HELD_COMMUNITIES, HELD_STREETS)
        if held
        else (NAMES, VILLAGES, COMMUNITIES, STREETS)
    )
    people = rng.sample(names or names_, 4)
    values: dict[str, tuple[str, ...]] = {
        "p0": ("person", people[0]), "p1": ("person", people[1]), "p2": ("person", people[2]),
        "p3": ("person", people[3]), "m": ("person", rng.choice(MINORITY)), "phone": ("phone", _phone(rng)),
        "landline": ("phone", rng.choice(LANDLINES)), "id": ("id_number", _id(rng)), "bank": ("bank_card", _bank(rng)),
        "plate": ("plate", rng.choice(PLATES)), "email": ("email", _email(rng)), "qq": ("im", rng.choice(QQS)),
        "wechat": ("im", rng.choice(WECHATS)), "uscc": ("uscc", _uscc(rng.choice(USCC_BODIES))),
        "village": ("address", rng.choice(villages)), "community": ("address", rng.choice(communities)),
        "street": ("address", rng.choice(streets)), "house": ("address", rng.choice(HOUSES)),
        **(extra or {}),
    }  # fmt: skip
    text, spans, keep = "", [], []
    for piece in re.split(r"(\{\w+\}|【[^】]+】)", template):
        if piece.startswith("{"):
            kind_, value, *more = values[piece[1:-1]]
            text += more[1] if len(more) > 1 else ""
            span = {
                "kind": kind_,
                "value": value,
                "start": len(text),
                "end": len(text) + len(value),
            }
            if more:
                span["form"] = more[0]
            spans.append(span)
            text += value
        elif piece.startswith("【"):
            keep.append(piece[1:-1])
            text += piece[1:-1]
        else:
            text += piece
    own = people[0] if "{p0}" in template else values["m"][1]
    return {
        "id": f"{kind}-{n:04d}",
        "source": kind,
        "text": text,
        "own": own,
        "spans": spans,
        "must_keep": keep,
    }


def build(held: bool = False) -> list[dict[str, object]]:
    rng = random.Random(20261202 if held else 20261201)
    sets = (
        (("case", HELD_CASES, 5), ("petition", HELD_PETITIONS, 5))
        if held
        else (("case", CASES, 6), ("petition", PETITIONS, 5))
    )
    out = []
    for kind, templates, copies in sets:
        for copy in range(copies):
            for t, template in enumerate(templates):
                out.append(_fill(template, rng, kind, copy * len(templates) + t, held))
    return out


if __name__ == "__main__":
    for held, name in ((False, "deid_gold.jsonl"), (True, "deid_heldout.jsonl")):
        lines = [json.dumps(row, ensure_ascii=False) for row in build(held)]
        Path(__file__).with_name(name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = [json.dumps(row, ensure_ascii=False) for row in build_petition_mask()]
    Path(__file__).with_name("petition_mask_gold.jsonl").write_text(
        "\n".join(rows) + "\n", encoding="utf-8"
    )
    for held, name in ((False, "deid_local.jsonl"), (True, "deid_local_heldout.jsonl")):
        lines = [json.dumps(row, ensure_ascii=False) for row in build_local(held)]
        Path(__file__).with_name(name).write_text("\n".join(lines) + "\n", encoding="utf-8")
