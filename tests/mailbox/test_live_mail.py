"""Live mail does not wait behind a bulk import: a pass that finds one batch or less queues its
parse job before the batches still waiting, and mail that arrives while a large pass is being
stored is taken in the same poll (issue 19)."""

import pytest

from intake.mailbox.jobs import PARSE_JOB_PREFIX
from intake.mailbox.session import MailboxSession
from tests.mailbox.conftest import drain, poll
from tests.mailbox.test_ingest import mail


def _parse_jobs(app) -> list[list[int]]:
    """The parse jobs waiting in the main queue, first to run first: their inbound ids."""
    from intake.core.jobs import queue

    with app.app_context():
        return [job.args[0] for job in queue().get_jobs() if job.id.startswith(PARSE_JOB_PREFIX)]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_live_mail_goes_before_a_bulk_import_still_waiting(mail_app, mailbox_id, imap_append):
    mail_app.config["IMAP_BATCH_MESSAGES"] = 2
    for n in range(5):
        imap_append(mail(f"批量 {n}", f"批量导入的第 {n} 封"))
    assert poll(mail_app, mailbox_id) == 5
    bulk = _parse_jobs(mail_app)
    assert [len(ids) for ids in bulk] == [2, 2, 1]  # a large pass: at the back, in order

    imap_append(mail("刚到", "批量导入时刚到的一封"))
    assert poll(mail_app, mailbox_id) == 1
    [live, *rest] = _parse_jobs(mail_app)
    assert rest == bulk
    assert len(live) == 1 and live[0] > max(bulk[-1])
    drain(mail_app)
    assert _parse_jobs(mail_app) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_mail_arriving_during_a_large_pass_is_taken_in_the_same_poll(mail_app, mailbox_id, imap_append, monkeypatch):
    mail_app.config["IMAP_BATCH_MESSAGES"] = 2
    for n in range(4):
        imap_append(mail(f"批量 {n}", f"批量导入的第 {n} 封"))
    store_batch = MailboxSession._store_batch
    arrived = []

    def store_and_receive(self, *args, **kwargs):
        if not arrived:  # a citizen's mail lands while the first batch is stored
            arrived.append(imap_append(mail("刚到", "大批导入途中到达")))
        return store_batch(self, *args, **kwargs)

    monkeypatch.setattr(MailboxSession, "_store_batch", store_and_receive)
    assert poll(mail_app, mailbox_id) == 5
    jobs = _parse_jobs(mail_app)
    assert [len(ids) for ids in jobs] == [1, 2, 2]  # the one that arrived runs first


def _rows(app) -> dict[int, int]:
    """uid → row id of the stored mail, and the mailbox's checkpoint under key 0."""
    from sqlalchemy import select

    from intake.extensions import db
    from intake.mailbox.models import InboundMessage, Mailbox

    with app.app_context():
        rows = dict(db.session.execute(select(InboundMessage.uid, InboundMessage.id)).all())
        rows[0] = db.session.scalar(select(Mailbox.last_uid).where(Mailbox.id == app.config["TEST_MAILBOX_ID"]))
        db.session.remove()
    return rows


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_mail_arriving_during_a_large_pass_is_stored_before_the_rest_of_it(
    mail_app, mailbox_id, imap_append, monkeypatch
):
    """It is stored right after the batch being stored when it came, not after the whole bulk;
    the checkpoint stays below what is not stored yet; a session that dies in between leaves a
    next one to finish with every message exactly once."""
    mail_app.config["IMAP_BATCH_MESSAGES"] = 2
    for n in range(6):
        imap_append(mail(f"批量 {n}", f"批量导入的第 {n} 封"))
    store_batch = MailboxSession._store_batch
    seen = []

    class Died(Exception):
        pass

    def store_and_receive(self, batch, sizes, **kwargs):
        seen.append((list(batch), _rows(mail_app)))
        if len(seen) == 1:  # a citizen's mail lands while the first batch is stored
            imap_append(mail("刚到", "大批导入途中到达"))
        if len(seen) == 4:  # the watcher dies before its third bulk batch
            raise Died
        return store_batch(self, batch, sizes, **kwargs)

    monkeypatch.setattr(MailboxSession, "_store_batch", store_and_receive)
    with pytest.raises(Died):
        poll(mail_app, mailbox_id)
    batches = [batch for batch, _ in seen]
    arrived = batches[1]  # stored right after the first batch, before the second
    assert batches[0] == [1, 2] and batches[2:] == [[3, 4], [5, 6]] and arrived == [7]
    rows = _rows(mail_app)
    assert arrived[0] in rows and rows[0] < arrived[0]  # stored, the checkpoint below it
    [first_job, *_] = _parse_jobs(mail_app)
    assert first_job == [rows[arrived[0]]]  # its parse job first

    monkeypatch.setattr(MailboxSession, "_store_batch", store_batch)
    assert poll(mail_app, mailbox_id) == 2  # the two bulk messages left; the arrival not again
    drain(mail_app)
    from sqlalchemy import func, select

    from intake.extensions import db
    from intake.feedback.models import FeedbackItem

    with mail_app.app_context():
        subjects = db.session.scalars(select(FeedbackItem.subject)).all()
        assert sorted(subjects) == sorted([f"批量 {n}" for n in range(6)] + ["刚到"])
        assert db.session.scalar(select(func.count()).select_from(FeedbackItem)) == 7
    assert _rows(mail_app)[0] == arrived[0]  # the checkpoint passed everything at last


@pytest.mark.parametrize("backend", ["sqlite"])
def test_poll_once_parses_what_it_stored_before_it_exits(mail_app, imap_append, runner):
    """No worker running: `poll --once` turns its mail into items itself (the suggestions stay
    queued for a worker); `--no-parse` leaves the parse jobs to the workers."""
    from sqlalchemy import func, select

    from intake.core.jobs import TRIAGE, queue
    from intake.extensions import db
    from intake.feedback.models import FeedbackItem

    def items() -> int:
        with mail_app.app_context():
            n = db.session.scalar(select(func.count()).select_from(FeedbackItem))
            db.session.remove()
            return n

    imap_append(mail("一次", "轮询一次就成为事项"))
    result = runner.invoke(args=["intake", "poll", "--once", "--no-parse"])
    assert result.exit_code == 0 and "stored 1 message(s)" in result.output, result.output
    assert items() == 0 and len(_parse_jobs(mail_app)) == 1

    imap_append(mail("两次", "第二封"))
    result = runner.invoke(args=["intake", "poll", "--once"])
    assert result.exit_code == 0, result.output
    assert "parsed here: 2 job(s)" in result.output, result.output
    assert items() == 2 and _parse_jobs(mail_app) == []
    with mail_app.app_context():
        assert queue(TRIAGE).count >= 1  # the follow-up (suggestions) waits for a worker


@pytest.mark.parametrize("backend", ["sqlite"])
def test_poll_once_gives_back_the_signal_handlers_and_stops_its_parser_once(mail_app, imap_append, runner):
    """rq installs its own SIGTERM/SIGINT handlers when the poll takes jobs and never puts the
    old ones back: left there, a SIGTERM while the poll waits for its forked parser raised in the
    middle of the wait, and the cleanup's second SIGTERM made the parser kill its job in hand
    (rq's cold shutdown). The poll restores them, and stopping its parser twice signals once."""
    import signal

    from workers.worker import ParserBeside

    def ours(signum, frame):
        pass

    imap_append(mail("信号", "轮询之后信号处理照旧"))
    previous = signal.signal(signal.SIGTERM, ours)
    try:
        result = runner.invoke(args=["intake", "poll", "--once"])
        assert result.exit_code == 0 and "parsed here: 1 job(s)" in result.output, result.output
        assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, previous)
    parser = ParserBeside(mail_app)
    assert parser.stop() == 0 and parser.stop() == 0 and parser.pid is None
