"""Handing work to rq: a Redis outage delays the receipt but loses nothing.

Redis is stopped for real; the sweeper and a burst worker finish the job once it is back."""

import email
import email.policy
import re

import pytest
from rq import Queue
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import EventKind, FeedbackItem
from intake.redis_client import redis_connection
from tests.helpers import post_form

FORM = {
    "kind": "complaint",
    "unit_id": "0",
    "category_id": "0",
    "body": "县政务服务大厅社保窗口中午十二点就关门了，下午两点半才开，群众排队等了很久。",
    "consent": "y",  # when contact details are given
}


def _redis_running(server) -> bool:
    return server.proc is not None and server.proc.poll() is None


@pytest.fixture
def redis_outage(redis_server):
    """Stops the session's Redis on request; whatever happens, it runs again afterwards."""
    try:
        yield redis_server
    finally:
        if not _redis_running(redis_server):
            redis_server.start()


def submit(client, **fields) -> str:
    response = post_form(client, "/jiandu/", {**FORM, **fields})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    page = client.get("/jiandu/submitted").get_data(as_text=True)
    return re.search(r'id="tracking-code">([^<]+)<', page).group(1)


def item_by_code(code: str) -> FeedbackItem:
    return db.session.scalar(select(FeedbackItem).where(FeedbackItem.tracking_code == code))


def test_submission_during_a_redis_outage_is_kept_and_acknowledged_later(
    app, client, runner, redis_outage, smtp_server
):
    rq_queue = app.config["RQ_QUEUE"]
    # One submission while Redis is up: the app's connection pool now holds a live connection,
    # which the restart below turns stale.
    before = submit(client, anonymous="y")
    with app.app_context():
        before_id = item_by_code(before).id
        assert Queue(rq_queue, connection=redis_connection()).job_ids == [f"item-received-{before_id}"]

    redis_outage.stop()
    assert not _redis_running(redis_outage)
    code = submit(client, name="赵六", email="zhaoliu@example.cn")
    with app.app_context():
        item = item_by_code(code)
        assert item is not None and item.dispatched_at is None
        assert [e.kind for e in item.events] == [EventKind.created]
        item_id = item.id

    # Still down: the sweeper leaves the row for later and does not fail.
    result = runner.invoke(args=["intake", "sweep"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert item_by_code(code).dispatched_at is None

    redis_outage.start()  # same argv, same port, and nothing kept on disk
    result = runner.invoke(args=["intake", "sweep"])
    assert result.exit_code == 0, result.output
    # The job queued before the outage went with Redis's memory: the sweeper queues it again.
    assert "dispatched 2 item(s)" in result.output
    with app.app_context():
        queue = Queue(rq_queue, connection=redis_connection())
        assert sorted(queue.job_ids) == sorted([f"item-received-{before_id}", f"item-received-{item_id}"])
    # A second sweep finds both jobs waiting in Redis and queues nothing twice.
    result = runner.invoke(args=["intake", "sweep"])
    assert result.exit_code == 0 and result.output == ""

    result = runner.invoke(args=["intake", "worker", "--burst"])
    assert result.exit_code == 0, result.output

    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["zhaoliu@example.cn"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert code in message["Subject"] and "您的反映已收到" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-replied"
    body = message.get_content()
    assert "/jiandu/link/" in body and "?s=" not in body
    with app.app_context():
        item = item_by_code(code)
        assert item.dispatched_at is not None and item_by_code(before).dispatched_at is not None
        assert item.acknowledged_at is not None
        kinds = [e.kind for e in item.events]
        assert kinds[0] is EventKind.created and kinds[-1] is EventKind.acknowledged
        assert kinds.count(EventKind.acknowledged) == 1
        assert item.events[-1].note == message["Message-ID"]
        assert Queue(rq_queue, connection=redis_connection()).is_empty()

    # Idempotent: the same job again (sweeper racing a request, an rq retry) sends nothing.
    from intake.feedback.jobs import dispatch_items

    with app.app_context():
        assert dispatch_items([item_id]) is True
    assert runner.invoke(args=["intake", "worker", "--burst"]).exit_code == 0
    assert len(smtp_server.messages) == 1


def test_sweep_with_nothing_to_do_says_nothing(runner):
    result = runner.invoke(args=["intake", "sweep"])
    assert result.exit_code == 0 and result.output == ""


def replies_sent(smtp_server) -> list:
    """Staff replies among the captured mail (the receipt of the item goes too)."""
    return [
        m
        for m in smtp_server.messages
        if "您的反映已受理" in email.message_from_bytes(m.original_content, policy=email.policy.default)["Subject"]
    ]


def test_a_reply_sent_during_a_redis_outage_is_swept_and_a_failed_one_resent(
    app, client, auth, users, runner, redis_outage, smtp_server, monkeypatch
):
    from intake.core.jobs import JobPolicy
    from intake.feedback.services import ReporterInput
    from intake.triage import jobs
    from intake.triage.models import ReplyState, StaffReply
    from tests.factories import create_item

    with app.app_context():
        item = create_item(reporter=ReporterInput(name="孙八", email="sun8@example.cn"))
        db.session.commit()
        item_id = item.id
    assert auth.login("staff").status_code == 302
    form = {"subject": "您的反映已受理", "body": "您好，已受理。", "template": ""}
    url = f"/staff/items/{item_id}/reply"

    redis_outage.stop()
    response = post_form(client, url, form, get_url=f"/staff/items/{item_id}")
    assert response.status_code == 303
    with app.app_context():
        reply = db.session.scalar(select(StaffReply))
        assert reply.state is ReplyState.queued
        reply_id = reply.id
    assert runner.invoke(args=["intake", "sweep"]).exit_code == 0  # still down: nothing lost

    redis_outage.start()
    result = runner.invoke(args=["intake", "sweep"])
    # The item's receipt job and the reply's job, both left over from the outage.
    assert result.exit_code == 0 and "dispatched 2 item(s)" in result.output, result.output
    assert runner.invoke(args=["intake", "sweep"]).output == ""  # its job waits in Redis: not twice
    assert runner.invoke(args=["intake", "worker", "--burst"]).exit_code == 0
    with app.app_context():
        assert db.session.get(StaffReply, reply_id).state is ReplyState.sent
    assert [m.rcpt_tos for m in replies_sent(smtp_server)] == [["sun8@example.cn"]]

    # A reply whose job fails for good shows "Sending failed" and a resend button.
    from tests.servers import free_port

    monkeypatch.setattr(jobs.send_staff_reply, "job_policy", JobPolicy())  # no retries
    smtp_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nobody listens
    try:
        assert post_form(client, url, form, get_url=f"/staff/items/{item_id}").status_code == 303
        runner.invoke(args=["intake", "worker", "--burst"])
    finally:
        app.config["SMTP_PORT"] = smtp_port
    with app.app_context():
        failed = db.session.scalar(select(StaffReply).where(StaffReply.id != reply_id))
        assert failed.state is ReplyState.queued
        assert jobs.failed_reply_ids([failed.id]) == {failed.id}
    page = client.get(f"/staff/items/{item_id}").get_data(as_text=True)
    assert "Sending failed" in page or "发送失败" in page
    assert runner.invoke(args=["intake", "sweep"]).output == ""  # failed jobs wait for staff
    response = post_form(
        client, f"/staff/items/{item_id}/replies/{failed.id}/resend", {}, get_url=f"/staff/items/{item_id}"
    )
    assert response.status_code == 303
    assert runner.invoke(args=["intake", "worker", "--burst"]).exit_code == 0
    with app.app_context():
        assert db.session.get(StaffReply, failed.id).state is ReplyState.sent
    assert len(replies_sent(smtp_server)) == 2
    assert (
        post_form(
            client, f"/staff/items/{item_id}/replies/{failed.id}/resend", {}, get_url=f"/staff/items/{item_id}"
        ).status_code
        == 404
    )  # sent: nothing to resend


def test_mail_receipts_refused_by_redis_wait_for_the_sweeper(app, runner, redis_outage, smtp_server):
    """The follow-up of a batch of mail runs, but Redis refuses the receipt jobs it hands on:
    those items stay unmarked, and the sweeper sends their receipts once Redis is back."""
    from intake.feedback.jobs import follow_up_batch
    from intake.mailbox import receiving as mailbox_receiving
    from intake.mailbox.jobs import parse_inbound

    raw = (
        "From: =?utf-8?B?6ZKx5LiD?= <qianqi@example.cn>\r\nTo: jdyx@zxzx.gov.cn\r\n"
        "Subject: =?utf-8?B?56qX5Y+j5o6o6K+/?=\r\nMessage-ID: <receipt-later@example.cn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "社保窗口推诿，让我找别的部门。\r\n"
    ).encode()
    with app.app_context():
        row_id = mailbox_receiving.store_imported(raw, acknowledge=True).id
        db.session.commit()
        redis_outage.stop()
        assert parse_inbound(row_id) == "new item"  # its follow-up job could not be queued
        item_id = db.session.scalar(select(FeedbackItem.id))
        assert follow_up_batch([item_id]) == "1 followed up, 0 receipt(s) queued, 1 left for the sweeper"
        db.session.expire_all()
        item = db.session.get(FeedbackItem, item_id)
        assert item.dispatched_at is None and item.acknowledged_at is None
        assert item.suggestion is not None  # suggested all the same
        db.session.remove()

    redis_outage.start()
    result = runner.invoke(args=["intake", "sweep"])
    assert result.exit_code == 0 and "dispatched 1 item(s)" in result.output, result.output
    result = runner.invoke(args=["intake", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert [m.rcpt_tos for m in smtp_server.messages] == [["qianqi@example.cn"]]
    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        assert item.dispatched_at is not None and item.acknowledged_at is not None
