"""Rule-based suggestions from the seed data: aliases in both scripts, evidence, several units."""

import pytest

from intake.triage.suggest.normalize import compact, is_negated, normalize
from intake.triage.suggest.rules import RuleSet, seed_rule_set


@pytest.fixture(scope="module")
def rules():
    return seed_rule_set()


def test_normalize_folds_script_width_case_and_space():
    assert normalize("政務大廳３號窗口　ＡＢＣ\n\n態度\u200b差") == "政务大厅3号窗口 abc 态度差"
    assert normalize("貼著") == normalize("贴着")
    assert compact("政務大廳，３號窗口。") == "政务大厅3号窗口"
    assert normalize(None) == ""


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("工作人员从不收红包", True),
        ("从来没有索要过好处费", True),
        ("不给红包就不办", False),
        ("没给红包就被刁难", False),
        ("无奈给了红包", False),
    ],
)
def test_negation(text, negated):
    n = normalize(text)
    word = next(w for w in ("红包", "好处费") if w in n)
    assert is_negated(n, n.find(word)) is negated


@pytest.mark.parametrize(
    ("subject", "body", "unit", "word"),
    [
        ("", "政务大厅3号窗口态度很差", "zwfw", "政务大厅"),
        ("", "政務大廳3號窗口態度很差", "zwfw", "政务大厅"),
        ("", "便民窗口的人不理人", "zwfw", "便民窗口"),
        ("", "政務中心排隊太久", "zwfw", "政务中心"),
        ("", "工科局的补贴一直不发", "gk", "工科局"),
        ("", "工信局的补贴一直不发", "gk", "工信局"),
        ("", "科技局的項目申報太麻煩", "gk", "科技局"),
        ("", "縣工業商務和科學技術信息局", "gk", "县工业商务和科学技术信息局"),
        ("", "ＯＫ，派出所上户口跑了三趟", "ga", "派出所"),
    ],
)
def test_unit_from_names_and_aliases_in_both_scripts(rules, subject, body, unit, word):
    suggestion = rules.suggest(subject, body)
    assert suggestion.unit.key == unit
    assert word in suggestion.unit.evidence
    assert 0 < suggestion.unit.confidence <= 1
    assert suggestion.unit.source == "rules"


def test_longer_match_hides_the_shorter_one_inside_it(rules):
    suggestion = rules.suggest("", "政务服务大厅的服务很好")
    assert suggestion.unit.evidence == ("政务服务大厅",)  # not also 大厅
    generic = rules.suggest("", "大厅的服务很好")
    assert generic.unit.key == "zwfw"
    assert generic.unit.confidence < suggestion.unit.confidence


def test_several_units_dominant_first_others_reported(rules):
    suggestion = rules.suggest("工科局补贴不兑现", "工科局说钱在财政局，财政局说早拨给工科局了，工信局又叫我们等")
    assert suggestion.unit.key == "gk"
    assert [o.key for o in suggestion.other_units] == ["cz"]
    assert suggestion.other_units[0].evidence == ("财政局",)
    assert suggestion.other_units[0].confidence < suggestion.unit.confidence


def test_subject_counts_more_than_body(rules):
    suggestion = rules.suggest("人社局", "社保的事我去了医保局")
    assert suggestion.unit.key == "rs"


def test_category_keywords_with_evidence(rules):
    assert rules.suggest("", "窗口工作人员索要红包").category.key == "lianjie"
    suggestion = rules.suggest("", "窗口態度冷漠，推諉扯皮")
    assert suggestion.category.key == "taidu"
    assert set(suggestion.category.evidence) == {"态度", "冷漠", "推诿"}
    assert rules.suggest("", "技改补贴一直不兑现").category.key == "zhengce"
    # A keyword from the category's own name: 吃拿卡要 beats the generic 材料.
    assert rules.suggest("", "材料交了，他们吃拿卡要").category.key == "lianjie"


def test_nothing_found(rules):
    suggestion = rules.suggest("你好", "我家门口的路灯坏了")
    assert not suggestion.unit.found and suggestion.unit.confidence == 0
    assert not suggestion.category.found
    assert suggestion.other_units == ()


def test_from_rows_with_database_ids_and_traditional_terms():
    rules = RuleSet.from_rows(
        units=[(11, "县政务服务管理局", "政务服务局", ["政務大廳"]), (12, "县工科局", None, ["工科局"])],
        categories=[(1, None, "工作作风", []), (2, 1, "服务态度", ["態度"])],
    )
    suggestion = rules.suggest("政务大厅态度差", None)
    assert (suggestion.unit.key, suggestion.category.key) == (11, 2)
    assert rules.parent_of(2) == 1
    # An alias shared by two units splits its weight between them.
    shared = RuleSet.from_rows(units=[(1, "甲局", None, ["窗口"]), (2, "乙局", None, ["窗口"])], categories=[])
    suggestion = shared.suggest("", "窗口")
    assert suggestion.unit.confidence == suggestion.other_units[0].confidence
