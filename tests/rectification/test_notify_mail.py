"""The ledger's mail as its recipients receive it through a real SMTP receiver: the outcome to
the reporter when a task closes, reminders and escalation to the unit and staff. Written before
the outgoing mail got one composer, so the mail stays what it was."""

from datetime import date

from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.feedback.services import ReporterInput
from intake.mailbox.models import Direction, ThreadEntry
from intake.rectification import notify
from intake.rectification.models.outbox import ClosureNotice
from intake.rectification.models.tasks import RectificationTask
from intake.timeutil import utcnow
from tests.helpers import assert_sent_mail


def test_outcome_mail_in_the_reporters_language(app, users, ledger, smtp_server):
    item_id = ledger.item(
        locale="zh_Hant",
        subject="便民窗口态度生硬",
        body="窗口工作人员态度生硬。",
        reporter=ReporterInput(name="赵六", phone="13911112222", email="zhao6@example.cn"),
    )
    with app.app_context():
        # A thread the item already has (the receipt): the outcome mail does not answer in it.
        db.session.add(
            ThreadEntry(
                item_id=item_id,
                direction=Direction.outbound,
                message_id="receipt@localhost",
                subject="receipt",
                text="",
                is_auto=True,
                created_at=utcnow(),
            )
        )
        db.session.commit()
    task_id = ledger.route([item_id])
    ledger.advance(task_id, "closed")
    with app.app_context():
        notice = db.session.scalar(select(ClosureNotice))
        assert notify.notify_closure(notice.id) == "sent"
        item = db.session.get(FeedbackItem, item_id)
        placeholders = {item.tracking_code: "code", item.lookup_secret: "secret"}
        notice = db.session.get(ClosureNotice, notice.id)
        assert notice.message_id.startswith("<") and f".{item.tracking_code}@localhost>" in notice.message_id

    [envelope] = smtp_server.messages
    assert_sent_mail(envelope, "rectification_outcome_zh_Hant", placeholders)


def test_reminder_to_the_unit_and_escalation_to_staff(app, users, ledger, smtp_server):
    with app.app_context():
        for username in ("liaison", "staff"):
            db.session.scalar(select(User).where(User.username == username)).email = f"{username}@example.cn"
        db.session.commit()
    item_id = ledger.item(
        subject="便民窗口态度生硬",
        body="窗口工作人员态度生硬。",
        reporter=ReporterInput(name="赵六", phone="13911112222", email="zhao6@example.cn"),
    )
    task_id = ledger.route([item_id], today=date(2026, 11, 2))  # first answer 11-05, deadline 11-23
    with app.app_context():
        notify.create_due_reminders(date(2026, 11, 4))
        notify.create_due_reminders(date(2026, 11, 6))
        for reminder_id in notify.unsent_reminder_ids():
            assert notify.send_reminder(reminder_id) == "sent"
        code = db.session.get(RectificationTask, task_id).code
    placeholders = {code: "task_code", f"/tasks/{task_id}": "task_path"}

    due, overdue_liaison, overdue_staff = smtp_server.messages
    assert_sent_mail(due, "rectification_reminder_first_answer_due", placeholders)
    assert_sent_mail(overdue_liaison, "rectification_escalation_to_the_unit", placeholders)
    assert_sent_mail(overdue_staff, "rectification_escalation_to_staff", placeholders)
