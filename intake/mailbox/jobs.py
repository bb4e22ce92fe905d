"""Jobs of the supervision mailbox: stored mail through the parse pipeline (one job per fetched
batch), and an over-size message fetched anew when staff ask for it.

Each job takes ids, loads what it needs, calls services, and lets errors propagate so rq's
retries and failed-job registry see them. The worker provides the app context."""

import collections
import functools
import logging
import uuid

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry

from intake.core.jobs import batches_in_redis, enqueue, job, queue
from intake.extensions import db
from intake.feedback.jobs import dispatch_received, follow_up_batch
from intake.mailbox import ingest as mailbox_ingest
from intake.mailbox import quarantine as mailbox_quarantine
from intake.mailbox import services as mailbox_services
from intake.mailbox.imap import fetch_anew
from intake.mailbox.models import InboundMessage, InboundState

log = logging.getLogger(__name__)

# Each run counts one try; past MAIL_MAX_ATTEMPTS the job puts the message in quarantine, so
# rq must run it once more than that.
PARSE_INTERVALS = [5, 30, 120, 600, 1800, 3600]
PARSE_JOB_PREFIX = "parse-inbound-"


def _parse_retry() -> Retry:
    tries = current_app.config["MAIL_MAX_ATTEMPTS"]
    intervals = (PARSE_INTERVALS * (tries // len(PARSE_INTERVALS) + 1))[:tries]
    return Retry(max=tries, interval=intervals)


@job(retry=_parse_retry)
def parse_inbound_batch(inbound_ids: list[int]) -> str:
    """Turn a fetched batch of stored mail into items (or thread entries, duplicates,
    quarantine entries): the job the watcher enqueues, one per fetched batch. The new items'
    follow-up (suggestions, receipts) is one job of the triage queue, after the commit.

    Tries are counted and committed before they are made, so a message that kills its worker
    still ends in quarantine after MAIL_MAX_ATTEMPTS. A batch none of whose messages was tried
    before is counted in one statement and ingested in one transaction (`ingest_batch`: the
    new reports together, every other message in a savepoint of its own; what raises is rolled
    back alone and its error recorded, the rest committed). A batch tried before (it failed, or
    its worker died) goes one message at a time, each try counted and committed on its own.
    The first error is re-raised after the commit, for rq's retry."""
    details = _raise_first(*_parse(inbound_ids))
    return ", ".join(f"{count} {detail}" for detail, count in collections.Counter(details).items()) or "nothing to do"


@job(retry=_parse_retry)
def parse_inbound(inbound_id: int) -> str:
    """One stored mail through the same pipeline (replays by hand, tests)."""
    details = _raise_first(*_parse([inbound_id]))
    return details[0] if details else "nothing to do"


def import_batch(inbound_ids: list[int]) -> list[str]:
    """Stored imported mail through the pipeline in this process, follow-up (suggestions,
    receipts when asked for) included: `intake import` needs no worker. A message that fails
    stays stored, with its error, for the sweeper's workers."""
    details, errors = _parse(inbound_ids, follow_up=False)
    return details + [f"error ({type(exc).__name__}), left for the workers" for _, exc in errors]


def _raise_first(details: list[str], errors: list[tuple[int, Exception]]) -> list[str]:
    """The details, or the first error (for rq's retry) once the rest is committed."""
    if errors:
        first = errors[0][1]
        if len(errors) > 1:
            first.add_note(f"{len(errors) - 1} more message(s) of this batch failed; see their rows")
        raise first
    return details


def _parse(inbound_ids: list[int], *, follow_up: bool = True) -> tuple[list[str], list[tuple[int, Exception]]]:
    inbound_ids = sorted(set(inbound_ids))
    config = current_app.config
    ingest = functools.partial(
        mailbox_ingest.ingest_batch, tracking_prefix=config["TRACKING_PREFIX"], max_attempts=config["MAIL_MAX_ATTEMPTS"]
    )
    outcomes: list[mailbox_ingest.IngestOutcome] = []
    errors: list[tuple[int, Exception]] = []
    one_by_one = not mailbox_ingest.start_batch_attempt(inbound_ids)
    if one_by_one:
        db.session.rollback()
        batches = [[inbound_id] for inbound_id in inbound_ids]
    else:
        db.session.commit()
        batches = [inbound_ids]
    for batch in batches:
        if one_by_one:
            if not mailbox_ingest.start_attempt(batch[0]):
                db.session.rollback()
                continue
            db.session.commit()
        batch_outcomes, batch_errors = ingest(batch)
        db.session.commit()
        outcomes += batch_outcomes
        errors += batch_errors
    new_items = [o.item_id for o in outcomes if o.new_item]
    if follow_up:
        dispatch_received(new_items)
    else:
        follow_up_batch(new_items)
    return [o.detail for o in outcomes], errors


@job(retry=Retry(max=3, interval=[10, 60, 300]))
def refetch_oversize(inbound_id: int) -> str:
    """Staff asked for an over-size message: fetch it anew, whole, from its mailbox (up to
    MAX_REPLAY_MESSAGE_MB) and send it through the pipeline. Network errors propagate for rq."""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.state is not InboundState.oversize or row.mailbox_id is None:
        return "nothing to do"
    limit_mb = current_app.config["MAX_REPLAY_MESSAGE_MB"]
    too_large = f"larger than the replay limit MAX_REPLAY_MESSAGE_MB={limit_mb}"
    raw = None
    if row.size > limit_mb * 1024 * 1024:
        reason = too_large
    else:
        raw = fetch_anew(current_app._get_current_object(), inbound_id)
        reason = "no longer on the server" if raw is None else too_large if len(raw) > limit_mb * 1024 * 1024 else None
    if reason:
        mailbox_quarantine.record_refetch_failure(inbound_id, f"fetched anew: {reason}")
        db.session.commit()
        return reason
    mailbox_quarantine.store_refetched(inbound_id, raw)
    db.session.commit()
    dispatch_inbound([inbound_id])
    return "fetched anew"


# --- handing stored mail to the workers -------------------------------------------------------


def dispatch_inbound(inbound_ids: list[int], *, live: bool = False) -> bool:
    """Enqueue the parse jobs of stored inbound mail, one job per IMAP_BATCH_MESSAGES messages,
    and mark the rows enqueued. `live`: mail as it arrives (a pass that found one batch or
    less), queued before the batches of a bulk import still waiting, so that it does not wait
    behind them. Returns False when Redis is unreachable; the rows wait for the sweeper."""
    if not inbound_ids:
        return True
    size = max(1, current_app.config["IMAP_BATCH_MESSAGES"])
    batches = [sorted(inbound_ids[i : i + size]) for i in range(0, len(inbound_ids), size)]
    try:
        with queue().connection.pipeline() as pipe:
            for batch in batches:
                # Readable in rq's registries; unique, so a re-enqueued batch never takes over
                # the id of a job a dead worker left behind.
                enqueue(
                    parse_inbound_batch,
                    batch,
                    pipeline=pipe,
                    job_id=f"{PARSE_JOB_PREFIX}{batch[0]}-{len(batch)}-{uuid.uuid4().hex[:8]}",
                    at_front=live,
                )
            pipe.execute()
    except RedisError as exc:
        log.warning("Redis unavailable, %d inbound mail(s) left for the sweeper: %s", len(inbound_ids), exc)
        return False
    mailbox_services.mark_enqueued(inbound_ids)
    db.session.commit()
    return True


def dispatch_refetch(inbound_id: int) -> bool:
    """Enqueue the fetch of an over-size message staff asked for (False: Redis unreachable)."""
    try:
        enqueue(refetch_oversize, inbound_id)
    except RedisError as exc:
        log.warning("Redis unavailable, over-size message %s not fetched: %s", inbound_id, exc)
        return False
    return True


def sweep_inbound(limit: int = 500) -> int:
    """Enqueue stored inbound mail whose parse job is not in Redis: never enqueued (Redis was
    down, the watcher died between commit and enqueue) or enqueued MAIL_REQUEUE_SECONDS ago
    and still not processed (its worker died). The job is idempotent."""
    cutoff = mailbox_services.requeue_cutoff(current_app.config["MAIL_REQUEUE_SECONDS"])
    total = 0
    after_id = 0
    waiting = None
    while ids := mailbox_services.inbound_to_enqueue(cutoff, limit, after_id=after_id):
        if waiting is None:
            waiting = batches_in_redis(queue(), PARSE_JOB_PREFIX)
            if waiting is None:
                break
        todo = [i for i in ids if i not in waiting]
        if todo and not dispatch_inbound(todo):
            break
        total += len(todo)
        after_id = ids[-1]
    return total
