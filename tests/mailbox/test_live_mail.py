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
