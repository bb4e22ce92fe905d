"""Builds labelled_reports.jsonl (text, unit, category, script hans/hant, origin
handwritten/composed): the hand-written reports plus reports composed from
hand-written fragments (situations per category, places and services per unit), with the noise
real messages carry (dialect, typos, missing punctuation, full-width digits), a quarter in
Traditional characters. Deterministic: the same seed gives the same file. Where a blind reader
with the category definitions was sure of another category, that category (the composed one
kept as category_project; readers.py).

    .venv/bin/python tests/data/triage/build_labelled_reports.py
"""

import json
import random
import re
import sys
from pathlib import Path

from zhconv import convert

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from handwritten import HANDWRITTEN  # noqa: E402
from readers import apply  # noqa: E402

SEED = 20240417
OUT = HERE / "labelled_reports.jsonl"
GENERATED = 300
TRADITIONAL_SHARE = 0.25

# Per unit: how people name it (named places), what they say when they don't name it,
# what they come for (services), and, where the unit has them, permits, policies and
# enterprise matters. {win} becomes a window number.
UNITS = {
    "zwfw": dict(
        named=[
            "政务服务大厅{win}",
            "县政务服务中心{win}",
            "政务大厅{win}",
            "大厅{win}",
            "便民窗口",
            "县政务服务管理局",
            "政务中心综合受理窗口",
            "政务服务局",
            "政务大厅的便民窗口",
        ],
        anon=["{win}", "窗口", "办事窗口", "综合窗口"],
        svc=[
            "不动产登记",
            "二手房过户",
            "营业执照变更",
            "社保卡补办",
            "医保报销",
            "公积金提取",
            "居住证",
            "个体户注册",
            "房产证抵押登记",
            "老年证",
            "出租车从业资格证",
            "契税缴纳",
            "新生儿落户",
        ],
        permit=["食品经营许可", "建设工程施工许可", "药品经营许可", "消防验收备案", "烟草专卖零售许可"],
        policy=["创业担保贷款贴息", "首套房契税补贴", "企业开办费用减免", "“一次性告知”制度", "延时错时服务"],
        ent=["企业开办", "公司注销", "工程建设项目审批", "公司股权变更登记", "企业银行开户"],
        person=[
            "窗口工作人员",
            "那个女的工作人员",
            "一个戴眼镜的男同志",
            "工号{badge}的工作人员",
            "导服台的人",
            "坐在窗口的小伙子",
            "大厅值班的",
            "12345的接线员",
            "收件的大姐",
        ],
        weights=dict(
            taidu=3,
            xiaolv=3,
            paoduoci=3,
            lianjie=1.2,
            shenpi=1,
            sheqi=1,
            zhengce=0.6,
            jianyi=1.5,
            biaoyang=1.5,
            qita=0.8,
        ),
        share=115,
    ),
    "gk": dict(
        named=[
            "县工科局",
            "工科局",
            "工信局",
            "科技局",
            "商务局",
            "县工业商务和科学技术信息局",
            "工科局企业服务股",
            "工信局三楼办公室",
            "县工科局的科技股",
        ],
        anon=["主管部门", "他们局里", "那个股室", "管企业的部门"],
        svc=["企业入规", "科技项目申报", "技改项目备案", "电力协调", "电商培训", "外贸备案", "商贸企业入统"],
        permit=[
            "技改项目备案",
            "高新技术企业认定推荐",
            "成品油零售经营许可初审",
            "科技成果登记",
            "酒类流通备案",
            "报废汽车回收资质初审",
        ],
        policy=[
            "技改补贴",
            "专精特新奖励",
            "科技型中小企业研发补助",
            "电商扶持资金",
            "贷款贴息",
            "消费券结算",
            "招商引资优惠政策",
            "稳岗电价补贴",
            "规上企业奖励",
            "新上规企业奖补",
        ],
        ent=[
            "用电增容",
            "园区道路",
            "原材料运输",
            "企业用工对接",
            "招商项目落地",
            "供电协调",
            "标准厂房租赁",
            "企业融资对接",
        ],
        person=[
            "股长",
            "一个科长",
            "一个年轻干部",
            "经办人",
            "办公室的人",
            "局里的领导",
            "企业服务股的同志",
            "分管的副局长",
        ],
        weights=dict(
            taidu=1, xiaolv=1.2, paoduoci=1, lianjie=1, shenpi=1.5, sheqi=3, zhengce=3, jianyi=1, biaoyang=1, qita=0.5
        ),
        share=85,
    ),
    "ga": dict(
        named=["城关派出所", "公安局户籍室", "县公安局", "交警大队", "派出所", "户籍窗口"],
        anon=["户籍室", "那边"],
        svc=["上户口", "迁户口", "身份证补办", "无犯罪记录证明", "驾驶证换证", "户口本更正"],
        person=["民警", "辅警", "户籍室的女警", "值班的"],
    ),
    "rs": dict(
        named=["人社局", "社保局", "县人力资源和社会保障局", "就业服务中心", "劳动监察大队", "社保窗口"],
        anon=["管社保的", "那边窗口"],
        svc=["养老保险转移", "退休待遇核定", "失业金申领", "工伤认定", "社保卡激活", "农民工工资"],
        policy=["创业担保贷款", "灵活就业社保补贴", "稳岗返还", "技能培训补贴"],
        ent=["稳岗返还", "用工备案", "工伤保险"],
        person=["工作人员", "接电话的人", "经办人"],
    ),
    "yb": dict(
        named=["医保局", "医保窗口", "县医疗保障局", "医保经办中心"],
        anon=["报销的地方"],
        svc=["医保报销", "异地就医备案", "慢性病卡办理", "医保关系转移"],
        policy=["大病保险二次报销", "医疗救助", "城乡居民医保缴费补助"],
        person=["窗口的大姐", "经办人", "工作人员"],
    ),
    "zr": dict(
        named=["自然资源局", "国土局", "县自然资源局", "国土所"],
        anon=["管土地的"],
        svc=["宅基地确权", "地籍测绘", "土地证换发", "不动产权籍调查"],
        permit=["建设用地规划许可", "乡村建设规划许可", "用地预审"],
        policy=["征地补偿", "地质灾害搬迁补助"],
        person=["测绘的人", "经办人", "股长"],
    ),
    "zj": dict(
        named=["住建局", "建设局", "县住房和城乡建设局"],
        anon=["管房子的部门"],
        svc=["公租房申请", "施工图审查", "房屋安全鉴定", "物业纠纷"],
        permit=["施工许可", "商品房预售许可", "建筑业企业资质", "竣工验收备案"],
        policy=["农村危房改造补助", "老旧小区改造", "公租房租赁补贴"],
        ent=["建筑企业资质延续", "工程款结算"],
        person=["窗口工作人员", "一个科员", "质监站的人"],
    ),
    "sc": dict(
        named=["市场监管局", "工商局", "县市场监督管理局", "市场所", "质监局"],
        anon=["管市场的"],
        svc=["个体户注册", "食品安全投诉", "价格投诉", "商标咨询"],
        permit=["食品经营许可", "食品生产许可", "特种设备使用登记"],
        ent=["日常检查", "年报公示", "计量器具检定", "食品抽检"],
        person=["执法人员", "所长", "窗口的人"],
    ),
    "mz": dict(
        named=["民政局", "婚姻登记处", "县民政局"],
        anon=["管低保的"],
        svc=["结婚登记", "低保申请", "临时救助", "殡葬服务"],
        policy=["高龄津贴", "低保金", "残疾人两项补贴", "孤儿基本生活费"],
        person=["工作人员", "登记员"],
    ),
    "jy": dict(
        named=["教育局", "教体局", "县教育体育局"],
        anon=["学校上面的部门"],
        svc=["转学", "学籍转接", "招生划片", "教师资格认定"],
        permit=["民办培训机构审批"],
        policy=["营养餐", "助学金", "两免一补"],
        person=["工作人员", "股长"],
    ),
    "wj": dict(
        named=["卫健局", "卫生局", "县卫生健康局"],
        anon=["管医院的"],
        svc=["出生医学证明", "计划生育证明", "家庭医生签约"],
        permit=["诊所执业许可", "公共场所卫生许可"],
        policy=["独生子女奖励", "计生奖扶金"],
        person=["工作人员", "医生"],
    ),
    "cg": dict(
        named=["城管", "城管局", "综合执法局", "城管中队"],
        anon=["执法的"],
        svc=["摆摊", "违建处理", "占道经营", "门店招牌"],
        permit=["户外广告设置审批", "渣土运输许可"],
        ent=["门店装修备案", "店外经营"],
        person=["城管队员", "执法人员", "队长"],
    ),
    "jt": dict(
        named=["交通局", "运管所", "县交通运输局"],
        anon=["管运输的"],
        svc=["道路运输证年审", "客运班车", "从业资格证"],
        permit=["道路运输经营许可", "网约车许可", "超限运输许可"],
        policy=["通组公路硬化", "燃油补贴"],
        person=["工作人员", "运管的人"],
    ),
    "sl": dict(
        named=["水务局", "水利局", "县水务局"],
        anon=["管水的"],
        svc=["自来水报装", "停水", "水费"],
        permit=["取水许可", "水土保持方案审批", "河道采砂许可"],
        policy=["农田灌溉补贴", "农村饮水安全工程"],
        person=["工作人员", "抄表的"],
    ),
    "ny": dict(
        named=["农业农村局", "农业局", "农技站"],
        anon=["管农业的"],
        svc=["土地流转", "种子质量", "农技指导"],
        permit=["农药经营许可", "动物防疫条件合格证"],
        policy=["耕地地力保护补贴", "农机购置补贴", "种粮补贴", "产业扶持资金"],
        person=["技术员", "经办人"],
    ),
    "fgw": dict(
        named=["发改局", "发改委", "县发展和改革局"],
        anon=["管项目的"],
        svc=["物价投诉", "项目立项"],
        permit=["项目立项审批", "节能审查", "企业投资项目备案"],
        policy=["以工代赈资金", "中央预算内投资"],
        ent=["重点项目推进"],
        person=["工作人员", "股长"],
    ),
    "hb": dict(
        named=["环保局", "生态环境局", "生态环境分局"],
        anon=["管环保的"],
        svc=["污染投诉", "噪音投诉"],
        permit=["环评审批", "排污许可证"],
        ent=["环保检查", "关停整改"],
        person=["执法人员", "工作人员"],
    ),
    "xf": dict(
        named=["信访局", "信访办"],
        anon=["接访的地方"],
        svc=["信访件转办", "来访接待", "信访答复"],
        person=["接待的人", "工作人员"],
    ),
}

# Situations per category. {place} is a named or unnamed place of the unit, {svc} one of its
# services (permits for 审批, policies for 政策落实, enterprise matters for 涉企服务).
TEMPLATES = {
    "taidu": (
        "svc",
        [
            "{date}去{place}办{svc}，{person}态度很差，问两句就不耐烦，还说“自己去看墙上的”。",
            "{place}的{person}对群众太冷漠了，我办{svc}问了三遍流程，她一直低头耍手机，理都不理。",
            "在{place}办{svc}的时候被{person}吼了一顿，就因为我表格填错了一个字。",
            "{person}推诿扯皮，{svc}的事情说不归他们管，让我去别处问，别处又让我回来找{place}。",
            "{place}的{person}脸色难看得很，好像我们欠他钱一样，办{svc}本来就急，被这样对待太气人了。",
            "我老父亲去{place}办{svc}，听不太懂普通话，{person}就很不耐烦地说“听不懂叫你家年轻人来”。",
            "对{place}{person}的服务态度不满意，{date}办{svc}，她和同事聊天聊了十来分钟才接我的材料。",
            "虽然{svc}最后是办好了，但{place}{person}说话带刺，阴阳怪气的，让人心里很不舒服。",
            "{place}的{person}上班时间吃瓜子看视频，我站在面前喊了几声才抬头，还嫌我打扰他。",
        ],
    ),
    "xiaolv": (
        "svc",
        [
            "{date}到{place}办{svc}，排了{hrs}的队，前面就几个人，办得太慢了。",
            "{svc}的申请交上去{dur}了，{place}一直说在走流程，到底还要等多久？",
            "{place}办{svc}效率太低，一个人要办半个钟头，后面排起长队，也不多开个窗口。",
            "说好{promise}个工作日办结的{svc}，现在超期{over}天了，打电话问{place}也没人说得清楚。",
            "在{place}等了{hrs}，{person}中途离开了好久，回来又说要下班了，叫明天再来。",
            "{svc}拖了{dur}，{place}每次都说“快了快了”，一直拖延到现在。",
            "{place}的系统三天两头出故障，{svc}办到一半就卡住，我们只有干等。",
        ],
    ),
    "paoduoci": (
        "svc",
        [
            "为了办{svc}，我跑了{n}趟{place}，每次都说缺一样材料，就不能一次性告诉我要带哪些吗？",
            "{svc}要的证明太多了，{place}让我先去村里开证明，再去镇上盖章，来回跑了{n}次。",
            "办个{svc}整了{n}趟，材料交了一遍又一遍，说的“最多跑一次”在哪里？",
            "{place}说{svc}的材料不齐，我问清单，{person}说网上有，网上的清单和窗口要的又不一样，多头跑，繁琐得很。",
            "{date}第{n}次去{place}办{svc}，这次又说要补一个证明，我在外地上班，请一次假不容易。",
            "{svc}的流程太繁琐，{place}要复印件又要原件，签了一堆字，来回跑了{n}趟还没办完。",
        ],
    ),
    "lianjie": (
        "svc",
        [
            "{place}办{svc}的{person}暗示我给点“好处费”，说不然要等很久，我给了{amt}，这样的事情你们管不管？",
            "听说在{place}办{svc}要先塞红包，我没塞，材料就一直压着不办。",
            "{person}办{svc}的时候跟我说，周末请他吃个饭事情就好办了，我觉得这就是吃拿卡要。",
            "{place}有人索要“加急费”{amt}，说交了{svc}马上就能办，不交就慢慢排。",
            "{svc}这个事，{person}指定我们去找一家中介，收了{amt}，后来听说中介和他是亲戚，回扣肯定少不了。",
            "{place}的{person}收了我{amt}的烟酒才给办{svc}，我心里不服，实名反映。",
        ],
    ),
    "shenpi": (
        "permit",
        [
            "{svc}的审批在{place}拖了{dur}，材料齐全，就是不批也不说理由。",
            "{date}提交的{svc}申请，到现在还没有审批下来，{place}说还要等其他部门会签。",
            "我们申请{svc}，{place}要求的前置条件一个套一个，办证办了{dur}还没办完。",
            "{svc}的审批标准不公开，{place}说行就行说不行就不行，我们也不晓得哪里不合格。",
            "{svc}在{place}退回来{n}次，每次只改一点点，为什么不能一次把意见说完？",
        ],
    ),
    "sheqi": (
        "ent",
        [
            "我们公司在{place}办{svc}，前前后后拖了{dur}，企业等不起，订单都丢了。",
            "作为一家小企业，{svc}这块{place}的服务跟不上，打电话找人都找不到。",
            "{place}一个月来我们企业检查了{n}次，每次都要停工陪同，{svc}的正事反而没人管。",
            "企业反映{svc}的问题，{place}让我们自己去协调，涉企服务说得好听，落实不了。",
            "我们厂因为{svc}的问题被罚款{amt}，罚了也不告诉咋个整改。",
            "{svc}的事情我们企业找了{place}{n}次，{person}每次都说在协调，一拖就是{dur}。",
        ],
    ),
    "zhengce": (
        "policy",
        [
            "{svc}的政策文件写得清清楚楚，但是{place}一直没有兑现，我们申请{dur}了。",
            "去年说好的{svc}，到现在还没到账，问{place}说资金没到位。",
            "{svc}这个政策我们根本不知道，{place}也不宣传，过了申报期才听说。",
            "政策说{svc}可以享受，到了{place}又说我们不符合条件，也说不出是哪一条不符合。",
            "{svc}的钱被层层截留，文件上是{amt}，到我们手上少了一半，{place}要查一下。",
        ],
    ),
    "jianyi": (
        "svc",
        [
            "建议{place}在办{svc}的时候搞个一次性告知单，免得群众来回跑。",
            "希望{place}能开通{svc}的网上预约，不要大家都挤在现场。",
            "意见建议：{svc}的办事指南能不能写得通俗一点，农村老人看不懂。",
            "建议{place}中午和周末安排人值班办{svc}，上班的人实在抽不出时间。",
            "希望{place}多听听群众的意见，{svc}的流程还可以再简化。",
            "提个建议，{place}可以把{svc}的进度发短信告诉办事人，省得我们一趟趟来问。",
        ],
    ),
    "biaoyang": (
        "svc",
        [
            "表扬{place}的{person}，{date}帮我办{svc}很耐心，一次就办好了。",
            "感谢{place}，{svc}这次办得又快又好，给你们点赞！",
            "{place}的服务比以前好多了，办{svc}只用了{mins}，好评。",
            "我要表扬{person}，我办{svc}材料不全，她主动打电话帮我问，省了我跑一趟。",
            "{place}的{person}服务很好，点赞。就是{svc}等的时间稍微长了点，希望再改进。",
            "今天去{place}办{svc}，{person}一直笑眯眯的，讲得清清楚楚，这样的干部要表扬。",
        ],
    ),
    "qita": (
        "svc",
        [
            "请问{svc}在哪里办？要带哪些材料？",
            "{place}的电话一直打不通，想问一下{svc}的事。",
            "{place}门口乱停车，进出都难。",
            "{place}网站上{svc}的信息好久没更新了。",
            "问一下，{svc}可以在手机上办吗？",
        ],
    ),
}

OPENINGS = [
    "",
    "",
    "",
    "您好，",
    "领导好，",
    "政协的同志你们好：",
    "我要反映一个问题：",
    "我是{town}的，",
    "我是做小生意的，",
    "本人姓{surname}，",
    "你好 ",
    "【投诉】",
    "各位委员：",
    "反映情况：",
]
ENTERPRISE_OPENINGS = ["我是一家企业的负责人，", "我们是{town}的一家小微企业，", "本公司", ""]
CLOSINGS = [
    "",
    "",
    "",
    "希望尽快处理。",
    "请有关部门重视！",
    "谢谢！",
    "望回复。",
    "莫得办法才来反映的。",
    "麻烦帮忙督促一下。",
    "希望政协监督一下。",
    "不要又是石沉大海。",
    "联系电话138****{tail}。",
    "急！",
    "我不想留名字，怕被穿小鞋。",
]
TOWNS = ["南台", "以勒", "芒部", "大湾", "雨河", "牛场", "城关", "坡头", "塘房", "五德"]
SURNAMES = ["王", "李", "张", "陈", "刘", "杨", "赵", "罗", "吴", "徐"]
DATES = [
    "3月15号",
    "上周三",
    "前天",
    "今天上午",
    "昨天下午",
    "2024年5月20日",
    "10月8号",
    "上个月",
    "星期一早上",
    "元旦前",
    "6月3日下午",
    "赶集那天",
    "端午节后第一天",
]
HOURS = ["两个多小时", "三个钟头", "一上午", "四十分钟", "一个半小时", "大半天"]
DURATIONS = ["两个月", "半年", "三个多月", "四十多天", "一年多", "二十多天"]
TIMES = ["三", "四", "五", "六", "好几"]
AMOUNTS = ["200元", "五百块", "1000块钱", "两条烟", "两千元", "八百", "3000元", "几百块"]
MINUTES = ["二十分钟", "半个小时", "一刻钟", "十来分钟"]

# Southwestern Mandarin as people type it (咋个, 哪样, 莫得, 整...).
DIALECT = [
    ("什么", "哪样"),
    ("怎么", "咋个"),
    ("没有", "莫得"),
    ("为什么", "为哪样"),
    ("做", "整"),
    ("很", "好"),
    ("去", "克"),
    ("知道", "晓得"),
    ("给我", "拿给我"),
    ("吗？", "嘛？"),
]
DIALECT_TAILS = ["，憨包都看得出来", "，真的是", "嘛", "噻", "，搞哪样名堂"]
# Typos seen in real messages: homophones and look-alikes.
TYPOS = [
    ("办理", "办里"),
    ("已经", "以经"),
    ("再", "在"),
    ("部门", "部们"),
    ("反映", "反应"),
    ("工作人员", "工做人员"),
    ("登记", "登计"),
    ("一直", "一只"),
    ("材料", "材科"),
    ("态度", "太度"),
    ("窗口", "窗囗"),
    ("效率", "效律"),
]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _fill(rng: random.Random, template: str, unit: dict, pool: str, named: bool) -> str:
    place = rng.choice(unit["named"] if named else unit.get("anon") or unit["named"])
    values = {
        "place": place,
        "svc": rng.choice(unit[pool]),
        "person": rng.choice(unit["person"]),
        "date": rng.choice(DATES),
        "hrs": rng.choice(HOURS),
        "dur": rng.choice(DURATIONS),
        "n": rng.choice(TIMES),
        "amt": rng.choice(AMOUNTS),
        "mins": rng.choice(MINUTES),
        "promise": rng.choice(["三", "五", "七", "十五", "二十"]),
        "over": rng.choice(["十", "二十", "四十", "五"]),
    }
    text = template.format(**values)
    return text.format(win=rng.choice(["", "", f"{rng.randint(1, 24)}号窗口"]), badge=rng.randint(1000, 9999))


def _noise(rng: random.Random, text: str) -> str:
    if rng.random() < 0.3:
        for a, b in rng.sample(DIALECT, 3):
            text = text.replace(a, b, 1)
        if rng.random() < 0.3:
            text = re.sub(r"[。！]$", "", text) + rng.choice(DIALECT_TAILS) + "。"
    if rng.random() < 0.2:
        for a, b in rng.sample(TYPOS, 2):
            text = text.replace(a, b, 1)
    r = rng.random()
    if r < 0.08:
        text = re.sub(r"[，。：！？“”]", " ", text).strip()
    elif r < 0.16:
        text = text.replace("。", "！！", 1)
    if rng.random() < 0.1:
        text = text.translate(FULLWIDTH)
    return text


def compose(rng: random.Random, code: str, category: str) -> str:
    unit = UNITS[code]
    pool, templates = TEMPLATES[category]
    named = rng.random() < 0.78
    body = _fill(rng, rng.choice(templates), unit, pool, named)
    openings = ENTERPRISE_OPENINGS if pool == "ent" and rng.random() < 0.5 else OPENINGS
    opening = rng.choice(openings).format(town=rng.choice(TOWNS), surname=rng.choice(SURNAMES))
    closing = rng.choice(CLOSINGS).format(tail=rng.randint(1000, 9999))
    return _noise(rng, opening + body + closing)


def _available(code: str) -> dict[str, float]:
    unit = UNITS[code]
    weights = unit.get("weights") or {c: 1.0 for c in TEMPLATES}
    return {c: w for c, w in weights.items() if TEMPLATES[c][0] in unit}


def build(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    rows = [
        {"text": text, "unit": unit, "category": category, "origin": "handwritten"}
        for unit, category, text in HANDWRITTEN
    ]
    seen = {row["text"] for row in rows}

    others = [c for c in UNITS if "share" not in UNITS[c]]
    rest = GENERATED - sum(UNITS[c].get("share", 0) for c in UNITS)
    plan = [(c, UNITS[c]["share"]) for c in UNITS if "share" in UNITS[c]]
    plan += [(c, rest // len(others) + (1 if i < rest % len(others) else 0)) for i, c in enumerate(others)]
    for code, count in plan:
        weights = _available(code)
        categories, w = list(weights), list(weights.values())
        made = 0
        while made < count:
            category = rng.choices(categories, w)[0]
            text = compose(rng, code, category)
            if text in seen:
                continue
            seen.add(text)
            rows.append({"text": text, "unit": code, "category": category, "origin": "composed"})
            made += 1

    rng.shuffle(rows)
    for row in rows:
        written_traditional = convert(row["text"], "zh-cn") != row["text"]
        row["script"] = "hant" if written_traditional else "hans"
    target = round(TRADITIONAL_SHARE * len(rows)) - sum(r["script"] == "hant" for r in rows)
    for row in rng.sample([r for r in rows if r["script"] == "hans"], max(0, target)):
        row["text"] = convert(row["text"], rng.choice(["zh-hant", "zh-hant", "zh-tw", "zh-hk"]))
        row["script"] = "hant"
    return rows


def main() -> None:
    rows = apply(OUT.name, build())  # the blind readers' categories where they were sure
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} reports → {OUT}")


if __name__ == "__main__":
    main()
