"""After closure: staff hear of a reporter's 不满意 (mail and a flag in the ledger), the
outcome mail spares bouncing addresses, and staff can take a released attachment back."""

import re
from email import message_from_bytes, policy

import pytest
from rq import Queue
from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.feedback.models import Attachment, FeedbackItem
from intake.feedback.services import ReporterInput
from intake.mailbox.models import BouncingAddress
from intake.rectification import notify
from intake.rectification.models.outbox import ClosureNotice, ReminderKind, TaskReminder
from intake.rectification.models.tasks import RectificationTask, TaskEventKind, TaskStatus
from intake.rectification.services import released_attachments
from intake.redis_client import redis_connection
from tests.conftest import AuthActions
from tests.factories import upload
from tests.helpers import open_progress, post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _set_emails(app, **emails):
    with app.app_context():
        for username, email in emails.items():
            db.session.scalar(select(User).where(User.username == username)).email = email
        db.session.commit()


def test_not_satisfied_mails_staff_and_flags_the_ledger(app, users, ledger, smtp_server):
    _set_emails(app, staff="staff@example.cn", admin="admin@example.cn", liaison="liaison@example.cn")
    item_id = ledger.item()
    task_id = ledger.route([item_id])
    ledger.advance(task_id, "closed")
    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        code, secret = item.tracking_code, item.lookup_secret
    public = app.test_client()
    assert open_progress(public, code, secret).status_code == 200
    r = post_form(public, f"/jiandu/track/{code}/rating", {"grade": "dissatisfied"}, get_url=f"/jiandu/track/{code}")
    assert r.status_code == 303
    with app.app_context():
        reminder = db.session.scalar(select(TaskReminder))
        assert (reminder.task_id, reminder.kind) == (task_id, ReminderKind.dissatisfied)
        assert reminder.enqueued_at is not None  # enqueued right after the commit
        assert f"task-reminder-{reminder.id}" in Queue(app.config["RQ_QUEUE"], connection=redis_connection()).job_ids
        assert notify.send_reminder(reminder.id) == "sent"
        assert notify.send_reminder(reminder.id) == "already sent"
        code = db.session.get(RectificationTask, task_id).code
    mails = [message_from_bytes(m.content, policy=policy.default) for m in smtp_server.messages]
    assert [a.addr_spec for m in mails for a in m["To"].addresses] == ["staff@example.cn"]  # not the unit, not admin
    assert code in mails[0]["Subject"] and f"/staff/rectification/tasks/{task_id}" in mails[0].get_content()

    staff = app.test_client()
    AuthActions(staff).login("staff")
    html = staff.get("/staff/rectification/").get_data(as_text=True)
    assert "dissatisfied-flag" in html
    post_form(
        staff,
        f"/staff/rectification/tasks/{task_id}/review",
        {"decision": "confirm", "note": "已核实，维持销号"},
        get_url=f"/staff/rectification/tasks/{task_id}",
    )
    assert "dissatisfied-flag" not in staff.get("/staff/rectification/").get_data(as_text=True)


def test_no_outcome_mail_to_a_bouncing_address(app, users, ledger, smtp_server):
    bouncing = ledger.item(reporter=ReporterInput(name="钱七", email="Bounce@Example.cn"))
    fine = ledger.item(reporter=ReporterInput(name="孙八", email="sun8@example.cn"))
    with app.app_context():
        db.session.add(BouncingAddress(address="bounce@example.cn"))
        db.session.commit()
    ledger.advance(ledger.route([bouncing, fine]), "closed")
    with app.app_context():
        ids = db.session.scalars(select(ClosureNotice.id).order_by(ClosureNotice.item_id)).all()
        assert [notify.notify_closure(i) for i in ids] == ["bouncing", "sent"]
    assert [rcpt for m in smtp_server.messages for rcpt in m.rcpt_tos] == ["sun8@example.cn"]


def test_staff_hide_a_released_attachment_again(app, users, ledger):
    item_id = ledger.item(uploads=[upload("门口.png")])
    task_id = ledger.route([item_id])
    with app.app_context():
        attachment_id = db.session.scalar(select(Attachment.id).where(Attachment.item_id == item_id))
        released_attachments.release_attachment(
            db.session.get(RectificationTask, task_id), attachment_id, users["staff"]
        )
        db.session.commit()
    liaison, staff = app.test_client(), app.test_client()
    AuthActions(liaison).login("liaison")
    AuthActions(staff).login("staff")
    url = f"/unit/tasks/{task_id}/attachments/{attachment_id}"
    assert liaison.get(url).status_code == 200
    task_url = f"/staff/rectification/tasks/{task_id}"
    assert f'data-hide="{attachment_id}"' in staff.get(task_url).get_data(as_text=True)
    r = post_form(staff, f"{task_url}/hide/{attachment_id}", {}, get_url=task_url)
    assert r.status_code == 303
    assert liaison.get(url).status_code == 404
    assert f'data-release="{attachment_id}"' in staff.get(task_url).get_data(as_text=True)
    assert post_form(staff, f"{task_url}/hide/{attachment_id}", {}, get_url=task_url).status_code == 404  # not released
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        hidden = [(e.actor_id, e.to_value) for e in task.events if e.kind is TaskEventKind.attachment_hidden]
        assert hidden == [(users["staff"], str(attachment_id))]
        assert task.status is TaskStatus.dispatched


def test_after_a_reopen_the_public_page_no_longer_says_the_problem_was_rectified(app, users, ledger):
    item_id = ledger.item()
    task_id = ledger.route([item_id])
    ledger.advance(task_id, "closed")
    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        code, secret = item.tracking_code, item.lookup_secret
    public = app.test_client()
    open_progress(public, code, secret)
    post_form(public, f"/jiandu/track/{code}/rating", {"grade": "dissatisfied"}, get_url=f"/jiandu/track/{code}")
    html = public.get(f"/jiandu/track/{code}").get_data(as_text=True)
    assert 'id="reopened-note"' in html  # not satisfied: staff are looking at it again
    staff = app.test_client()
    AuthActions(staff).login("staff")
    post_form(
        staff,
        f"/staff/rectification/tasks/{task_id}/review",
        {"decision": "return", "note": "整改不彻底，退回重办"},
        get_url=f"/staff/rectification/tasks/{task_id}",
    )
    html = public.get(f"/jiandu/track/{code}").get_data(as_text=True)
    assert "整改中" in re.search(r'id="item-status">([^<]+)<', html).group(1)
    assert 'id="outcome"' not in html and "已整改" not in html and "经政协委员核实" not in html
