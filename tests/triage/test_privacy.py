"""个人信息保护法: a reporter's contact details are erased on their request once the report is
closed, and by the retention job after CONTACT_RETENTION_DAYS; the report itself stays; staff can
give the reporter everything kept about them."""

import hashlib
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import EventKind, FeedbackItem, ItemStatus
from intake.feedback.services import change_status
from intake.mailbox.models import InboundMessage, InboundState
from intake.timeutil import utcnow
from intake.triage.jobs import erase_contacts_past_retention
from tests.conftest import AuthActions
from tests.factories import ReporterInputFactory, create_item
from tests.helpers import open_progress, post_form


def _closed_item(app, email: str, closed_days_ago: int = 0, phone: str = "13912345678", **fields) -> int:
    with app.app_context():
        item = create_item(reporter=ReporterInputFactory.build(name="欧阳娜娜", phone=phone, email=email), **fields)
        for status in (ItemStatus.accepted, ItemStatus.closed):
            change_status(item, status, actor_id=None)
        item.closed_at = utcnow() - timedelta(days=closed_days_ago)
        db.session.commit()
        return item.id


def _contact(app, item_id):
    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        r = item.reporter
        return (r.name, r.phone, r.email, item.client_ip), [e.kind for e in item.events]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_reporter_erases_their_details_once_the_report_is_closed(app, client):
    with app.app_context():
        item = create_item(reporter=ReporterInputFactory.build(email="ouyang@example.cn"))
        db.session.commit()
        item_id, code, secret = item.id, item.tracking_code, item.lookup_secret
    page = open_progress(client, code, secret).get_data(as_text=True)
    assert "删除我的联系方式" not in page  # not while the matter is open
    refused = client.post(f"/jiandu/track/{code}/erase", data={"confirm": "y"})
    assert refused.status_code == 400  # no CSRF token: refused, nothing erased
    assert _contact(app, item_id)[0][2] == "ouyang@example.cn"

    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        for status in (ItemStatus.accepted, ItemStatus.closed):
            change_status(item, status, actor_id=None)
        db.session.commit()
    url = f"/jiandu/track/{code}"
    assert post_form(client, f"{url}/erase", {}, get_url=url).status_code == 303  # unticked
    assert _contact(app, item_id)[0][2] == "ouyang@example.cn"
    assert post_form(client, f"{url}/erase", {"confirm": "y"}, get_url=url).status_code == 303
    contact, events = _contact(app, item_id)
    assert contact == (None, None, None, None) and EventKind.contact_erased in events
    html = client.get(url).get_data(as_text=True)
    assert "您的联系方式已删除" in html and "删除我的联系方式" not in html


def test_the_retention_job_erases_old_closed_reports_only(app, caplog):
    old = _closed_item(app, "old@example.cn", closed_days_ago=731)
    recent = _closed_item(app, "recent@example.cn", closed_days_ago=30)
    with app.app_context():
        raw = b"From: old@example.cn\r\nSubject: x\r\n\r\nbody"
        db.session.add(
            InboundMessage(
                raw=raw,
                sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw),
                state=InboundState.parsed,
                item_id=old,
                from_addr="old@example.cn",
            )
        )
        db.session.commit()
        with caplog.at_level(logging.INFO, logger="intake.triage.jobs"):
            assert erase_contacts_past_retention() == 1
            assert erase_contacts_past_retention() == 0  # idempotent
        message = db.session.scalar(select(InboundMessage).where(InboundMessage.item_id == old))
        assert message.raw is None and message.from_addr is None
        assert db.session.get(FeedbackItem, old).body  # the matter is kept
    assert _contact(app, old)[0] == (None, None, None, None)
    assert _contact(app, recent)[0][2] == "recent@example.cn"
    assert "1 report(s) erased" in caplog.text and "old@example.cn" not in caplog.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_staff_export_what_is_kept_about_a_reporter(app, client, users):
    first = _closed_item(app, "same@example.cn", subject="第一件")
    _closed_item(app, "same@example.cn", subject="第二件")
    _closed_item(app, "other@example.cn", phone="13700000000", subject="别人的")
    AuthActions(client).login("staff")
    url = f"/staff/items/{first}"
    response = post_form(client, f"{url}/reporter/data", {}, get_url=url)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data())
    assert data["reporter"]["email"] == "same@example.cn"
    assert [r["subject"] for r in data["reports"]] == ["第一件", "第二件"]
    assert EventKind.identity_viewed in _contact(app, first)[1]
