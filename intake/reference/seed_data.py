"""The county's functional departments and the feedback categories, as seeded on a new install.

Traditional names are derived with zhconv when seeding; English names are written here."""

from zhconv import convert

from intake.reference.unit_duties import DUTIES


def _row(code: str, name: str, name_en: str, **extra) -> dict:
    return {"code": code, "name": name, "name_zh_hant": convert(name, "zh-tw"), "name_en": name_en, **extra}


# The 28 government functional departments lots are drawn from (two listed by the seed as under
# supervision), then bodies reports can reach that are never drawn: one under vertical
# management (垂直管理) and the people's organisations (人民团体).
UNITS = [
    _row(
        "zwfw",
        "县政务服务管理局",
        "County Government Service Management Bureau",
        short_name="政务服务局",
        supervised=True,
        aliases=["政务服务局", "政务局", "政务中心", "政务服务中心", "政务大厅", "政务服务大厅", "便民窗口", "大厅"],
    ),
    _row(
        "gk",
        "县工业商务和科学技术信息局",
        "County Industry, Science and Technology Bureau",
        short_name="县工科局",
        supervised=True,
        aliases=["工科局", "工信局", "科技局", "商务局"],
    ),
    _row(
        "fgw",
        "县发展和改革局",
        "County Development and Reform Bureau",
        short_name="发改局",
        aliases=["发改局", "发改委"],
    ),
    _row("jy", "县教育体育局", "County Education and Sports Bureau", short_name="教体局", aliases=["教育局", "教体局"]),
    _row(
        "ga", "县公安局", "County Public Security Bureau", short_name="公安局", aliases=["公安局", "派出所", "户籍窗口"]
    ),
    _row("mz", "县民政局", "County Civil Affairs Bureau", short_name="民政局", aliases=["民政局", "婚姻登记处"]),
    _row("sf", "县司法局", "County Justice Bureau", short_name="司法局", aliases=["司法局", "司法所"]),
    _row("cz", "县财政局", "County Finance Bureau", short_name="财政局", aliases=["财政局"]),
    _row(
        "rs",
        "县人力资源和社会保障局",
        "County Human Resources and Social Security Bureau",
        short_name="人社局",
        aliases=["人社局", "社保局", "社保窗口"],
    ),
    _row(
        "zr",
        "县自然资源局",
        "County Natural Resources Bureau",
        short_name="自然资源局",
        aliases=["自然资源局", "国土局"],
    ),
    _row(
        "hb",
        "县生态环境分局",
        "County Ecology and Environment Sub-bureau",
        short_name="环保局",
        aliases=["环保局", "生态环境局"],
    ),
    _row(
        "zj",
        "县住房和城乡建设局",
        "County Housing and Urban-Rural Development Bureau",
        short_name="住建局",
        aliases=["住建局", "建设局"],
    ),
    _row("jt", "县交通运输局", "County Transport Bureau", short_name="交通局", aliases=["交通局", "运管所"]),
    _row("sl", "县水务局", "County Water Affairs Bureau", short_name="水务局", aliases=["水务局", "水利局"]),
    _row(
        "ny",
        "县农业农村局",
        "County Agriculture and Rural Affairs Bureau",
        short_name="农业农村局",
        aliases=["农业局", "农业农村局"],
    ),
    _row(
        "ly",
        "县林业和草原局",
        "County Forestry and Grassland Bureau",
        short_name="林草局",
        aliases=["林业局", "林草局"],
    ),
    _row(
        "wl",
        "县文化和旅游局",
        "County Culture and Tourism Bureau",
        short_name="文旅局",
        aliases=["文旅局", "文化局", "旅游局"],
    ),
    _row("wj", "县卫生健康局", "County Health Bureau", short_name="卫健局", aliases=["卫健局", "卫生局"]),
    _row("tyjr", "县退役军人事务局", "County Veterans Affairs Bureau", short_name="退役军人局", aliases=["退役军人局"]),
    _row("yj", "县应急管理局", "County Emergency Management Bureau", short_name="应急局", aliases=["应急局", "安监局"]),
    _row("sj", "县审计局", "County Audit Bureau", short_name="审计局", aliases=["审计局"]),
    _row(
        "sc",
        "县市场监督管理局",
        "County Market Regulation Bureau",
        short_name="市场监管局",
        aliases=["市场监管局", "工商局", "质监局"],
    ),
    _row("tj", "县统计局", "County Statistics Bureau", short_name="统计局", aliases=["统计局"]),
    _row(
        "yb", "县医疗保障局", "County Healthcare Security Bureau", short_name="医保局", aliases=["医保局", "医保窗口"]
    ),
    _row("xf", "县信访局", "County Petition Bureau", short_name="信访局", aliases=["信访局", "信访办"]),
    _row(
        "cg",
        "县综合行政执法局",
        "County Comprehensive Administrative Law Enforcement Bureau",
        short_name="综合执法局",
        aliases=["城管", "综合执法局", "城管局", "城市管理局", "综合行政执法局", "城管执法局", "执法局"],
    ),
    _row(
        "ym",
        "县乡村振兴局",
        "County Rural Revitalization Bureau",
        short_name="乡村振兴局",
        aliases=["乡村振兴局", "扶贫办"],
    ),
    _row(
        "gzw",
        "县国有资产监督管理局",
        "County State-owned Assets Supervision Bureau",
        short_name="国资局",
        aliases=["国资局"],
    ),
    _row(
        "sw",
        "国家税务总局县税务局",
        "County Tax Bureau (State Taxation Administration)",
        short_name="县税务局",
        aliases=["税务局", "县税务局", "办税大厅", "税务窗口"],
        lottery_eligible=False,
    ),
    _row(
        "zgh",
        "县总工会",
        "County Federation of Trade Unions",
        short_name="总工会",
        aliases=["总工会", "工会"],
        lottery_eligible=False,
    ),
    _row(
        "fl", "县妇女联合会", "County Women's Federation", short_name="妇联", aliases=["妇联"], lottery_eligible=False
    ),
]

for _unit in UNITS:
    _unit["duties"] = DUTIES.get(_unit["code"], "")

CATEGORIES = [
    _row(
        "zuofeng",
        "工作作风",
        "Work style",
        children=[
            _row("taidu", "服务态度", "Staff attitude", keywords=["态度", "冷漠", "不耐烦", "推诿", "脸色", "吼"]),
            _row(
                "xiaolv",
                "办事效率/等候时间",
                "Efficiency and waiting time",
                keywords=["排队", "等候", "等了", "效率", "拖延", "慢"],
            ),
            _row(
                "paoduoci",
                "跑多次/流程繁琐",
                "Repeated trips and red tape",
                keywords=["跑了", "多次", "来回跑", "多头跑", "材料", "证明", "繁琐"],
            ),
            _row(
                "lianjie",
                "廉洁/吃拿卡要",
                "Integrity (eat, take, obstruct, demand)",
                keywords=["吃拿卡要", "红包", "索要", "好处费", "回扣", "请吃饭"],
            ),
        ],
    ),
    _row(
        "yingshang",
        "营商环境",
        "Business environment",
        children=[
            _row("shenpi", "审批", "Approvals", keywords=["审批", "许可", "办证", "执照"]),
            _row("sheqi", "涉企服务", "Services to enterprises", keywords=["企业", "公司", "涉企", "检查", "罚款"]),
            _row("zhengce", "政策落实", "Policy implementation", keywords=["政策", "补贴", "减免", "兑现"]),
        ],
    ),
    _row("jianyi", "意见建议", "Opinions and suggestions", keywords=["建议", "希望", "意见"]),
    _row("biaoyang", "表扬", "Praise", keywords=["表扬", "感谢", "点赞", "好评"]),
    _row("qita", "其他", "Other"),
]
