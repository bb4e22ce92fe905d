"""Ledger services on both databases: routing rules, one event per transition, figures."""

from datetime import date, datetime, timedelta

import pytest

from intake.extensions import db
from intake.feedback.models import FeedbackItem, ItemStatus
from intake.rectification import services
from intake.rectification.models.ratings import Satisfaction
from intake.rectification.models.tasks import RectificationTask, TaskEventKind, TaskStatus
from intake.rectification.models.visits import VisitOutcome
from intake.rectification.services import figures_per_unit, reporter_rating, unit_steps, verification


def test_routing_creates_a_task_and_moves_items_with_their_events(app_ctx, users, ref, ledger):
    item_id = ledger.item()
    task_id = ledger.route([item_id], today=date(2026, 9, 28))
    task = db.session.get(RectificationTask, task_id)
    assert task.code == "ZG-2026-0001" and task.status is TaskStatus.dispatched
    # Across National Day: 3 working days → Oct 8 (Sep 29, 30, Oct 8); 15 → Oct 23 (Sat Oct 10 worked).
    assert task.first_answer_due == date(2026, 10, 8)
    assert task.deadline == date(2026, 10, 23)
    item = db.session.get(FeedbackItem, item_id)
    assert item.status is ItemStatus.routed and item.unit_id == ref.unit["zwfw"]
    assert [e.to_value for e in item.events if e.kind.value == "status_changed"] == ["accepted", "routed"]
    assert [e.kind for e in task.events] == [TaskEventKind.created, TaskEventKind.item_linked]
    assert all(e.actor_id == users["staff"] for e in task.events)


def test_a_second_report_joins_the_open_task_of_the_same_unit(app_ctx, users, ref, ledger):
    first, second = ledger.item(), ledger.item()
    task_id = ledger.route([first])
    ledger.advance(task_id, "signed")
    assert ledger.route([second], task_id=task_id) == task_id
    task = db.session.get(RectificationTask, task_id)
    assert [i.id for i in task.items] == [first, second]
    assert db.session.get(FeedbackItem, second).status is ItemStatus.rectifying  # the unit already signed
    with pytest.raises(services.RectificationError):
        ledger.route([second])  # already in an open task
    with pytest.raises(services.RectificationError):
        ledger.route([ledger.item()], unit="gk", task_id=task_id)  # another unit's task


def test_each_transition_is_checked_and_leaves_an_event(app_ctx, users, ledger):
    task_id = ledger.route([ledger.item()])
    task = db.session.get(RectificationTask, task_id)
    with pytest.raises(services.TaskTransitionError):
        unit_steps.report_completion(task, users["liaison"], "做完了")  # not signed yet
    db.session.rollback()
    task = db.session.get(RectificationTask, task_id)
    unit_steps.sign_task(task, users["liaison"], measures="措施", responsible_person="王科长")
    unit_steps.report_completion(task, users["liaison"], "做完了")
    with pytest.raises(services.RectificationError):
        verification.record_visit(
            task,
            users["member"],
            visited_on=date(2026, 11, 20),
            visitors="委员甲",
            findings="没做",
            outcome=VisitOutcome.returned,
            reasons=None,
        )
    changes = [(e.from_value, e.to_value, e.actor_id) for e in task.events if e.kind is TaskEventKind.status_changed]
    assert changes == [("dispatched", "signed", users["liaison"]), ("signed", "reported_done", users["liaison"])]


def test_the_first_answer_cannot_fall_after_the_deadline(app_ctx, users, ledger):
    task = db.session.get(RectificationTask, ledger.route([ledger.item()]))
    with pytest.raises(services.RectificationError):
        unit_steps.change_deadline(task, users["staff"], task.first_answer_due - timedelta(days=1))


def test_figures_per_unit(app_ctx, users, ref, ledger):
    on_time = ledger.route([ledger.item(), ledger.item()], today=date(2026, 11, 2))
    late = ledger.route([ledger.item()], today=date(2026, 9, 1))
    ledger.route([ledger.item()], unit="gk", today=date(2026, 9, 1))  # open, overdue by December
    ledger.advance(on_time, "closed")
    ledger.advance(late, "closed")
    # Dispatch and closure times as if it had happened then.
    for task_id, created, closed in (
        (on_time, datetime(2026, 11, 2), datetime(2026, 11, 20)),
        (late, datetime(2026, 9, 1), datetime(2026, 11, 1)),
    ):  # deadline 09-22
        task = db.session.get(RectificationTask, task_id)
        task.created_at, task.closed_at = created, closed
    items = [i.id for i in db.session.get(RectificationTask, on_time).items]
    for item_id, grade in zip(items, [Satisfaction.satisfied, Satisfaction.dissatisfied]):
        reporter_rating.rate_outcome(db.session.get(FeedbackItem, item_id), grade)
    reporter_rating.rate_outcome(db.session.get(RectificationTask, late).items[0], Satisfaction.basically)
    db.session.commit()
    figures = {f.unit_code: f for f in figures_per_unit.unit_figures(year=2026, today=date(2026, 12, 1))}
    zwfw, gk = figures["zwfw"], figures["gk"]
    # 不满意 reopened the on-time task: it is not closed until staff decide (nor overdue).
    assert db.session.get(RectificationTask, on_time).status is TaskStatus.reopened
    assert (zwfw.tasks, zwfw.routed, zwfw.closed, zwfw.closed_on_time, zwfw.overdue) == (2, 3, 1, 0, 0)
    assert zwfw.ratings == 3 and zwfw.satisfaction_rate == pytest.approx(2 / 3)
    assert zwfw.average_days_to_close == pytest.approx(61)
    assert (gk.tasks, gk.closed, gk.overdue, gk.satisfaction_rate) == (1, 0, 1, None)
    # Staff keep it closed: now it counts, on time.
    verification.confirm_closure(db.session.get(RectificationTask, on_time), users["staff"], "已核实，维持销号")
    zwfw = {f.unit_code: f for f in figures_per_unit.unit_figures(year=2026, today=date(2026, 12, 1))}["zwfw"]
    assert (zwfw.closed, zwfw.closed_on_time) == (2, 1)
    assert zwfw.average_days_to_close == pytest.approx((18 + 61) / 2)
