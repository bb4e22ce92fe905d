"""How a unit's word is used in a report, beyond being there (issue 17): the point a writer
comes to after a turn ("我要说的是…"), a body that answers that the matter is not its own, a
report meant for no single department ("各部门都…"), and the responsibilities' terms split
into the words people actually write.

Everything here works on normalized text (normalize.normalize): full-width punctuation is
half-width, Traditional is Simplified."""

import re
from collections.abc import Mapping

from intake.triage.suggest import lexicon
from intake.triage.suggest.normalize import normalize

# "社保窗口其实挺快，没话说。我要说的是门口的引导员…": what comes before the turn is the
# setting, what comes after it is the complaint.
FOCUS_MARKERS = (
    "我要说的是,我想说的是,我要反映的是,我想反映的是,要反映的是,要说的是,想反映的是,想说的是,我反映的是,"
    "我要投诉的是,我想投诉的是,要投诉的是,问题是,问题在于,真正的问题,我说的是,我来是想,我这次来"
).split(",")
BEFORE_FOCUS = 0.4
# "农业局说粪污直排不归他们": the body named answered that it is not its business.
_DISOWNED = re.compile(
    r"^[^。;!?]{0,6}说[^。;!?]{0,16}?(不归|不是他们|不是我们|不属于|不管|只管|管不了|不负责|不是自己)"
)
DISOWNED = 0.5
# "规划许可也拿到了", "社保窗口其实挺快,没话说": a step already done or a body the writer has no
# complaint about is the setting of a report that names several, not its subject.
_SETTLED = re.compile(
    r"^[^。;!?]{0,14}?(拿到了|已经做完|已经过了|都弄好了|办好了|没问题|没有问题|不是问题|没话说|没意见|"
    r"其实很快|其实挺快|办得挺快|挺快的|说可以)"
)
SETTLED = 0.4
# "虽然办的是公安的业务,但…": what is conceded is not the point.
_CONCESSION = re.compile(r"虽然([^。;!?]*?)(但|可是|不过)")
# "交身份证、户口本复印件", "要提供产权证明", "身份证忘带": a paper handed in at any window says
# little about whose business it is.
_PAPER = ("复印件", "原件", "影印", "忘带", "没带", "忘了带")
_PAPER_BEFORE = re.compile(r"(提供|要交|要带|需要带|出示|带上)[^。;!?]{0,14}$")
# "交了户口本身份证收入证明", "要派出所的证明", "再找派出所盖章": a paper one body asks of another
# (or of the writer) in someone else's process; the body issuing it is not the one complained of.
_PAPER_AFTER = re.compile(r"^(的?证明|开的证明|出的证明|盖章|盖个章|盖了章|开证明|开个证明|出证明|出具)")
_PAPER_HANDED = re.compile(r"(交了|开了|先交|又要|还要|又说要|说要|要有)[^。;!?,]{0,8}$")
_PAPER_ENDINGS = ("证明", "证", "本", "记录")
PAPER = 0.4
# "坐班车来一趟": how the writer came, not what the report is about.
_TRAVEL_BEFORE = ("坐", "乘", "搭")
_TRAVEL_AFTER = re.compile(r"^[^。;!?,]{0,3}(来|去|到|跑|进城)")
TRAVEL = 0.4
# "学校旁边那家网吧", "河对面那个采石场": a body or institution named to say where the matter is,
# not whose business it is (not 门口: 车管所门口的黄牛, 粮站门口排队 are the body's own business).
_LANDMARK_AFTER = re.compile(r"^的?(旁边|附近|对面|后面|隔壁|边上|周边|背后)")
LANDMARK = 0.4
# "想谢谢县妇联的张姐", "感谢税务局": the body thanked is the one a praise is about, whoever it
# called in to help.
_THANKED_BEFORE = re.compile(r"(谢谢|感谢|表扬|点赞|致敬)[县乡镇里的一下]{0,3}$")
THANKED = 1.5
# "请求做个专项审计", "审计局能不能抽查": the body asked to act on the matter (not 要求, which is
# as often a body demanding of the writer: 应急局要求我们整改).
_ASKED_BEFORE = re.compile(r"(请求|恳请|请问|希望|建议)[^。;!?,]{0,14}$")
_ASKED_AFTER = re.compile(r"^[^。;!?,]{0,2}(能不能|能否|可否|可不可以|来查|来管|查一查|管一管|出面)")
ASKED = 1.5
# "我是低保户", "家里是低保户", "我不是低保户": who the writer is (or is not), not what the report is about.
_IDENTITY_BEFORE = ("我是", "我们是", "一个", "我家是", "家里是", "俺是", "作为", "不是")
IDENTITY = 0.5
# "消防、卫生、环保轮着来": a list of the bodies that inspect or send people is about them all.
_LIST = re.compile(r"(?:[\u4e00-\u9fff]{2,4}、){2,}[\u4e00-\u9fff]{2,4}")
# At most this many words saying "no single department" count (each is a witness).
NO_SINGLE_UNIT_CUES = 2

# Duty phrases are written as businesses plus the work done on them (防止返贫监测, 12345热线,
# 网吧娱乐场所); people write the business alone. Parts shorter than the phrase count for less,
# and only those found in one unit's responsibilities and not in everyday wording.
_DUTY_SPLIT = re.compile(r"[、,;()/\s]+")
_DUTY_STRIP = ("负责", "管理", "监管", "工作")
_WORK_WORDS = (
    "管理,监管,监督,监测,工作,服务,保护,防治,治理,建设,改造,认定,登记,许可,审批,核准,备案,发放,经办,保障,"
    "受理,交办,接待,执法,发布,热线,运行,体系,信息,发展,安全,投诉,申报,结算,养护,供养,签约,褒扬,维护,制"
).split(",")
# Parts are taken from a term without these either, so that no part is a word of the work alone.
_PART_WORK_WORDS = _WORK_WORDS + (
    "补贴,补助,救助,防治,投诉,证明,保险,结算,采购,规划,项目,成果,监察,签约,治理,承包,扶助,经营,运输,权益,资金,"
    "人员,设施,机构,登记,许可,收益,发放,征收,对象,系统,窗口,大厅,时间,热线,监督"
).split(",")
GENERIC_PARTS = frozenset(
    (
        "整改,自然,网上,发布,数据,困难,会员,记录,受理,接待,体系,发展,产品,专项,物资,工作,管理,服务,监管,运行,"
        "经营,设施,保障,安全,防治,建设,认定,登记,许可,审批,核准,备案,申报,结算,发放,补助,机构,单位,场所,社会,"
        "公共,农村,城乡,乡镇,基本,事项,对象,保护,改造,监测,防止,生态,环境,市场,资源,项目,信息,质量,规划,制度,"
        "责任,经济,成本,调查,预算,收入,收益,国有,权益,维护,家庭,人员,人事,资金,补贴,主体,工程,建筑,重点,"
        "空间,出让,集中,采购,门诊,定点,医药,耗材,特病,居民,基本,体育,学生,学前,分配,来信,来访,督办,法律,"
        "活动,出生,医学,生活,最低,残疾,临时,救助,两项,儿童,妇女,综合,行政,环境,卫生,流动,违法,户外,城市,"
        "运输,道路,水路,农田,水利,水土,保持,防汛,抗旱,木材,草原,公益,电视,广播,遗产,物质,文化,公共文化,时间,人员,"
        "小区,公司,交通,个人,人口,社区,农民,人民,政府,补偿,控制,预防,生育,奖励,消费,设备,生产,地产,资产,工作人员,"
        "厅的,技术,流通,迁移,求助,行证,组织,福利,事业,证书,评价,固体,维修,商品,出租,纠纷,保健,产权,特种,知识,"
        "不动,排队,大厅的,务大厅的,施工,援助,购置,工作队,营业,巩固,乡村,务局,维权,帮扶,职工,鉴定,卡通,小额,作队,作社,学品,书馆,城乡居,基本医,疾病预,经济运"
    ).split(",")
)
DUTY_PART_FACTOR = 0.5


def duty_terms(duties: str) -> list[str]:
    """The businesses listed in a unit's responsibilities ('社会保险经办、养老金…'), each also
    without the work done on it (防止返贫监测 → 防止返贫, 12345热线 → 12345)."""
    terms = []
    for part in _DUTY_SPLIT.split(normalize(duties)):
        for prefix in _DUTY_STRIP:
            part = part.removeprefix(prefix)
        for term in (part, _core(part)):
            # 12345 (of 12345热线) is how people reach every department, not the hotline's business.
            if len(term) >= 2 and term not in terms and not term.isdigit():
                terms.append(term)
    return terms


def _core(term: str, work_words: tuple[str, ...] | list[str] = _WORK_WORDS) -> str:
    changed = True
    while changed and len(term) > 2:
        changed = False
        for word in work_words:
            if term.endswith(word) and len(term) - len(word) >= 2:
                term, changed = term[: -len(word)], True
            if term.startswith(word) and len(term) - len(word) >= 2:
                term, changed = term[len(word) :], True
    return term


def duty_parts(duties: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The head and the tail (2–4 characters, the rest at least 2) of each duty term, where they
    belong to one unit alone and are no everyday word (防止返贫 → 返贫, 网吧娱乐场所 → 娱乐场所):
    part → (unit key, the term it came from)."""
    owners: dict[str, set] = {}
    source: dict[tuple, str] = {}
    for key, text in duties.items():
        for term in duty_terms(text or ""):
            term = _core(term, _PART_WORK_WORDS)
            for n in range(2, min(4, len(term) - 2) + 1):
                for part in (term[:n], term[-n:]):
                    owners.setdefault(part, set()).add(key)
                    source.setdefault((part, key), term)
    return {
        part: (key, source[(part, key)])
        for part, keys in owners.items()
        for key in keys
        if len(keys) == 1 and part not in GENERIC_PARTS and not part.isdigit()
    }


def focus_start(text: str) -> int:
    """Where the writer turns to the point (after the last marker), or 0."""
    best = 0
    for marker in FOCUS_MARKERS:
        pos = text.rfind(marker)
        if pos != -1:
            best = max(best, pos + len(marker))
    return best


def disowned(text: str, end: int) -> bool:
    """Whether the body named just before `end` answered that the matter is not its own."""
    return bool(_DISOWNED.match(text[end:]))


def is_paper(text: str, start: int, end: int) -> bool:
    """Whether the word at start:end names a paper handed in (身份证复印件, 要提供产权证明, 交了户口本,
    派出所的证明, 找派出所盖章)."""
    word = text[start:end] + ("本" if text[end : end + 1] == "本" else "")  # 户口本, only when handed
    return (
        any(p in text[end : end + 4] for p in _PAPER)
        or bool(_PAPER_BEFORE.search(text[max(0, start - 16) : start]))
        or bool(_PAPER_AFTER.match(text[end:]))
        or (word.endswith(_PAPER_ENDINGS) and bool(_PAPER_HANDED.search(text[max(0, start - 10) : start])))
    )


def pointed_to(text: str, start: int) -> bool:
    """Whether the body at `start` is the one another points to (城管说归市场监管, 应急说找民政)."""
    return text[max(0, start - 2) : start].endswith(("归", "属于", "找"))


def asked(text: str, start: int, end: int) -> bool:
    """Whether the body at start:end is the one asked to act (请求…审计, 审计局能不能)."""
    return bool(_ASKED_BEFORE.search(text[max(0, start - 20) : start]) or _ASKED_AFTER.match(text[end:]))


def landmark(text: str, end: int) -> bool:
    """Whether the word just before `end` says where the matter is (学校旁边, 小学门口)."""
    return bool(_LANDMARK_AFTER.match(text[end:]))


def thanked(text: str, start: int) -> bool:
    """Whether the body at `start` is the one thanked (谢谢县妇联, 感谢税务局)."""
    return bool(_THANKED_BEFORE.search(text[max(0, start - 8) : start]))


def travelled(text: str, start: int, end: int) -> bool:
    """Whether the word at start:end is how the writer came (坐班车来)."""
    return text[max(0, start - 1) : start] in _TRAVEL_BEFORE and bool(_TRAVEL_AFTER.match(text[end:]))


def identity(text: str, start: int) -> bool:
    """Whether the word at `start` says who the writer is (我是低保户, 一个退役士兵)."""
    return text[max(0, start - 3) : start].endswith(_IDENTITY_BEFORE)


def bodies_listed(text: str) -> list[str]:
    """Lists (、) of three or more bodies, at least two of them departments (消防、卫生、环保)."""
    found = []
    for m in _LIST.finditer(text):
        items = m.group(0).split("、")
        if sum(item in lexicon.BODIES for item in items) >= 2:
            found.append(m.group(0))
    return found


def settled(text: str, end: int) -> bool:
    """Whether the body named just before `end` is said to be done with or no problem."""
    return bool(_SETTLED.match(text[end:]))


def conceded(text: str) -> list[tuple[int, int]]:
    """The spans conceded before the point (虽然 … 但)."""
    return [m.span(1) for m in _CONCESSION.finditer(text)]


def no_single_unit(text: str) -> list[str]:
    """Words that say the report is meant for no one department (各部门, 所有窗口, a list of
    bodies)."""
    return [w for w in lexicon.NO_SINGLE_UNIT.split(",") if w and w in text] + bodies_listed(text)


def unknown_owner(text: str) -> list[str]:
    """Words that say the writer does not know whose business it is (该谁管, 有关部门)."""
    return [w for w in lexicon.UNKNOWN_OWNER.split(",") if w and w in text]
