"""The public form cannot be turned into a weapon: a burst of reports typing one address gets
that address one receipt (every report is still kept), and one client sending many reports in
a short time is asked to wait, with what it typed kept."""

import email
import email.policy

import pytest
from sqlalchemy import func, select

from intake import ratelimit
from intake.extensions import db
from intake.feedback.jobs import follow_up_item
from intake.feedback.models import FeedbackItem
from tests.feedback.test_routes import assert_everything_kept, filled  # noqa: F401 - fixture
from tests.helpers import post_form


def _submit(client, data, address):
    return post_form(client, "/jiandu/", data, environ_base={"REMOTE_ADDR": address})


def test_a_burst_of_reports_to_one_address_sends_it_one_receipt(app, smtp_server, filled):  # noqa: F811
    victim = dict(filled, email="victim@example.cn")
    for n in range(30):
        # Thirty clients (or one behind many addresses): the limit per client does not apply.
        assert _submit(app.test_client(), victim, f"198.51.100.{n}").status_code == 303
    with app.app_context():
        ids = db.session.scalars(select(FeedbackItem.id).order_by(FeedbackItem.id)).all()
        assert len(ids) == 30  # every report is kept
        outcomes = [follow_up_item(item_id) for item_id in ids]
    assert outcomes.count("sent") == 1, outcomes
    assert outcomes.count("already acknowledged this address recently") == 29
    mails = [email.message_from_bytes(m.original_content, policy=email.policy.default) for m in smtp_server.messages]
    assert [m["To"].addresses[0].addr_spec for m in mails] == ["victim@example.cn"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_one_client_is_asked_to_wait_and_keeps_what_it_typed(app, client, filled):  # noqa: F811
    app.config.update(SUBMIT_LIMIT=3, SUBMIT_WINDOW_MINUTES=10)
    for _ in range(3):
        assert _submit(client, filled, "203.0.113.8").status_code == 303
    refused = _submit(client, filled, "203.0.113.8")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    html = refused.get_data(as_text=True)
    assert "请 10 分钟后再提交" in html
    assert_everything_kept(html, filled)
    # Another client is not affected; nothing about the address is kept in the clear.
    assert _submit(app.test_client(), filled, "203.0.113.9").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(FeedbackItem.id))) == 4
        kept = set(db.session.scalars(select(FeedbackItem.client_ip)))
        assert not any(address and address.startswith("203.0.113") for address in kept)
        with app.test_request_context():
            assert ratelimit.client_key("203.0.113.8") in kept
