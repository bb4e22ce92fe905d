"""queue indexes (issue 4 bench at 1M items): the keyset order behind each selective filter
(status, unit, category, assignee, priority), carrying the filter and facet columns on
PostgreSQL (INCLUDE) so the capped counts per filter read the index only; on PostgreSQL a GIN
index of the characters and character pairs of subject and body, for one- and two-character
Chinese searches that trigrams cannot serve (intake/triage/search.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 17:27:51.061125

"""
from alembic import op

# Frozen copies (intake/triage/models.py and search.py read what these create). Plain
# create_index/drop_index, never batch mode: a batch copy of feedback_items on SQLite would
# drop the FTS triggers of migration 0004.
FACETS = ('status', 'unit_id', 'category_id', 'source', 'priority', 'is_auto', 'assignee_id')
QUEUE_INDEXES = {
    'ix_feedback_items_status_queue': 'status',
    'ix_feedback_items_unit_queue': 'unit_id',
    'ix_feedback_items_category_queue': 'category_id',
    'ix_feedback_items_assignee_queue': 'assignee_id',
    'ix_feedback_items_priority_queue': 'priority',
}
POSTGRES_GRAMS_DDL = [
    # Every character and every pair of adjacent characters, lower-cased, of subject and body.
    # A pair is exact for a two-character query; the GIN index needs no recheck. COST: the
    # planner evaluates it last, after the LIKE it goes with, when it walks the keyset index.
    r"""CREATE OR REPLACE FUNCTION feedback_grams(subject text, body text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
      SELECT ARRAY(SELECT substr(t, i, n) FROM (SELECT lower(subject || E'\n' || body) AS t) s,
                   generate_series(1, length(t)) AS i, (VALUES (1), (2)) AS v(n))
    $$""",
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE INDEX IF NOT EXISTS ix_feedback_items_grams ON feedback_items USING gin (feedback_grams(subject, body))",
]
POSTGRES_GRAMS_DROP = [
    "DROP INDEX IF EXISTS ix_feedback_items_grams",
    "DROP FUNCTION IF EXISTS feedback_grams(text, text)",
]

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _include(leading):
    return [c for c in FACETS if c != leading]


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        # The same key, now carrying the facet columns.
        op.drop_index('ix_feedback_items_keyset', table_name='feedback_items')
        op.create_index('ix_feedback_items_keyset', 'feedback_items', ['received_at', 'id'],
                        postgresql_include=list(FACETS))
    # Served by ix_feedback_items_assignee_queue from now on.
    op.drop_index('ix_feedback_items_assignee_id', table_name='feedback_items')
    for name, leading in QUEUE_INDEXES.items():
        op.create_index(name, 'feedback_items', [leading, 'received_at', 'id'], postgresql_include=_include(leading))
    if postgres:
        for statement in POSTGRES_GRAMS_DDL:
            op.execute(statement)


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        for statement in POSTGRES_GRAMS_DROP:
            op.execute(statement)
    for name in reversed(QUEUE_INDEXES):
        op.drop_index(name, table_name='feedback_items')
    op.create_index('ix_feedback_items_assignee_id', 'feedback_items', ['assignee_id'])
    if postgres:
        op.drop_index('ix_feedback_items_keyset', table_name='feedback_items')
        op.create_index('ix_feedback_items_keyset', 'feedback_items', ['received_at', 'id'])
