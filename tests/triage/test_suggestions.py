"""Suggestions in the product: stored by the job with evidence, applied automatically only above
the admin-set confidence, accepted or corrected by staff with an event each, rules edited by
admins, the classifier trained from the command line and used by the next suggestion."""

import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Event, EventKind, FeedbackItem, Priority
from intake.triage import suggestions, training
from intake.triage.models import Decision, ItemSuggestion
from tests.factories import create_item
from tests.helpers import post_form

WINDOW = "政务大厅窗口工作人员态度很差"
WINDOW_BODY = "昨天在政务大厅三号窗口办营业执照，工作人员态度很差，一直玩手机还吼人。"


def kinds(item_id: int) -> list[EventKind]:
    return list(db.session.scalars(select(Event.kind).where(Event.item_id == item_id).order_by(Event.id)))


def test_the_job_stores_a_suggestion_with_evidence_once(app_ctx, ref):
    from intake.feedback.jobs import follow_up_item

    app_ctx.config["SUGGEST_AUTO_APPLY"] = 1.01  # never, unless an admin says otherwise
    item = create_item(subject=WINDOW, body=WINDOW_BODY)
    db.session.commit()
    assert follow_up_item(item.id) == "smtp not configured"  # the receipt part goes on as before
    s = db.session.get(ItemSuggestion, item.id)
    # The window was in the hall; the business (营业执照) is the market regulator's.
    assert (s.unit_id, s.category_id) == (ref.unit["sc"], ref.category["taidu"])
    assert s.unit_words == ["营业执照"] and "态度" in s.category_words
    assert s.unit_source == "evidence" and 0 < s.category_confidence < 1
    assert s.signature and not s.is_flagged
    # Below the threshold: suggested, not applied.
    assert item.unit_id is None and s.unit_decision is None
    assert suggestions.apply_suggestions(item.id) is s  # idempotent
    assert db.session.scalar(select(db.func.count()).select_from(ItemSuggestion)) == 1


def test_auto_apply_above_the_admin_threshold_says_so(app_ctx, ref, users):
    suggestions.set_auto_apply_threshold(0.3, users["admin"])
    item = create_item(subject="市场监管局窗口办营业执照被索要好处费", body=WINDOW_BODY + "还暗示要表示表示。")
    db.session.commit()
    s = suggestions.apply_suggestions(item.id)
    db.session.commit()
    assert item.unit_id == ref.unit["sc"] and item.category_id == ref.category["lianjie"]
    assert (s.unit_decision, s.category_decision) == (Decision.auto_applied, Decision.auto_applied)
    assert kinds(item.id).count(EventKind.suggestion_applied) == 2
    # The admin's 0.3 does not reach below the threshold chosen on held-out reports.
    weak = create_item(subject="意见", body="在大厅排队，工作人员态度不好。")
    db.session.commit()
    s = suggestions.apply_suggestions(weak.id)
    assert s.category_confidence < suggestions.calibration().auto_apply["category"]
    assert weak.category_id is None and s.category_decision is None


def test_integrity_words_raise_the_priority_and_flag_the_item(app_ctx):
    item = create_item(subject="办证被索要红包", body="工科局的人说不给红包就不给办，还威胁我不准举报。")
    db.session.commit()
    s = suggestions.apply_suggestions(item.id)
    assert s.is_flagged and {"integrity", "retaliation"} <= set(s.flag_list)
    assert item.priority is Priority.urgent  # two flags together
    assert EventKind.priority_raised in kinds(item.id)


def test_a_denial_does_not_flag(app_ctx):
    item = create_item(subject="表扬窗口", body="工作人员从不收红包，服务很好。")
    db.session.commit()
    s = suggestions.apply_suggestions(item.id)
    assert not s.is_flagged and item.priority is Priority.normal


def test_staff_accept_or_correct_with_one_click_and_an_event(app, client, auth, ref):
    app.config["SUGGEST_AUTO_APPLY"] = 1.01
    with app.app_context():
        first = create_item(subject=WINDOW, body=WINDOW_BODY)
        second = create_item(subject=WINDOW, body=WINDOW_BODY + "（再次反映）")
        db.session.commit()
        suggestions.apply_suggestions(first.id)
        suggestions.apply_suggestions(second.id)
        db.session.commit()
        first_id, second_id = first.id, second.id
    from tests.conftest import make_user

    make_user(app, "staff", "staff")
    auth.login("staff")
    page = client.get(f"/staff/items/{first_id}").get_data(as_text=True)
    assert "县市场监督管理局" in page and "<mark>营业执照</mark>" in page
    assert 'id="runner-up-category"' in page and "次选：" in page  # the runner-up, for staff to weigh
    assert (
        post_form(
            client, f"/staff/items/{first_id}/suggestion/accept", {}, get_url=f"/staff/items/{first_id}"
        ).status_code
        == 303
    )
    response = post_form(
        client,
        f"/staff/items/{second_id}/classify",
        {"unit_id": str(ref.unit["gk"]), "category_id": "0"},
        get_url=f"/staff/items/{second_id}",
    )
    assert response.status_code == 303
    with app.app_context():
        one, two = db.session.get(FeedbackItem, first_id), db.session.get(FeedbackItem, second_id)
        assert (one.unit_id, one.category_id) == (ref.unit["sc"], ref.category["taidu"])
        accepted = [e for e in one.events if e.kind is EventKind.suggestion_accepted]
        assert len(accepted) == 2 and all(e.actor.username == "staff" for e in accepted)
        assert two.unit_id == ref.unit["gk"] and two.category_id is None
        assert [e.kind for e in two.events][-1] is EventKind.suggestion_corrected
        assert two.suggestion.unit_decision is Decision.corrected and two.suggestion.category_decision is None
        # Both are now confirmed examples for the next training.
        examples = training.confirmed_examples()
        assert sorted(e.unit for e in examples) == ["gk", "sc"]
    # Nothing left to accept on the first one: said, not a crash.
    again = post_form(client, f"/staff/items/{first_id}/suggestion/accept", {}, get_url=f"/staff/items/{first_id}")
    assert "没有可采纳的建议" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_admins_edit_the_rules_and_the_next_suggestion_follows(app, client, auth, users, ref):
    auth.login("admin")
    page = client.get("/staff/admin/rules").get_data(as_text=True)
    assert "政务大厅" in page
    response = post_form(
        client,
        "/staff/admin/rules",
        {
            "threshold": "0.5",
            f"unit-{ref.unit['jt']}": "交通局,运管所,客运站,班车",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        assert suggestions.auto_apply_threshold() == 0.5
        item = create_item(subject="客運站班車不按時發車", body="客運站的班車經常晚點一個小時。")  # Traditional
        db.session.commit()
        s = suggestions.apply_suggestions(item.id)
        assert s.unit_id == ref.unit["jt"] and "客运站" in s.unit_words
    auth.logout()
    auth.login("staff")
    assert client.get("/staff/admin/rules").status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_classifier_train_and_evaluate_commands(app, runner, tmp_path, ref):
    model_path = tmp_path / "model.joblib"
    app.config["CLASSIFIER_PATH"] = str(model_path)
    result = runner.invoke(args=["intake", "classifier", "evaluate"])
    assert result.exit_code == 0, result.output
    assert re.search(r"unit: train \d+, test \d+; accuracy 0\.\d+, macro-F1 0\.\d+", result.output)
    assert re.search(r"category: .*macro-F1", result.output) and "zwfw" in result.output
    result = runner.invoke(args=["intake", "classifier", "train"])
    assert result.exit_code == 0, result.output
    assert "(0 confirmed by staff)" in result.output and model_path.exists()
    with app.app_context():
        # No alias here: the business (异地就医) and the model tell.
        item = create_item(subject="异地就医结算", body="在昆明住院还是不能直接结算，叫我们回来手工报销。")
        db.session.commit()
        s = suggestions.apply_suggestions(item.id)
        assert s.unit_source == "evidence" and s.unit_id == ref.unit["yb"] and "model" in s.unit_words
