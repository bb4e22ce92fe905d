"""subjects widened from 300 characters to 998 (RFC 5322's line limit) on items, inbound mail,
thread entries and staff replies, so a mail's whole subject is kept (issue 18)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:30:00

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ('feedback_items', 'inbound_messages', 'thread_entries', 'staff_replies')
NOT_NULL = {'feedback_items', 'staff_replies'}

# Frozen copy of migration 0004's search triggers: rebuilding feedback_items on SQLite drops them.
FTS = 'feedback_items_fts'
SQLITE_FTS_TRIGGERS = [
    f"CREATE TRIGGER feedback_items_fts_ai AFTER INSERT ON feedback_items BEGIN "
    f"INSERT INTO {FTS}(rowid, subject, body) VALUES (new.id, new.subject, new.body); END",
    f"CREATE TRIGGER feedback_items_fts_ad AFTER DELETE ON feedback_items BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, subject, body) VALUES ('delete', old.id, old.subject, old.body); END",
    f"CREATE TRIGGER feedback_items_fts_au AFTER UPDATE OF subject, body ON feedback_items BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, subject, body) VALUES ('delete', old.id, old.subject, old.body); "
    f"INSERT INTO {FTS}(rowid, subject, body) VALUES (new.id, new.subject, new.body); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]


@contextmanager
def _tables_rebuilt_on_sqlite():
    """PostgreSQL widens a varchar in place. SQLite's batch mode copies each table and drops the
    original, which the other tables reference: foreign keys are switched off for it (SQLite
    honours that only outside a transaction, so what came before is committed), checked once
    the tables are back, and the search triggers on feedback_items made again."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    connection = bind.connection.driver_connection
    if connection.in_transaction:
        connection.commit()
    bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
    try:
        yield
        for statement in SQLITE_FTS_TRIGGERS:
            bind.exec_driver_sql(statement)
    finally:
        if connection.in_transaction:
            connection.commit()
        bind.exec_driver_sql('PRAGMA foreign_keys=ON')
    broken = bind.exec_driver_sql('PRAGMA foreign_key_check').all()
    if broken:
        raise RuntimeError(f'foreign keys broken by widening the subjects: {broken[:5]}')


def _set_subject_length(old, new):
    with _tables_rebuilt_on_sqlite():
        for table in TABLES:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.alter_column('subject', existing_type=sa.String(length=old), type_=sa.String(length=new),
                                      existing_nullable=table not in NOT_NULL)


def upgrade():
    _set_subject_length(300, 998)


def downgrade():
    for table in TABLES:
        op.execute(sa.text(f"UPDATE {table} SET subject = substr(subject, 1, 300) WHERE length(subject) > 300"))
    _set_subject_length(998, 300)
