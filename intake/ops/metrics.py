"""Prometheus metrics at /metrics, from three sources, each chosen for where its events happen.

- Web requests (latency histogram) and public form posts (accepted or refused, and why) happen
  in gunicorn's worker processes: prometheus-client objects, in its multiprocess mode when
  PROMETHEUS_MULTIPROC_DIR is set (deploy/gunicorn.conf.py sets it), so a scrape answered by
  any worker adds up all workers of that machine. Each web machine is its own scrape target.
- Jobs run in rq workers, possibly on other machines without any HTTP server: each worker adds
  its job's duration and outcome to counters in Redis (`record_job`), read at scrape time.
- Items, mails, failed jobs, queues and mailboxes are facts of the database and Redis: counted
  at scrape time, so they are right after any restart and the same whichever web machine
  answers (cluster-wide series: aggregate them with max(), not sum(), across instances)."""

import os
import time
from collections.abc import Iterator

from flask import Flask, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError
from sqlalchemy import func, select

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.mailbox.models import InboundMessage
from intake.ops import health
from intake.ops.logs import route_of_request
from intake.redis_client import redis_connection

WEB = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "intake_http_request_duration_seconds",
    "Time to answer a request, by route pattern and status.",
    ["method", "route", "status"],
    registry=WEB,
)
FORM_POSTS = Counter(
    "intake_form_submissions",
    "Posts of the public form: accepted, or refused and why (rate_limited, invalid, too_large).",
    ["outcome"],
    registry=WEB,
)
FORM_OUTCOMES = {303: "accepted", 429: "rate_limited", 400: "invalid", 413: "too_large"}

JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def _jobs_key() -> str:
    return f"{current_app.config['RQ_QUEUE']}:metrics:jobs"


def record_job(name: str, seconds: float, ok: bool) -> None:
    """Add one job run to the cluster-wide counters in Redis (called by the rq worker)."""
    key = _jobs_key()
    bucket = next((str(b) for b in JOB_BUCKETS if seconds <= b), "+Inf")
    with redis_connection().pipeline(transaction=False) as pipe:
        pipe.hincrby(key, f"count|{name}|{'ok' if ok else 'failed'}", 1)
        pipe.hincrby(key, f"bucket|{name}|{bucket}", 1)
        pipe.hincrbyfloat(key, f"sum|{name}", seconds)
        pipe.execute()


def _job_families(raw: dict[bytes, bytes]) -> Iterator:
    runs = CounterMetricFamily("intake_jobs", "Job runs by job and outcome (ok, failed).", labels=["job", "outcome"])
    durations = HistogramMetricFamily("intake_job_duration_seconds", "Time a job ran, by job.", labels=["job"])
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    names = sorted({f.split("|")[1] for f in fields})
    for name in names:
        for outcome in ("ok", "failed"):
            runs.add_metric([name, outcome], float(fields.get(f"count|{name}|{outcome}", 0)))
        cumulative, buckets = 0, []
        for bound in [*map(str, JOB_BUCKETS), "+Inf"]:
            cumulative += int(fields.get(f"bucket|{name}|{bound}", 0))
            buckets.append((bound, cumulative))
        durations.add_metric([name], buckets, float(fields.get(f"sum|{name}", 0)))
    yield runs
    yield durations


class ServiceCollector:
    """What the database and Redis say, counted when Prometheus asks."""

    def collect(self) -> Iterator:
        up = GaugeMetricFamily("intake_dependency_up", "1 when the dependency answers.", labels=["dependency"])
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception:  # noqa: BLE001 - a scrape says the database is down rather than fail
            db.session.rollback()
            up.add_metric(["database"], 0)
        try:
            yield from self._redis()
            up.add_metric(["redis"], 1)
        except RedisError:
            up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> Iterator:
        items = GaugeMetricFamily("intake_items", "Feedback items by source.", labels=["source"])
        for source, count in db.session.execute(
            select(FeedbackItem.source, func.count()).group_by(FeedbackItem.source)
        ):
            items.add_metric([source.value], count)
        mails = GaugeMetricFamily(
            "intake_mails", "Mails fetched from the mailboxes, by what became of them.", labels=["state"]
        )
        fetched = 0
        for state, count in db.session.execute(
            select(InboundMessage.state, func.count()).group_by(InboundMessage.state)
        ):
            mails.add_metric([state.value], count)
            fetched += count
        polls = GaugeMetricFamily(
            "intake_mailbox_poll_age_seconds", "Seconds since a mailbox's last successful poll.", labels=["mailbox"]
        )
        for name, detail in health.check_mailboxes().detail.get("mailboxes", {}).items():
            polls.add_metric([name], detail["age_seconds"])
        yield items
        yield mails
        yield GaugeMetricFamily("intake_mails_fetched", "Mails fetched from the mailboxes, in all.", value=fetched)
        yield polls
        yield GaugeMetricFamily(
            "intake_overdue_reminders",
            "Reminders still unsent an hour after they were due.",
            value=health.overdue_reminder_count(),
        )

    def _redis(self) -> Iterator:
        from intake.core.jobs import worker_queues

        failed = GaugeMetricFamily("intake_failed_jobs", "Jobs in rq's failed registry.", labels=["queue"])
        waiting = GaugeMetricFamily("intake_queued_jobs", "Jobs waiting in a queue.", labels=["queue"])
        counts = health.failed_job_counts()
        if counts is None:
            raise RedisError("no answer")
        for q in worker_queues():
            failed.add_metric([q.name], counts[q.name])
            waiting.add_metric([q.name], q.count)
        yield failed
        yield waiting
        yield from _job_families(redis_connection().hgetall(_jobs_key()))


class _Web:
    """The web metrics of this process (single-process mode: tests, `flask run`)."""

    def collect(self) -> Iterator:
        return WEB.collect()


def exposition() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_Web())
    registry.register(ServiceCollector())
    return generate_latest(registry)


def _observe_request(response):
    started = g.get("request_started")  # set by logs.py, with the request id
    if started is not None:
        status = response.status_code
        REQUEST_SECONDS.labels(request.method, route_of_request(), str(status)).observe(time.perf_counter() - started)
        if request.endpoint == "feedback.submit" and request.method == "POST" and status in FORM_OUTCOMES:
            FORM_POSTS.labels(FORM_OUTCOMES[status]).inc()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_observe_request)
