"""The learned model: trains on the labelled set, beats the majority class, survives a
save/load round trip, and merges with the rules."""

from pathlib import Path

import pytest

from intake.triage.suggest.classifier import (
    HEADS,
    Example,
    HeadPrediction,
    Model,
    Prediction,
    combine,
    evaluate,
    load_jsonl,
    main,
    train,
)
from intake.triage.suggest.rules import FieldSuggestion, Suggestions

DATA = Path(__file__).resolve().parents[1] / "data" / "triage" / "labelled_reports.jsonl"
SEED = 4


@pytest.fixture(scope="module")
def examples():
    return load_jsonl(DATA)


@pytest.fixture(scope="module")
def model(examples):
    return train(examples)


@pytest.fixture(scope="module")
def evaluation(examples):
    return evaluate(examples, test_size=0.25, seed=SEED)


@pytest.mark.parametrize("head", HEADS)
def test_beats_majority_baseline_by_a_clear_margin(evaluation, head):
    result = evaluation.heads[head]
    assert result.n_test >= 100
    # Close at least half of the gap between always-the-majority and perfect.
    assert result.accuracy >= result.baseline_accuracy + 0.5 * (1 - result.baseline_accuracy)
    assert result.macro_f1 >= result.baseline_macro_f1 + 0.5 * (1 - result.baseline_macro_f1)
    # Every class that was tested appears in the table, supports add up.
    assert sum(s.support for s in result.per_class.values()) == result.n_test


def test_split_is_stratified_and_reproducible(examples, evaluation):
    again = evaluate(examples, test_size=0.25, seed=SEED)
    assert again.heads["unit"].accuracy == evaluation.heads["unit"].accuracy
    # Stratified: every unit, even the rare ones, is in the test half.
    assert set(evaluation.heads["unit"].per_class) == {e.unit for e in examples}


def test_predict_both_heads_with_confidence_and_features(model):
    prediction = model.predict("政務大廳3號窗口的人態度太差，吼人")
    unit_label, unit_confidence, unit_features = prediction.unit
    assert unit_label == "zwfw" and type(unit_label) is str
    assert 0 < unit_confidence <= 1
    assert unit_features and all(isinstance(f, str) and f for f in unit_features)
    assert prediction.category.label == "taidu"
    assert any("态度" in f or "态" == f for f in prediction.category.top_features)


def test_traditional_and_simplified_predict_alike(model, examples):
    from zhconv import convert

    texts = [e.text for e in examples[:40]]
    same = sum(model.predict(t).category.label == model.predict(convert(t, "zh-hant")).category.label for t in texts)
    assert same == len(texts)


def test_save_load_round_trip(model, examples, tmp_path):
    path = tmp_path / "triage-model.joblib"
    model.save(path)
    loaded = Model.load(path)
    for e in examples[:30]:
        assert loaded.predict(e.text) == model.predict(e.text)


def test_load_refuses_other_files(tmp_path):
    import joblib

    path = tmp_path / "other.joblib"
    joblib.dump({"something": 1}, path)
    with pytest.raises(ValueError):
        Model.load(path)


def test_partial_labels_and_single_class():
    model = train(
        [
            Example("政务大厅态度差", "zwfw", "taidu"),
            Example("工科局补贴不发", "gk", None),
            Example("政务大厅排队久", "zwfw", "taidu"),
        ]
    )
    assert model.labels("category") == ["taidu"]
    assert model.predict("态度").category == HeadPrediction("taidu", 1.0, ())
    assert model.predict("").unit.label is None


def _rule(key, confidence, *evidence):
    return FieldSuggestion(key, confidence, evidence, "rules")


def test_combine_rules_win_when_confident():
    rules = Suggestions(unit=_rule("zwfw", 0.86, "政务大厅"), category=_rule("taidu", 0.3, "态度"))
    model = Prediction(HeadPrediction("gk", 0.9, ("补贴",)), HeadPrediction("xiaolv", 0.8, ("排队",)))
    merged = combine(rules, model)
    assert (merged.unit.key, merged.unit.source, merged.unit.evidence) == ("zwfw", "rules", ("政务大厅",))
    # Weak rules lose to a confident model, which says why.
    assert (merged.category.key, merged.category.source, merged.category.evidence) == ("xiaolv", "model", ("排队",))


def test_combine_agreement_raises_confidence_and_joins_evidence():
    rules = Suggestions(unit=_rule("gk", 0.6, "工信局"), other_units=(_rule("cz", 0.2, "财政局"),))
    model = Prediction(HeadPrediction("gk", 0.7, ("技改", "工信局")), HeadPrediction("zhengce", 0.9, ("补贴",)))
    merged = combine(rules, model)
    assert merged.unit.key == "gk" and merged.unit.source == "rules+model"
    assert merged.unit.confidence == pytest.approx(1 - 0.4 * 0.3, abs=1e-3)
    assert merged.unit.evidence == ("工信局", "技改")
    assert [o.key for o in merged.other_units] == ["cz"]
    # Nothing from the rules: the model fills in.
    assert merged.category.key == "zhengce" and merged.category.source == "model"


def test_combine_with_real_rules_and_model(model):
    from intake.triage.suggest.rules import seed_rule_set

    text = "技改补贴咋个还不兑现，去问了三次"  # no unit named: the model must find it
    merged = combine(seed_rule_set().suggest("", text), model.predict(text))
    assert merged.unit.key == "gk" and merged.unit.source == "model"
    assert merged.category.key == "zhengce" and "补贴" in merged.category.evidence


def test_cli_evaluate_prints_the_table(capsys):
    assert main(["evaluate", str(DATA), "--seed", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "| zwfw" in out and "| lianjie" in out
