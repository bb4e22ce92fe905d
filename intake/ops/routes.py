"""/healthz, /readyz and /metrics for machines; the system and jobs pages for admins."""

import hmac

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError
from rq.exceptions import InvalidJobOperationError, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from intake.core.jobs import worker_queues
from intake.ops import bp, health, metrics
from intake.ops.forms import RequeueForm
from intake.security import admin_required

FAILED_SHOWN = 50


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. Touches neither the database nor Redis."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    readiness = health.readiness()
    return jsonify(readiness.as_dict()), 200 if readiness.ready else 503


@bp.get("/metrics")
def prometheus_metrics():
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return "", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    return metrics.exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST}


@bp.get("/admin/system")
@admin_required
def system():
    readiness = health.readiness()
    return render_template("ops/system.html", readiness=readiness)


def _failed_jobs() -> tuple[list[dict], list[dict]] | None:
    """Each queue's counts and the newest failed jobs, or None when Redis does not answer."""
    try:
        queues, failed = [], []
        for q in worker_queues():
            registry = FailedJobRegistry(queue=q)
            queues.append(
                {
                    "name": q.name,
                    "queued": q.count,
                    "running": q.started_job_registry.count,
                    "scheduled": q.scheduled_job_registry.count,
                    "failed": registry.count,
                }
            )
            ids = registry.get_job_ids(0, FAILED_SHOWN - 1, desc=True)
            for job in Job.fetch_many(ids, connection=q.connection):
                if job is not None:
                    result = job.latest_result()
                    failed.append({"queue": q.name, "job": job, "error": _last_line(result and result.exc_string)})
        return queues, failed
    except RedisError:
        return None


def _last_line(exc_info: str | None) -> str:
    lines = (exc_info or "").strip().splitlines()
    return lines[-1][:300] if lines else ""


@bp.get("/admin/jobs")
@admin_required
def jobs():
    found = _failed_jobs()
    if found is None:
        return render_template("ops/jobs.html", redis_down=True, queues=[], failed=[], form=RequeueForm()), 503
    queues, failed = found
    return render_template("ops/jobs.html", redis_down=False, queues=queues, failed=failed, form=RequeueForm())


@bp.post("/admin/jobs/<any(requeue, discard):action>")
@admin_required
def failed_job_action(action: str):
    """Run a failed job again, or discard it (what it was for is done another way or obsolete)."""
    form = RequeueForm()
    queues = {q.name: q for q in worker_queues()}
    if not form.validate_on_submit() or form.queue.data not in queues:
        flash(_("Nothing was changed: the request was incomplete. Please try again."))
        return redirect(url_for("ops.jobs")), 303
    registry = FailedJobRegistry(queue=queues[form.queue.data])
    try:
        if action == "requeue":
            registry.requeue(form.job_id.data)
        else:
            job = Job.fetch(form.job_id.data, connection=registry.connection)
            if job.id not in registry:
                raise NoSuchJobError(job.id)
            registry.remove(job, delete_job=True)
    except (NoSuchJobError, InvalidJobOperationError):
        flash(_("That job is no longer among the failed jobs."))
    except RedisError:
        flash(_("Redis does not answer: nothing was changed."))
    else:
        flash(_("The job is back in its queue.") if action == "requeue" else _("The failed job was discarded."))
    return redirect(url_for("ops.jobs")), 303
