"""Development without SMTP: staff replies stay queued and the staff pages say no mail goes out."""

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_queue_says_mail_is_not_sent_without_smtp(app, client, auth, users):
    assert auth.login("staff").status_code == 302
    assert 'id="mail-off"' in client.get("/staff/").get_data(as_text=True)
    app.config["SMTP_HOST"] = "smtp.example.gov.cn"
    assert 'id="mail-off"' not in client.get("/staff/").get_data(as_text=True)


def test_a_reply_stays_queued_without_smtp_and_the_item_page_says_why(app, client, auth, users):
    from intake.extensions import db
    from intake.feedback import services
    from intake.feedback.models import FeedbackItem, Source
    from intake.feedback.services import ReporterInput, SubmissionInput
    from intake.triage import jobs
    from intake.triage.models import ReplyState, StaffReply

    with app.app_context():
        item = services.submit_feedback(
            SubmissionInput(
                source=Source.web, subject="噪音", body="夜里施工", reporter=ReporterInput(email="zhao@example.cn")
            ),
            tracking_prefix="JD",
        )
        db.session.commit()
        item_id = item.id
    assert auth.login("staff").status_code == 302
    page = client.get(f"/staff/items/{item_id}").get_data(as_text=True)
    assert 'id="mail-off"' in page
    with app.app_context():
        from intake.triage.services import reporter_replies

        item = db.session.get(FeedbackItem, item_id)
        reply = reporter_replies.queue_reply(item, users["staff"], "答复", "已转交。")
        db.session.commit()
        assert jobs.send_staff_reply(reply.id) == "kept queued: SMTP_HOST is not set"
        assert db.session.get(StaffReply, reply.id).state is ReplyState.queued
        assert jobs.sweep_replies() == 0
