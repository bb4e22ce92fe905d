"""Mail to reporters about an item, as they receive it through a real SMTP receiver: the
receipt (回执), threaded when the item came by mail, and a staff reply in the same thread.
Written before the outgoing mail got one composer, so the mail stays what it was."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.jobs import follow_up_item
from intake.feedback.models import Source
from intake.feedback.services import ReporterInput
from intake.mailbox import outgoing
from intake.mailbox.models import Direction, ThreadEntry
from intake.timeutil import utcnow
from intake.triage.jobs import send_staff_reply
from intake.triage.services import reporter_replies as triage
from tests.factories import create_item
from tests.helpers import assert_sent_mail, sent_mail_text

BODY = "政务大厅便民窗口让我白跑一趟，工作人员说系统故障。"


def _placeholders(item) -> dict[str, str]:
    return {item.tracking_code: "code", item.lookup_secret: "secret"}


def _outbound(item) -> list[ThreadEntry]:
    return list(
        db.session.scalars(
            select(ThreadEntry)
            .where(ThreadEntry.item_id == item.id, ThreadEntry.direction == Direction.outbound)
            .order_by(ThreadEntry.id)
        )
    )


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
def test_receipt_of_a_web_report(app_ctx, smtp_server, locale):
    item = create_item(
        locale=locale,
        subject="便民窗口态度生硬",
        body=BODY,
        reporter=ReporterInput(name="孙七", email="sunqi@example.cn"),
    )
    db.session.commit()

    assert follow_up_item(item.id) == "sent"

    [envelope] = smtp_server.messages
    assert_sent_mail(envelope, f"receipt_web_{locale}", _placeholders(item))
    [entry] = _outbound(item)
    assert entry.is_auto and f"{item.tracking_code}@localhost" in entry.message_id


def test_receipt_of_a_mailed_report_answers_in_its_thread(app_ctx, smtp_server):
    item = create_item(
        source=Source.email,
        locale="en",
        subject="Broken street light",
        body="It is dark.",
        reporter=ReporterInput(email="walker@example.cn"),
    )
    for n, message_id in enumerate(["first@mail.example.cn", "second@mail.example.cn"]):
        db.session.add(
            ThreadEntry(
                item_id=item.id,
                direction=Direction.inbound,
                message_id=message_id,
                sender="walker@example.cn",
                subject="Broken street light",
                text=str(n),
                created_at=utcnow(),
            )
        )
    db.session.commit()

    assert follow_up_item(item.id) == "sent"

    [envelope] = smtp_server.messages
    assert_sent_mail(envelope, "receipt_mail_threaded_en", _placeholders(item))


def test_staff_reply_follows_the_receipt_in_its_thread(app_ctx, smtp_server, users):
    item = create_item(
        subject="便民窗口态度生硬", body=BODY, reporter=ReporterInput(name="孙七", email="sunqi@example.cn")
    )
    db.session.commit()
    assert follow_up_item(item.id) == "sent"
    reply = triage.queue_reply(item, users["staff"], "您的反映已受理", "孙七您好：\n\n已受理，转县政务服务中心办理。\n")
    db.session.commit()
    assert reply.message_id.endswith(f".{item.tracking_code}@localhost")

    assert send_staff_reply(reply.id) == "sent"
    assert send_staff_reply(reply.id) == "already sent"

    receipt, sent = smtp_server.messages
    assert_sent_mail(sent, "staff_reply", _placeholders(item))
    assert f"<{reply.message_id}>" in sent.original_content.decode()
    receipt_entry, reply_entry = _outbound(item)
    assert reply_entry.message_id == reply.message_id and not reply_entry.is_auto
    assert reply_entry.text == "孙七您好：\n\n已受理，转县政务服务中心办理。\n"


def test_staff_reply_to_a_reporter_without_a_name(app_ctx, smtp_server, users):
    item = create_item(subject="路灯不亮", body="路灯坏了。", reporter=ReporterInput(email="noname@example.cn"))
    db.session.commit()
    reply = triage.queue_reply(item, users["staff"], f"Re: [{item.tracking_code}] 路灯", "已转交。")
    db.session.commit()

    assert send_staff_reply(reply.id) == "sent"

    [envelope] = smtp_server.messages
    assert_sent_mail(envelope, "staff_reply_unthreaded_no_name", _placeholders(item))


def test_message_ids_are_made_in_the_mail_from_domain(app_ctx, smtp_server, users):
    app_ctx.config["MAIL_FROM"] = "县政协民主监督邮箱 <jiandu@zx.example.gov.cn>"
    item = create_item(reporter=ReporterInput(name="孙七", email="sunqi@example.cn"))
    db.session.commit()
    assert follow_up_item(item.id) == "sent"
    reply = triage.queue_reply(item, users["staff"], "已受理", "已受理。")
    db.session.commit()
    assert send_staff_reply(reply.id) == "sent"

    receipt, sent = [sent_mail_text(e) for e in smtp_server.messages]
    assert f".{item.tracking_code}@zx.example.gov.cn>" in receipt.split("Message-ID: ")[1].splitlines()[0]
    assert reply.message_id.endswith(f".{item.tracking_code}@zx.example.gov.cn")
    assert "Envelope-From: jiandu@zx.example.gov.cn" in sent


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("您的反映已受理", "[JD-2026-000123] 您的反映已受理"),
        ("回复：[JD-2026-000123]  路灯\n不亮", "回复：[JD-2026-000123] 路灯 不亮"),
        ("长" * 400, "[JD-2026-000123] " + "长" * (300 - 17)),
    ],
)
def test_the_code_leads_the_subject_once(subject, expected):
    assert outgoing.subject_with_code("JD-2026-000123", subject) == expected
