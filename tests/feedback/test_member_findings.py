"""Signed-in members and staff record the channel of a finding; the public cannot."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem, Source
from tests.conftest import csrf_token_from

BODY = "暗访发现：政务大厅不动产窗口中午提前半小时停止取号，群众等候超过一小时。"


def _submit(client, **extra):
    page = client.get("/jiandu/").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "kind": "report",
        "unit_id": "1",
        "category_id": "0",
        "body": BODY,
        **extra,
    }
    return page, client.post("/jiandu/", data=data)


def test_member_records_unannounced_visit_in_own_name(app, client, auth, users):
    auth.login("member")
    page, response = _submit(client, source="visit")
    assert 'name="source"' in page
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        assert item.source is Source.visit
        assert item.reporter.is_member and item.reporter.user_id == users["member"]


def test_staff_records_petition_without_becoming_the_reporter(app, client, auth, users):
    auth.login("staff")
    _page, response = _submit(client, source="petition", name="李四")
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        assert item.source is Source.petition
        assert item.reporter.user_id is None and item.reporter.name == "李四"


@pytest.mark.parametrize("who", [None, "liaison"])
def test_public_and_liaisons_cannot_choose_a_source(app, client, auth, users, who):
    if who:
        auth.login(who)
    page, response = _submit(client, source="visit")
    assert 'name="source"' not in page
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(FeedbackItem.source)) is Source.web


def test_member_cannot_claim_a_source_not_offered(app, client, auth, users):
    auth.login("member")
    _page, response = _submit(client, source="petition")
    assert response.status_code == 400
    assert BODY in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(FeedbackItem)) is None
