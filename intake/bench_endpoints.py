"""Baseline endpoints for bench/ (registered only with BENCH_ENDPOINTS=1): the same app and
server doing the least work a submission must do, one insert and a commit."""

from flask import Blueprint, request

from intake.extensions import csrf, db
from intake.feedback.models import FeedbackItem, Source
from intake.feedback.services import new_lookup_secret, next_sequence_value
from intake.timeutil import utcnow

bp = Blueprint("bench", __name__, url_prefix="/_bench")


@bp.post("/insert")
@csrf.exempt
def bare_insert():
    now = utcnow()
    number = next_sequence_value("bench", now.year)
    db.session.add(
        FeedbackItem(
            year=now.year,
            number=number + 900000,
            tracking_code=f"BENCH-{now.year}-{number:06d}",
            lookup_secret=new_lookup_secret(),
            source=Source.web,
            # The client posts the same text as its form submissions, so the row and its
            # search-index entries weigh the same in both.
            subject=request.form.get("body", "bench")[:40],
            body=request.form.get("body", "bench"),
        )
    )
    db.session.commit()
    return "ok"
