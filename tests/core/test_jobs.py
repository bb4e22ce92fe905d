"""The one way jobs are declared and enqueued, and the old dotted names of jobs that an earlier
release left waiting in Redis."""

import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus

from intake.core.jobs import LEGACY_NAMES, IntakeJob, enqueue, queue
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.redis_client import redis_connection
from tests.factories import ReporterInputFactory, create_item
from workers.worker import build_worker


@pytest.mark.parametrize("old_name", sorted(LEGACY_NAMES))
def test_every_old_name_resolves_to_a_declared_job(old_name):
    # Resolving a job's function asks Redis nothing: a client that never connects will do.
    job = IntakeJob.create(old_name, args=(1,), connection=Redis.from_url("redis://127.0.0.1:1"))
    func = job.func
    assert callable(func) and hasattr(func, "job_policy"), old_name
    assert f"{func.__module__}.{func.__qualname__}" == LEGACY_NAMES[old_name]


def test_a_job_enqueued_under_its_old_name_before_the_upgrade_runs_after_it(app, smtp_server):
    with app.app_context():
        item = create_item(reporter=ReporterInputFactory.build(name="王五", email="wang@example.cn"))
        db.session.commit()
        item_id = item.id
        # What the release before this one put in Redis: a plain rq job named by string.
        old = Queue(app.config["RQ_QUEUE"], connection=redis_connection()).enqueue_call(
            "workers.jobs.item_received", args=(item_id,), job_id=f"item-received-{item_id}"
        )
        assert old.func_name == "workers.jobs.item_received"

    build_worker(app).work(burst=True)

    with app.app_context():
        finished = IntakeJob.fetch(old.id, connection=redis_connection())
        assert finished.get_status() == JobStatus.FINISHED, finished.exc_info
        assert finished.return_value() == "sent"
        assert db.session.get(FeedbackItem, item_id).dispatched_at is not None
    assert [m.rcpt_tos for m in smtp_server.messages] == [["wang@example.cn"]]


def test_enqueue_takes_the_queue_and_retries_the_job_declares(app):
    from intake.feedback.jobs import follow_up_batch, suggest_item

    with app.app_context():
        triage_job = enqueue(follow_up_batch, [1, 2], job_id="items-received-test")
        main_job = enqueue(suggest_item, 7, job_id="suggest-item-7", unique=True)
        assert triage_job.origin == queue("triage").name != queue().name
        assert triage_job.func_name == "intake.feedback.jobs.follow_up_batch"
        assert main_job.origin == queue().name
        assert main_job.retries_left == 5
        # unique: the same id again is not queued twice.
        assert enqueue(suggest_item, 7, job_id="suggest-item-7", unique=True) is None
        assert queue().job_ids == ["suggest-item-7"]
