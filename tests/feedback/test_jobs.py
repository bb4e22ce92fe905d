"""The receipt job (回执): sent once, in the reporter's language, only to who asked for contact;
errors propagate so rq retries. A real SMTP receiver takes the mail."""

import email
import email.policy

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback import services
from intake.feedback.jobs import follow_up_item
from intake.feedback.models import Event, EventKind, FeedbackItem, Source
from tests.factories import ReporterInputFactory, create_item


def received(smtp_server):
    return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in smtp_server.messages]


@pytest.mark.parametrize(
    "locale, subject",
    [("zh_Hans", "您的反映已收到"), ("zh_Hant", "您的反映已收到"), ("en", "We have received your report")],
)
def test_receipt_is_sent_once_in_the_reporters_language(app_ctx, smtp_server, locale, subject):
    item = create_item(locale=locale, reporter=ReporterInputFactory.build(name="孙七", email="sunqi@example.cn"))
    db.session.commit()

    assert follow_up_item(item.id) == "sent"
    assert follow_up_item(item.id) == "already acknowledged"

    [message] = received(smtp_server)
    expected = {"zh_Hant": "您的反映已收到"}.get(locale, subject)
    assert message["Subject"] == f"[{item.tracking_code}] {expected}"
    assert message["To"].addresses[0].addr_spec == "sunqi@example.cn"
    assert message["Auto-Submitted"] == "auto-replied"
    body = message.get_content()
    assert item.tracking_code in body and item.lookup_secret in body
    assert body.startswith({"zh_Hans": "您好", "zh_Hant": "您好", "en": "Hello"}[locale])
    events = db.session.scalars(select(Event).where(Event.kind == EventKind.acknowledged)).all()
    assert len(events) == 1


def test_traditional_receipt_is_written_in_traditional_characters(app_ctx, smtp_server):
    item = create_item(locale="zh_Hant", reporter=ReporterInputFactory.build(email="tw@example.cn"))
    db.session.commit()
    follow_up_item(item.id)
    body = received(smtp_server)[0].get_content()
    assert "縣政協民主監督辦公室已收到您通過網站留言提交的反映" in body


@pytest.mark.parametrize(
    "source, says, never",
    [
        ("web", "通过网站留言提交的反映", "邮箱"),
        ("email", "县政协民主监督邮箱已收到您的反映", "网站"),
        ("petition", "已收到您的反映（信访部门）", "邮箱"),
    ],
)
def test_the_receipt_names_the_channel_the_report_came_by(app_ctx, smtp_server, source, says, never):
    item = create_item(source=Source(source), reporter=ReporterInputFactory.build(email="ch@example.cn"))
    db.session.commit()
    follow_up_item(item.id)
    body = received(smtp_server)[0].get_content()
    assert says in body and never not in body.split("\n\n")[1]


@pytest.mark.parametrize(
    "reporter",
    [
        services.ReporterInput(wants_anonymity=True),
        services.ReporterInput(name="周八", phone="13900000000"),
        None,
    ],
    ids=["anonymous", "no-email", "no-reporter"],
)
def test_no_receipt_without_an_address(app_ctx, smtp_server, reporter):
    item = create_item(reporter=reporter)
    db.session.commit()
    assert follow_up_item(item.id) == "no address"
    assert smtp_server.messages == []
    assert db.session.get(FeedbackItem, item.id).acknowledged_at is None


def test_no_receipt_when_mail_is_not_configured(app_ctx):
    item = create_item()
    db.session.commit()
    assert app_ctx.config["SMTP_HOST"] == ""
    assert follow_up_item(item.id) == "smtp not configured"
    assert db.session.get(FeedbackItem, item.id).acknowledged_at is None


def test_deleted_item_is_not_an_error(app_ctx):
    assert follow_up_item(987654) == "missing"


def test_smtp_outage_fails_the_job_so_rq_retries(app_ctx):
    from tests import servers

    app_ctx.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=servers.free_port())  # nothing listens
    item = create_item()
    db.session.commit()
    with pytest.raises(OSError):
        follow_up_item(item.id)
    db.session.rollback()
    item = db.session.get(FeedbackItem, item.id)
    assert item.acknowledged_at is None
    assert EventKind.acknowledged not in [e.kind for e in item.events]


def test_a_broken_model_file_does_not_hold_back_the_receipt(app_ctx, smtp_server, tmp_path):
    """The suggestion step fails for real (a corrupt classifier file); the receipt still goes
    out, and the suggestion is queued as its own job, which fails loudly for rq to retry."""
    from rq import Queue, SimpleWorker

    from intake.redis_client import redis_connection
    from intake.triage.models import ItemSuggestion

    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"this is not a model")
    app_ctx.config["CLASSIFIER_PATH"] = str(broken)
    item = create_item(reporter=ReporterInputFactory.build(email="zhou@example.cn"))
    db.session.commit()

    assert follow_up_item(item.id) == "sent"
    assert len(smtp_server.messages) == 1
    assert db.session.get(ItemSuggestion, item.id) is None
    queue = Queue(app_ctx.config["RQ_QUEUE"], connection=redis_connection())
    assert queue.job_ids == [f"suggest-item-{item.id}"]

    # Run it: the model file is still broken, so the job fails and rq keeps it for a retry.
    SimpleWorker([queue], connection=redis_connection()).work(burst=True)
    job = queue.fetch_job(f"suggest-item-{item.id}")
    assert job.get_status() in {"scheduled", "failed"}
    db.session.rollback()
    assert db.session.get(ItemSuggestion, item.id) is None

    # Mended, the job makes the suggestion.
    app_ctx.config["CLASSIFIER_PATH"] = ""
    from intake.feedback.jobs import suggest_item

    assert suggest_item(item.id) == "suggested"
    assert db.session.get(ItemSuggestion, item.id) is not None
