"""Evidence combined into one suggestion (issue 17): whose business a report is about wins over
the hall it was handed in at, integrity wording wins over the topic, generic words do not veto
the model, no unit when nothing decides; and the set evaluation with its calibration table."""

import pytest

from intake.triage.suggest import evaluation
from intake.triage.suggest.calibration import Calibration, choose_threshold, reliability
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
        "养老",
        "失业保险",
        "就业创业",
        "技能培训",
    ]


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
