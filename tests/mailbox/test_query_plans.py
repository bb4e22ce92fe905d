"""The parse job's statements keep to the indexes that bound their work, whatever the number of
messages already handled: checked on SQLite's query plans (no ANALYZE statistics there, so the
planner goes by the shape of the query alone), not by timing."""

import pytest
from sqlalchemy import event

from intake.extensions import db
from intake.mailbox import receiving
from intake.mailbox.jobs import parse_inbound_batch
from tests.mailbox.test_ingest import mail

# Every message ever handled has one of these states: searching the state index for them reads
# the whole mailbox (searching it for `stored`, the messages waiting, is fine).
STATE_INDEX = "ix_inbound_messages_state"
HANDLED = {"parsed", "duplicate"}


def _statements_of(fn) -> list[tuple[str, tuple]]:
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            seen.append((statement, tuple(parameters or ())))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _plan(statement: str, parameters: tuple) -> str:
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return "\n".join(row[-1] for row in rows)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_batch_never_searches_inbound_mail_by_its_state(app_ctx):
    """A batch asks which of its Message-IDs were handled before. With `state IN (parsed,
    duplicate)` beside `message_id IN (...)`, SQLite searched by the state index: every message
    parsed so far, each row read (raw included), per batch; the worker's CPU per message grew
    with the mailbox (1.4 ms of 5.4 at 31,000 messages, bench/README.md, "Worker memory")."""
    earlier = [receiving.store_imported(mail(f"旧反映{n}", f"路灯不亮第{n}盏")).id for n in range(3)]
    db.session.commit()
    parse_inbound_batch(earlier)
    ids = [receiving.store_imported(mail(f"反映{n}", f"小区门口的路灯坏了第{n}天")).id for n in range(20)]
    db.session.commit()

    statements = _statements_of(lambda: parse_inbound_batch(ids))

    assert any("inbound_messages.message_id IN" in s for s, _ in statements)
    plans = {statement: _plan(statement, parameters) for statement, parameters in statements}
    by_handled_state = [
        s for s, parameters in statements if STATE_INDEX in plans[s] and HANDLED & {str(p) for p in parameters}
    ]
    assert not by_handled_state
    assert not [s for s, plan in plans.items() if "SCAN inbound_messages" in plan]
