"""Evidence combined into one suggestion (issue 17): whose business a report is about wins over
the hall it was handed in at, integrity wording wins over the topic, generic words do not veto
the model, no unit when nothing decides; and the set evaluation with its calibration table."""

import pytest

from intake.triage.suggest import evaluation
from intake.triage.suggest.calibration import Calibration, choose_threshold, refit_heads, reliability
from intake.triage.suggest.evidence import duty_terms, seed_scorer

FIXTURE = "tests/data/triage/evaluate_fixture.jsonl"


@pytest.fixture(scope="module")
def scorer():
    return seed_scorer()


@pytest.mark.parametrize(
    ("text", "unit", "word"),
    [
        ("在政务大厅医保窗口办异地就医报销，跑了三趟", "yb", "异地就医"),
        ("政务服务中心窗口办房产证，材料交了三次", "zr", "房产证"),
        ("在大廳窗口給孩子辦護照，工作人員說照片不行", "ga", "护照"),  # Traditional
        ("便民服务中心代开发票，系统一下午登不上", "sw", "发票"),
        ("大厅里退役军人窗口说优待证还要等", "tyjr", "优待证"),
        ("政务大厅公证窗口只有一个人", "sf", "公证"),
        ("企业联网直报账号在大厅窗口办不了", "tj", "联网直报"),
        ("交社保费是税务收的吧，社保费征收窗口排长队", "sw", "社保费征收"),
    ],
)
def test_the_business_decides_not_the_hall_window(scorer, text, unit, word):
    found = scorer.judge("", text)
    assert found.unit.key == unit and word in found.unit.evidence
    assert "zwfw" not in {o.key for o in found.other_units}  # the place is no rival at all


def test_the_hall_answers_for_the_hall_itself(scorer):
    found = scorer.judge("大厅叫号机又坏了", "取号排队乱成一团，一窗通办的综合窗口也不开。")
    assert found.unit.key == "zwfw" and "叫号机" in found.unit.evidence


def test_no_unit_when_the_evidence_does_not_decide(scorer):
    nothing = scorer.judge("请问", "办事太难了，说这说那，最后啥也没办成。")
    assert nothing.unit.key is None and nothing.unit.reason == "no-evidence"
    # Only the place: the hall is not where uncertainty lands.
    place = scorer.judge("", "在政务服务中心窗口办事，工作人员让我等着。")
    assert place.unit.key is None and place.unit.reason == "undecided"
    assert place.unit.runner_up.key == "zwfw" and place.unit.confidence < scorer.calibration.abstain


@pytest.mark.parametrize(
    "text",
    [
        "办营业执照的同志说晚上一起坐坐，材料的事好说。",
        "不动产登记窗口让我找他们指定的测绘公司，别家的图不认。",
        "排队两个小时，他的熟人来了随到随办，直接带进去了。",
        "企业检查的时候只查我们一家，隔壁有关系的从来不查。",
        "辦證的人暗示要打點一下，不然材料永遠不齊。",  # Traditional
    ],
)
def test_integrity_wording_wins_over_the_topic(scorer, text):
    assert scorer.judge("", text).category.key == "lianjie"


def test_a_denial_of_integrity_is_no_integrity_complaint(scorer):
    assert scorer.judge("", "窗口的同志从不收红包，办事热情周到，点赞。").category.key == "biaoyang"


def test_generic_words_add_evidence_but_do_not_veto_the_model(scorer):
    text = "企业去办事，窗口工作人员一直玩手机，问什么都不耐烦。"
    assert scorer.judge("", text).category.key == "taidu"
    # A model sure of taidu is not overruled by 检查 and 企业 either.
    text = "企业检查"
    found = scorer.judge("", text, {"category": {"taidu": 0.95, "sheqi": 0.05}})
    assert found.category.key == "taidu"


def test_traditional_and_simplified_get_the_same_suggestion(scorer):
    hans = scorer.judge("", "养老金这个月少了两百，去人社窗口问了两回没人说清楚。")
    hant = scorer.judge("", "養老金這個月少了兩百，去人社窗口問了兩回沒人說清楚。")
    assert hans.unit == hant.unit and hans.category.key == hant.category.key == "zhengce"


def test_duties_are_split_into_businesses():
    assert duty_terms("负责社会保险经办（养老、失业保险）、就业创业、技能培训") == [
        "社会保险经办",
        "社会保险",  # the business without the work done on it (经办)
        "养老",
        "失业保险",
        "就业创业",
        "技能培训",
    ]


def test_duty_parts_are_words_of_one_unit_only():
    from intake.reference.unit_duties import DUTIES
    from intake.triage.suggest.unit_context import duty_parts

    parts = duty_parts(DUTIES)
    assert parts["返贫"][0] == "ym" and parts["娱乐场所"][0] == "wl"
    # Words of the work (管理, 窗口) and everyday words (小区, 公司) are no evidence.
    assert not {"管理", "窗口", "小区", "公司", "12345"} & set(parts)


def test_business_told_through_the_responsibilities(scorer):
    found = scorer.judge("", "听说有防止返贫的监测，村里报了两次，说我们家以前不是贫困户所以不算。")
    assert found.unit.key == "ym"


def test_the_point_after_the_turn_decides(scorer):
    text = "我是去大厅办养老保险转移的，社保窗口办得挺快。我要说的是门口那个引导员，问她话头都不回。大厅的人都这样吗？"
    assert scorer.judge("", text).unit.key == "zwfw"


def test_a_body_that_disowns_the_matter_counts_less(scorer):
    text = "养猪场的粪水直接排到河里。农业局说粪污直排是污染问题不归他们。"
    assert scorer.judge("", text).unit.key == "hb"


def test_reports_for_no_single_department_get_no_unit(scorer):
    text = "每次去不同单位办事都要交身份证复印件，我不是要投诉哪一个，能不能让各部门内部调数据？"
    found = scorer.judge("", text, {"unit": {"ga": 0.3, "zj": 0.4}})
    assert found.unit.key is None and found.unit.reason == "no-single-unit"


def test_the_model_alone_names_no_unit_but_disputes_a_lone_word(scorer):
    text = "村东头那条河最近老有人半夜往里倒东西，鸭子都不下水了。"
    found = scorer.judge("", text, {"unit": {"hb": 0.9}})
    assert found.unit.key is None and found.unit.reason == "model-only"
    assert scorer.judge("", text, {"unit": {"zwfw": 0.9}}).unit.key is None
    # A model that disagrees with one weak word keeps it from looking certain.
    word_only = scorer.judge("", "孩子户口的事")
    disputed = scorer.judge("", "孩子户口的事", {"unit": {"jy": 0.6}})
    assert disputed.unit.confidence < word_only.unit.confidence


def test_with_the_model_the_words_count_only_through_it(scorer):
    # The integrity rule and the words on top are the evidence alone's; with the model's
    # probabilities (which have the words among their features) the model decides.
    text = "窗口的人暗示要表示表示，还让我排了三个小时的队"
    assert scorer.judge("", text).category.key == "lianjie"
    found = scorer.judge("", text, {"category": {"xiaolv": 0.6, "lianjie": 0.3, "qita": 0.1}})
    assert found.category.key == "xiaolv" and "model" in found.category.evidence
    # No floor of 其他 under a model that is unsure.
    assert scorer.judge("", text, {"category": {"xiaolv": 0.3, "qita": 0.2}}).category.key == "xiaolv"


def test_one_head_can_be_refitted_alone():
    before = Calibration(
        {"unit": ([0, 1], [0.1, 0.9]), "category": ([0, 1], [0.2, 0.8])}, 0.3, {"unit": 0.87, "category": 0.9}, "old"
    )
    fitted = Calibration(
        {"unit": ([0, 1], [0, 1]), "category": ([0, 1], [0, 1])}, 0.3, {"unit": 0.5, "category": 0.85}, "new"
    )
    both = refit_heads(fitted, before, ("category",))
    assert both.points == {"unit": ([0, 1], [0.1, 0.9]), "category": ([0, 1], [0, 1])}
    assert both.auto_apply == {"unit": 0.87, "category": 0.85} and both.fitted_on == "category: new | unit: old"
    again = refit_heads(fitted, both, ("category",))
    assert again.fitted_on == "category: new | unit: old" and again.points["unit"] == before.points["unit"]
    assert refit_heads(fitted, before, ("unit", "category")) is fitted


def test_calibration_helpers():
    # Counted as if one more were wrong: 40 right of 40 is taken as 40 of 41 (0.976).
    confidence = [0.99] * 40 + [0.95, 0.9]
    assert choose_threshold(confidence, [True] * 40 + [True, False]) == 0.95
    assert choose_threshold([0.99] * 20, [True] * 20) == 1.01  # too few to vouch for 0.97
    assert choose_threshold([0.9, 0.8], [False, False]) == 1.01  # never
    table = reliability([0.95, 0.92, 0.15], [True, False, False])
    assert table == [("0.1–0.2", 1, 0.15, 0.0), ("0.9–1.0", 2, 0.935, 0.5)]
    assert Calibration(points={"unit": ([0.0, 1.0], [0.2, 0.8])}).apply("unit", 0.5) == 0.5


def test_set_evaluation_counts_abstention_as_right_only_where_no_unit_can_be_told(scorer):
    rows = evaluation.load_set(FIXTURE)
    result = evaluation.evaluate_set(rows, lambda t: scorer.judge("", t), {"unit": 0.9, "category": 1.01})
    by_text = {o.row["text"][:4]: o for o in result.outcomes}
    assert by_text["办事太难"].unit is None and by_text["办事太难"].unit_right
    assert by_text["县里的事"].unit is None and not by_text["县里的事"].unit_right
    assert result.overall.abstentions == 2 and result.overall.abstentions_right == 1
    assert result.overall.unit_accuracy == round(5 / 6, 4)
    assert set(result.by_script) == {"hans", "hant"} and set(result.by_difficulty) == {"easy", "medium", "hard"}
    assert ("tj", "(none)", 1) in result.unit_confusions
    assert result.overall.applied_precision == 1.0 and 0 < result.overall.coverage < 0.5
    assert ("(none)", 1, 0.5, 1.0, 0.667) in evaluation.per_class(result.outcomes, "unit")


@pytest.mark.parametrize(
    "text, unit",
    [
        # A paper another body asks for (户口本, 身份证 handed in) is not the business complained of.
        ("申请廉租房，先交了户口本和身份证，又说要收入证明，来回跑了四趟。", "zj"),
        # A body named to say where the matter is (车管所旁边) is not whose business it is.
        ("车管所旁边那家网吧，天天晚上有未成年人在里面待到半夜。", "wl"),
        # The body thanked is the one a praise is about, whoever it called in to help.
        ("谢谢县妇联的张姐，她帮我找了派出所和法律援助，又陪我去了法院。", "fl"),
        # The body asked to act (请求…审计) is the addressee, not the one whose project it was.
        ("村里新修的路不到一年就开裂了，听说是交通局的项目。请求对这条路的资金使用做个专项审计。", "sj"),
    ],
)
def test_bodies_named_for_something_else_count_less(scorer, text, unit):
    assert scorer.judge("", text).unit.key == unit


def test_the_other_script_of_a_report():
    from intake.triage.suggest.evaluation import in_other_script

    rows = [
        {"text": "政务大厅叫号机坏了", "script": "hans", "unit": "zwfw", "category": "xiaolv"},
        {"text": "醫保報銷跑了三趟", "script": "hant", "unit": "yb", "category": "paoduoci"},
        {"text": "no script given", "unit": None, "category": "qita"},
    ]
    assert [(r["text"], r["script"], r["written"]) for r in in_other_script(rows)] == [
        ("政務大廳叫號機壞了", "hant", "政务大厅叫号机坏了"),
        ("医保报销跑了三趟", "hans", "醫保報銷跑了三趟"),
    ]
