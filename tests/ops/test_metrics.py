"""/metrics: behind a bearer token, counts from the database and Redis, web latency and form
posts from this process, job durations and failures as the rq worker records them."""

import pytest
from rq import Queue

from intake.core.jobs import queue
from tests.conftest import csrf_token_from

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _ok_job():
    return "done"


def _bad_job():
    raise ValueError("no")


def test_metrics_is_404_without_a_token_and_401_with_a_wrong_one(app, client):
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "t0ken-for-prometheus"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer t0ken-for-prometheus"}).status_code == 200


def _value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_counts_items_form_posts_requests_and_jobs(app, client):
    from workers.worker import build_worker

    app.config["METRICS_TOKEN"] = "tok"
    # The web figures live in this process's registry, which earlier tests in the same process
    # may have counted into: compare before and after.
    invalid = 'intake_form_submissions_total{outcome="invalid"}'
    before = _value(client.get("/metrics", headers={"Authorization": "Bearer tok"}).get_data(as_text=True), invalid)
    page = client.get("/jiandu/").get_data(as_text=True)
    # An empty post: refused as invalid (400), counted as such.
    assert client.post("/jiandu/", data={"csrf_token": csrf_token_from(page)}).status_code == 400
    with app.app_context():
        q: Queue = queue()
        q.enqueue(_ok_job)
        q.enqueue(_bad_job)
    build_worker(app).work(burst=True)

    text = client.get("/metrics", headers={"Authorization": "Bearer tok"}).get_data(as_text=True)
    assert _value(text, invalid) == before + 1
    assert 'intake_http_request_duration_seconds_count{method="GET",route="/jiandu/",status="200"}' in text
    assert 'intake_jobs_total{job="tests.ops.test_metrics._ok_job",outcome="ok"} 1.0' in text
    assert 'intake_jobs_total{job="tests.ops.test_metrics._bad_job",outcome="failed"} 1.0' in text
    assert 'intake_job_duration_seconds_count{job="tests.ops.test_metrics._ok_job"} 1.0' in text
    assert 'intake_failed_jobs{queue="intake-test"} 1.0' in text
    assert 'intake_dependency_up{dependency="database"} 1.0' in text
    assert 'intake_dependency_up{dependency="redis"} 1.0' in text
    assert "intake_mails_fetched 0.0" in text


def test_items_by_source(app, client):
    from intake.feedback import services
    from intake.feedback.models import Source
    from intake.feedback.services import SubmissionInput

    app.config["METRICS_TOKEN"] = "tok"
    with app.app_context():
        from intake.extensions import db

        data = SubmissionInput(source=Source.web, subject="路灯不亮", body="东街路灯坏了三天")
        services.submit_feedback(data, tracking_prefix="JD")
        db.session.commit()
    text = client.get("/metrics", headers={"Authorization": "Bearer tok"}).get_data(as_text=True)
    assert 'intake_items{source="web"} 1.0' in text
