"""the democratic appraisal (民主评议): secret-ballot sessions, their roll, sealed ballots and
receipts (three tables that share nothing a join could use), results per unit, the opinions
handed over (交付意见建议) and the notices (通报).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appraisal_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum('draft', 'open', 'closed', 'counted', name='appraisal_session_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('quorum_numerator', sa.Integer(), nullable=False),
    sa.Column('quorum_denominator', sa.Integer(), nullable=False),
    sa.Column('satisfied_percent', sa.Integer(), nullable=False),
    sa.Column('basic_percent', sa.Integer(), nullable=False),
    sa.Column('tellers', sa.Text(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=True),
    sa.Column('paper_ballots', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('counted_at', sa.DateTime(), nullable=True),
    sa.Column('counted_ballots', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state = 'draft' OR public_key IS NOT NULL", name=op.f('ck_appraisal_sessions_open_has_key')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_appraisal_sessions_closes_after_opening')),
    sa.CheckConstraint('paper_ballots >= 0', name=op.f('ck_appraisal_sessions_paper_ballots_count')),
    sa.CheckConstraint('quorum_numerator >= 1 AND quorum_numerator <= quorum_denominator', name=op.f('ck_appraisal_sessions_quorum_fraction')),
    sa.CheckConstraint('satisfied_percent BETWEEN 0 AND 99 AND basic_percent BETWEEN 0 AND 99', name=op.f('ck_appraisal_sessions_rule_percents')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_appraisal_sessions_created_by_id_users')),
    sa.ForeignKeyConstraint(['cycle_id'], ['supervision_cycles.id'], name=op.f('fk_appraisal_sessions_cycle_id_supervision_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_sessions'))
    )
    with op.batch_alter_table('appraisal_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_sessions_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('appraisal_ballots',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['appraisal_sessions.id'], name=op.f('fk_appraisal_ballots_session_id_appraisal_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_ballots')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('appraisal_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_ballots_session_id'), ['session_id'], unique=False)

    op.create_table('appraisal_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('opened', 'rekeyed', 'paper_entered', 'closed', 'counted', name='appraisal_event_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_appraisal_events_actor_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['appraisal_sessions.id'], name=op.f('fk_appraisal_events_session_id_appraisal_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_events'))
    )
    with op.batch_alter_table('appraisal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_events_session_id'), ['session_id'], unique=False)

    op.create_table('appraisal_receipts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['appraisal_sessions.id'], name=op.f('fk_appraisal_receipts_session_id_appraisal_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_receipts')),
    sa.UniqueConstraint('session_id', 'code', name='uq_appraisal_receipts_code'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('appraisal_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_receipts_session_id'), ['session_id'], unique=False)

    op.create_table('appraisal_roll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('has_voted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['appraisal_sessions.id'], name=op.f('fk_appraisal_roll_session_id_appraisal_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_appraisal_roll_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_roll')),
    sa.UniqueConstraint('session_id', 'user_id', name='uq_appraisal_roll_session_user')
    )
    with op.batch_alter_table('appraisal_roll', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_roll_user_id'), ['user_id'], unique=False)

    op.create_table('appraisal_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('tasks_opened_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_unit_id'], ['cycle_units.id'], name=op.f('fk_appraisal_notices_cycle_unit_id_cycle_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_appraisal_notices_issued_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_notices')),
    sa.UniqueConstraint('cycle_unit_id', name=op.f('uq_appraisal_notices_cycle_unit_id'))
    )
    op.create_table('appraisal_opinions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('item', 'visit', 'questionnaire', 'staff', name='opinion_source', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('source_ref', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_appraisal_opinions_created_by_id_users')),
    sa.ForeignKeyConstraint(['cycle_unit_id'], ['cycle_units.id'], name=op.f('fk_appraisal_opinions_cycle_unit_id_cycle_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['rectification_tasks.id'], name=op.f('fk_appraisal_opinions_task_id_rectification_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_opinions'))
    )
    with op.batch_alter_table('appraisal_opinions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_opinions_cycle_unit_id'), ['cycle_unit_id'], unique=False)

    op.create_table('appraisal_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('basic', sa.Integer(), nullable=False),
    sa.Column('dissatisfied', sa.Integer(), nullable=False),
    sa.Column('abstained', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Enum('satisfied', 'basic', 'dissatisfied', name='appraisal_grade', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.CheckConstraint('satisfied >= 0 AND basic >= 0 AND dissatisfied >= 0 AND abstained >= 0', name=op.f('ck_appraisal_results_counts')),
    sa.ForeignKeyConstraint(['cycle_unit_id'], ['cycle_units.id'], name=op.f('fk_appraisal_results_cycle_unit_id_cycle_units')),
    sa.ForeignKeyConstraint(['session_id'], ['appraisal_sessions.id'], name=op.f('fk_appraisal_results_session_id_appraisal_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_results')),
    sa.UniqueConstraint('session_id', 'cycle_unit_id', name='uq_appraisal_results_unit')
    )
    with op.batch_alter_table('appraisal_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_results_cycle_unit_id'), ['cycle_unit_id'], unique=False)

    op.create_table('appraisal_session_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_unit_id'], ['cycle_units.id'], name=op.f('fk_appraisal_session_units_cycle_unit_id_cycle_units')),
    sa.ForeignKeyConstraint(['session_id'], ['appraisal_sessions.id'], name=op.f('fk_appraisal_session_units_session_id_appraisal_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_session_units')),
    sa.UniqueConstraint('session_id', 'cycle_unit_id', name='uq_appraisal_session_units_unit'),
    sa.UniqueConstraint('session_id', 'position', name='uq_appraisal_session_units_position')
    )


def downgrade():
    op.drop_table('appraisal_session_units')
    with op.batch_alter_table('appraisal_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_results_cycle_unit_id'))

    op.drop_table('appraisal_results')
    with op.batch_alter_table('appraisal_opinions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_opinions_cycle_unit_id'))

    op.drop_table('appraisal_opinions')
    op.drop_table('appraisal_notices')
    with op.batch_alter_table('appraisal_roll', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_roll_user_id'))

    op.drop_table('appraisal_roll')
    with op.batch_alter_table('appraisal_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_receipts_session_id'))

    op.drop_table('appraisal_receipts')
    with op.batch_alter_table('appraisal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_events_session_id'))

    op.drop_table('appraisal_events')
    with op.batch_alter_table('appraisal_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_ballots_session_id'))

    op.drop_table('appraisal_ballots')
    with op.batch_alter_table('appraisal_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_sessions_cycle_id'))

    op.drop_table('appraisal_sessions')
