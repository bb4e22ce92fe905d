"""Closing the loop by mail, reminders and escalation: real SMTP receiver, real Redis, and
each sent at most once however often the job or the tick runs."""

from datetime import date
from email import message_from_bytes, policy

from rq import Queue
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.services import ReporterInput
from intake.rectification import jobs, notify
from intake.rectification.models.outbox import ClosureNotice, ReminderKind, TaskReminder
from intake.rectification.models.tasks import RectificationTask
from intake.redis_client import redis_connection
from tests.conftest import make_user


def _mails(smtp_server):
    return [message_from_bytes(m.content, policy=policy.default) for m in smtp_server.messages]


def test_closure_mail_goes_once_to_a_reporter_with_an_address(app, users, ledger, smtp_server):
    named = ledger.item(reporter=ReporterInput(name="赵六", phone="13911112222", email="zhao6@example.cn"))
    anonymous = ledger.item(reporter=ReporterInput(wants_anonymity=True))
    task_id = ledger.route([named, anonymous])
    ledger.advance(task_id, "closed")
    with app.app_context():
        notices = db.session.scalars(select(ClosureNotice).order_by(ClosureNotice.id)).all()
        assert len(notices) == 2
        ids = [n.id for n in notices]
        # The job is in Redis after the commit, under a stable id.
        assert jobs.dispatch_closure_notices(ids)
        queued = Queue(app.config["RQ_QUEUE"], connection=redis_connection()).job_ids
        assert f"closure-notice-{ids[0]}" in queued
        results = [notify.notify_closure(i) for i in ids]
        assert results == ["sent", "no address"]
        assert [notify.notify_closure(i) for i in ids] == ["already done", "already done"]
        assert notify.pending_closure_notice_ids() == []
    mails = _mails(smtp_server)
    assert len(mails) == 1
    assert mails[0]["To"].addresses[0].addr_spec == "zhao6@example.cn"
    body = mails[0].get_content()
    assert "/jiandu/link/" in body and "已完成整改" in body


def test_a_failed_send_releases_the_claim_for_rq_to_retry(app, users, ledger):
    item_id = ledger.item()
    task_id = ledger.route([item_id])
    ledger.advance(task_id, "closed")
    from tests.servers import free_port

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nobody listens
    with app.app_context():
        notice_id = db.session.scalar(select(ClosureNotice.id))
        try:
            notify.notify_closure(notice_id)
        except OSError:
            pass
        else:
            raise AssertionError("the send error must propagate")
        notice = db.session.get(ClosureNotice, notice_id)
        assert notice.mailed_at is None and notice.outcome is None


def test_reminders_and_escalation_fire_once_per_deadline(app, users, ledger, smtp_server):
    with app.app_context():
        from intake.auth.models import User

        for username in ("liaison", "staff"):
            db.session.scalar(select(User).where(User.username == username)).email = f"{username}@example.cn"
        db.session.commit()
    make_user(app, "liaison_gk", "liaison", unit_code="gk")  # another unit: never mailed
    item_id = ledger.item()
    task_id = ledger.route([item_id], today=date(2026, 11, 2))  # first answer 11-05, deadline 11-23
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert (task.first_answer_due, task.deadline) == (date(2026, 11, 5), date(2026, 11, 23))
        created = notify.create_due_reminders(date(2026, 11, 4))
        assert len(created) == 1
        assert notify.create_due_reminders(date(2026, 11, 4)) == []
        # The day after the first-answer date: escalation; again nothing twice.
        assert len(notify.create_due_reminders(date(2026, 11, 6))) == 1
        assert notify.create_due_reminders(date(2026, 11, 6)) == []
        for reminder_id in notify.unsent_reminder_ids():
            assert notify.send_reminder(reminder_id) == "sent"
            assert notify.send_reminder(reminder_id) == "already sent"
        kinds = db.session.scalars(select(TaskReminder.kind).order_by(TaskReminder.id)).all()
        assert kinds == [ReminderKind.first_answer_due, ReminderKind.first_answer_overdue]
    mails = _mails(smtp_server)
    recipients = sorted(a.addr_spec for m in mails for a in m["To"].addresses)
    # The reminder to the unit; the escalation to the unit and to staff.
    assert recipients == ["liaison@example.cn", "liaison@example.cn", "staff@example.cn"]

    ledger.advance(task_id, "signed")
    with app.app_context():
        # Deadline near, then passed: one reminder, one escalation.
        assert len(notify.create_due_reminders(date(2026, 11, 20))) == 1
        assert len(notify.create_due_reminders(date(2026, 11, 24))) == 1
        assert notify.create_due_reminders(date(2026, 11, 25)) == []
        # A new deadline is a new key: it is reminded again.
        from intake.rectification.services import unit_steps

        task = db.session.get(RectificationTask, task_id)
        unit_steps.change_deadline(task, users["staff"], date(2026, 12, 4))
        db.session.commit()
        assert len(notify.create_due_reminders(date(2026, 12, 3))) == 1


def test_tick_command_enqueues_and_a_second_run_sends_nothing(app, users, ledger, runner):
    item_id = ledger.item()
    ledger.route([item_id], today=date(2026, 11, 2))
    first = runner.invoke(args=["intake", "rectification", "tick", "--today", "2026-11-30"])
    assert first.exit_code == 0, first.output
    assert "created 2 reminder(s)" in first.output
    second = runner.invoke(args=["intake", "rectification", "tick", "--today", "2026-11-30"])
    assert second.exit_code == 0 and second.output == ""
    with app.app_context():
        rows = db.session.scalars(select(TaskReminder)).all()
        assert len(rows) == 2 and all(r.enqueued_at for r in rows)


def test_reporters_of_merged_duplicates_get_the_outcome_and_rate_it(app, users, ledger, smtp_server):
    """Merged reports (重复) are not linked to the task, yet their reporters hear its outcome
    and rate it, each on their own tracking code; the unit never reads their identity."""
    from intake.feedback.models import FeedbackItem, ItemStatus
    from intake.rectification.models.ratings import Satisfaction
    from intake.rectification.services import reporter_rating, visibility
    from intake.triage.services import item_actions

    primary = ledger.item(reporter=ReporterInput(name="赵六", email="zhao6@example.cn"))
    merged = ledger.item(reporter=ReporterInput(name="钱七", phone="13922223333", email="qian7@example.cn"))
    with app.app_context():
        item_actions.merge_duplicates(primary, [merged], users["staff"])
        db.session.commit()
    task_id = ledger.route([primary])
    ledger.advance(task_id, "closed")
    with app.app_context():
        notices = db.session.scalars(select(ClosureNotice).order_by(ClosureNotice.id)).all()
        assert [n.item_id for n in notices] == [primary, merged]
        assert [notify.notify_closure(n.id) for n in notices] == ["sent", "sent"]
        task = db.session.get(RectificationTask, task_id)
        assert "钱七" not in visibility.mask_for_task("钱七来电 13922223333", task)
        item = db.session.get(FeedbackItem, merged)
        assert item.status is ItemStatus.duplicate  # merged reports keep their status
        outcome = reporter_rating.outcome_for_item(item)
        assert outcome is not None and outcome.task.id == task_id and outcome.can_rate
        rating = reporter_rating.rate_outcome(item, Satisfaction.satisfied)
        db.session.commit()
        assert rating.item_id == merged and rating.task_id == task_id
        assert not reporter_rating.outcome_for_item(item).can_rate  # once per closure round
        assert reporter_rating.outcome_for_item(db.session.get(FeedbackItem, primary)).can_rate
    mails = sorted(_mails(smtp_server), key=lambda m: m["To"].addresses[0].addr_spec)
    assert [m["To"].addresses[0].addr_spec for m in mails] == ["qian7@example.cn", "zhao6@example.cn"]
    merged_code = mails[0]["Subject"].split("]")[0].strip("[")
    with app.app_context():
        assert merged_code == db.session.get(FeedbackItem, merged).tracking_code
