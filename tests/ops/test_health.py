"""/healthz, /readyz and the admin's system and jobs pages, against the test's own Redis and
databases (and a closed port where Redis should be)."""

from datetime import timedelta

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry

from intake.core.jobs import queue
from intake.extensions import db
from intake.mailbox.models import Mailbox
from intake.timeutil import utcnow
from tests import servers


def _failing_job():
    raise RuntimeError("boom")


def _add_mailbox(app, polled_seconds_ago: int | None) -> None:
    with app.app_context():
        now = utcnow()
        db.session.add(
            Mailbox(
                name="jiandu",
                host="127.0.0.1",
                username="jiandu",
                created_at=now - timedelta(hours=2),
                last_poll_at=None if polled_seconds_ago is None else now - timedelta(seconds=polled_seconds_ago),
            )
        )
        db.session.commit()


def test_healthz_answers_without_a_database_and_readyz_says_it_is_gone(tmp_path, redis_url):
    from intake import create_app

    closed = f"postgresql+psycopg://intake@127.0.0.1:{servers.free_port()}/intake"
    client = create_app(
        "test", SQLALCHEMY_DATABASE_URI=closed, REDIS_URL=redis_url, UPLOAD_DIR=str(tmp_path)
    ).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["database"] == {"status": "fail", "error": "OperationalError"}
    assert body["checks"]["redis"]["status"] == "ok"
    assert "mailboxes" not in body["checks"]  # nothing asked of a database that is not there


def test_readyz_is_green_with_database_redis_and_a_fresh_mailbox(app, client):
    _add_mailbox(app, polled_seconds_ago=5)
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "mailboxes": "ok",
        "quarantine": "ok",
        "overdue_reminders": "ok",
        "failed_jobs": "ok",
    }
    assert body["checks"]["mailboxes"]["mailboxes"]["jiandu"]["age_seconds"] < 60


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_readyz_is_503_when_redis_does_not_answer(app, client):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{servers.free_port()}/0"
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["redis"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_readyz_is_503_when_a_mailbox_was_not_polled_for_too_long(app, client):
    _add_mailbox(app, polled_seconds_ago=app.config["READY_POLL_MAX_AGE_SECONDS"] + 60)
    response = client.get("/readyz")
    assert response.status_code == 503
    mailbox = response.get_json()["checks"]["mailboxes"]
    assert mailbox["status"] == "fail"
    assert mailbox["mailboxes"]["jiandu"]["status"] == "fail"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_failed_job_warns_without_503_and_an_admin_runs_it_again(app, client, auth, users):
    from rq import SimpleWorker

    with app.app_context():
        q: Queue = queue()
        job = q.enqueue(_failing_job)
        SimpleWorker([q], connection=q.connection).work(burst=True)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["failed_jobs"] == {
        "status": "warn",
        "count": 1,
        "queues": {"intake-test": 1, "intake-test-triage": 0},
    }

    assert auth.login("staff").status_code == 302
    assert client.get("/admin/system").status_code == 403
    auth.logout()
    assert auth.login("admin").status_code == 302
    page = client.get("/admin/system").get_data(as_text=True)
    assert 'data-check="failed_jobs" data-status="warn"' in page
    jobs_page = client.get("/admin/jobs").get_data(as_text=True)
    assert f'data-job="{job.id}"' in jobs_page and "RuntimeError: boom" in jobs_page
    from tests.conftest import csrf_token_from

    response = client.post(
        "/admin/jobs/requeue",
        data={"csrf_token": csrf_token_from(jobs_page), "queue": "intake-test", "job_id": job.id},
    )
    assert response.status_code == 303
    with app.app_context():
        assert job.id in queue().get_job_ids()
    assert client.get("/readyz").get_json()["checks"]["failed_jobs"]["status"] == "ok"

    # Failed again, and discarded this time: gone from the registry and from Redis.
    with app.app_context():
        q = queue()
        SimpleWorker([q], connection=q.connection).work(burst=True)
        assert FailedJobRegistry(queue=q).count == 1
    jobs_page = client.get("/admin/jobs").get_data(as_text=True)
    response = client.post(
        "/admin/jobs/discard",
        data={"csrf_token": csrf_token_from(jobs_page), "queue": "intake-test", "job_id": job.id},
    )
    assert response.status_code == 303
    with app.app_context():
        assert FailedJobRegistry(queue=queue()).count == 0
        assert not q.connection.exists(job.key)
    assert client.post("/admin/jobs/bogus", data={}).status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_readyz_fails_while_no_watcher_has_registered_the_configured_mailbox(app, client):
    app.config["IMAP_HOST"] = "imap.example.gov.cn"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "no watcher" in response.get_json()["checks"]["mailboxes"]["error"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_system_page_says_what_is_not_working(app, client, auth, users):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{servers.free_port()}/0"
    assert auth.login("admin").status_code == 302
    page = client.get("/admin/system?lang=en").get_data(as_text=True)
    assert 'data-check="redis" data-status="fail"' in page
    assert 'data-status="fail"' in page and "Not working" in page
    assert client.get("/admin/jobs").status_code == 503
