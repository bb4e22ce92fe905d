"""Event kind contact_erased: a reporter's contact details erased on request or after the
retention period (个人信息保护法).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OLD_EVENT_KINDS = (
    'created', 'status_changed', 'acknowledged', 'note', 'suggestion_applied', 'suggestion_accepted',
    'suggestion_corrected', 'priority_raised', 'assigned', 'merged', 'identity_viewed', 'reply_queued',
    'reply_sent', 'classified')
NEW_EVENT_KINDS = OLD_EVENT_KINDS + ('contact_erased',)


def _event_kind(values):
    return sa.Enum(*values, name='event_kind', native_enum=False, create_constraint=True, length=24)


def _set_event_kinds(old, new):
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
        with op.batch_alter_table('events', schema=None) as batch_op:
            batch_op.alter_column('kind', existing_type=_event_kind(old), type_=_event_kind(new),
                                  existing_nullable=False)
    else:
        op.drop_constraint(op.f('ck_events_event_kind'), 'events', type_='check')
        quoted = ", ".join("'%s'" % v for v in new)
        op.create_check_constraint(op.f('ck_events_event_kind'), 'events', sa.text('kind IN (%s)' % quoted))


def upgrade():
    _set_event_kinds(OLD_EVENT_KINDS, NEW_EVENT_KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM events WHERE kind = 'contact_erased'"))
    _set_event_kinds(NEW_EVENT_KINDS, OLD_EVENT_KINDS)
