"""Building, skip logic and results at the service level (the database does not matter here)."""

from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from intake.extensions import db
from intake.surveys import answering, services
from intake.surveys.models import QuestionKind
from intake.surveys.results import summarize
from intake.timeutil import local_today
from tests.surveys.conftest import SATISFIED, answer

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_template_has_the_articles_questions(app_ctx, survey):
    q = services.questionnaire(survey.id)
    assert [question.kind for question in q.questions] == [
        QuestionKind.single,
        QuestionKind.multiple,
        QuestionKind.single,
        QuestionKind.number,
        QuestionKind.rating,
        QuestionKind.text,
        QuestionKind.text,
    ]
    assert q.questions[0].label == "您对县政务服务管理局的服务满意吗？"
    assert "重点需要解决的问题" in q.questions[5].label
    assert q.questions[1].show_if_question.name == "satisfaction" and q.questions[1].show_if_value == "dissatisfied"


def test_a_hidden_question_is_not_required_and_its_answer_is_dropped(app_ctx, survey):
    q = services.questionnaire(survey.id)
    form = MultiDict([("q_satisfaction", "satisfied"), ("q_why_not", "fees"), ("q_waited", "w30"), ("q_trips", "2")])
    submission = answering.read_submission(q, form.getlist)
    assert submission.errors == {} and "why_not" not in submission.values
    form["q_satisfaction"] = "dissatisfied"
    submission = answering.read_submission(q, form.getlist)
    assert submission.values["why_not"] == ["fees"]
    del form["q_why_not"]
    submission = answering.read_submission(q, form.getlist)
    assert set(submission.errors) == {"why_not"}


def test_bad_values_are_refused_with_a_message(app_ctx, survey):
    q = services.questionnaire(survey.id)
    form = MultiDict([("q_satisfaction", "maybe"), ("q_waited", "w10"), ("q_trips", "两次"), ("q_attitude", "9")])
    submission = answering.read_submission(q, form.getlist)
    assert set(submission.errors) == {"satisfaction", "trips", "attitude"}
    assert submission.raw["trips"] == ["两次"]


def test_results_count_average_and_search(app_ctx, survey):
    q = services.questionnaire(survey.id)
    today = local_today()
    answer(q, **SATISFIED, attitude=5, key_problem="午间窗口无人")
    answer(q, **SATISFIED, attitude=4)
    answer(
        q,
        satisfaction="dissatisfied",
        why_not=["attitude", "speed"],
        waited="w60plus",
        trips=3,
        attitude=1,
        key_problem="材料反复补，跑了三次",
        day=today - timedelta(days=10),
    )
    db.session.commit()
    result = summarize(q)
    assert result.responses == 3
    first = result.questions[0]
    assert [(r.label, r.count, r.percent) for r in first.rows] == [
        ("满意", 2, 66.7),
        ("基本满意", 0, 0.0),
        ("不满意", 1, 33.3),
    ]
    assert result.questions[3].average == round(5 / 3, 2) and result.questions[4].average == round(10 / 3, 2)
    assert [r.count for r in result.questions[1].rows][:2] == [1, 1] and result.questions[1].answered == 1
    assert "<svg" in first.bar_svg() and "满意" in first.pie_svg()
    assert [a.text_value for a in summarize(q, search="窗口").questions[5].texts] == ["午间窗口无人"]
    assert summarize(q, date_from=today - timedelta(days=1)).responses == 2
    assert summarize(q, date_to=today - timedelta(days=1)).responses == 1


def test_unit_results_and_free_text_for_the_appraisal(app_ctx, survey):
    q = services.questionnaire(survey.id)
    answer(q, **SATISFIED, suggestions="增加午间值班")
    db.session.commit()
    [summary] = services.unit_results(survey.cycle_id, survey.unit_id)
    assert summary["title"] == q.title and summary["answers"] == 1
    by_label = {row["label"]: row for row in summary["questions"]}
    assert by_label[q.questions[0].label]["rows"][0] == {"label": "满意", "count": 1, "percent": 100.0}
    assert by_label[q.questions[0].label]["chart_svg"].startswith("<svg")
    assert by_label[q.questions[6].label]["chart_svg"] is None
    texts = services.free_text_answers(survey.cycle_id, survey.unit_id)
    assert [(t["question"], t["text"]) for t in texts] == [(q.questions[6].label, "增加午间值班")]


def test_rules_refer_to_earlier_questions_and_stay_consistent(app_ctx, survey):
    q = services.questionnaire(survey.id)
    why_not = q.questions[1]
    with pytest.raises(services.QuestionnaireError):
        services.move_question(why_not, -1)  # above the question its rule refers to
    with pytest.raises(services.QuestionnaireError):
        services.delete_question(q.questions[0])  # why_not's rule refers to it
    late = services.QuestionInput(name="late", kind=QuestionKind.text, label="x", show_if=("suggestions", "a"))
    with pytest.raises(services.QuestionnaireError):
        services.add_question(q, late)
    services.move_question(q.questions[2], -1)
    assert [question.name for question in q.questions][:3] == ["satisfaction", "waited", "why_not"]
    data = services.QuestionInput.of(q.questions[0])
    data.choices = [("satisfied", "满意"), ("other", "一般")]
    services.update_question(q.questions[0], data)
    assert why_not.show_if_question is None  # its answer is gone: the rule goes with it


def test_questions_are_fixed_once_answered(app_ctx, survey):
    q = services.questionnaire(survey.id)
    answer(q, **SATISFIED)
    with pytest.raises(services.QuestionnaireError):
        services.add_question(q, services.QuestionInput(name="more", kind=QuestionKind.text, label="more"))


def test_a_free_text_answer_becomes_an_item_without_reporter(app_ctx, survey, users):
    q = services.questionnaire(survey.id)
    response = answer(q, **SATISFIED, key_problem="不动产登记窗口中午无人值守")
    db.session.commit()
    text_answer = next(a for a in response.answers if a.text_value)
    item = services.answer_to_item(text_answer, users["staff"], "JD")
    assert item.source.value == "questionnaire" and item.reporter is None and item.unit_id == survey.unit_id
    assert text_answer.item_id == item.id
    with pytest.raises(services.QuestionnaireError):
        services.answer_to_item(text_answer, users["staff"], "JD")
