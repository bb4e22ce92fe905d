"""the second half of the annual program: implementation plans (实施方案) in versions,
self-inspection reports (自查报告), supervision groups (民主监督小组), their meetings (座谈会,
现场考察) with photos and findings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


# An approved version of a plan is the text the committee adopted: the database refuses to
# change or delete it (named sealed_* like the lottery's, so the test cleanup sets them aside).
SQLITE_TRIGGERS = [
    """CREATE TRIGGER sealed_program_plan_versions_update BEFORE UPDATE ON program_plan_versions
       WHEN OLD.approved_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'sealed: an approved plan version cannot be changed'); END""",
    """CREATE TRIGGER sealed_program_plan_versions_delete BEFORE DELETE ON program_plan_versions
       WHEN OLD.approved_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'sealed: an approved plan version cannot be deleted'); END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION sealed_plan_version_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'sealed: % of an approved plan version refused', TG_OP;
       END $$""",
    """CREATE TRIGGER sealed_program_plan_versions BEFORE UPDATE OR DELETE ON program_plan_versions
       FOR EACH ROW WHEN (OLD.approved_at IS NOT NULL) EXECUTE PROCEDURE sealed_plan_version_refuse()""",
]


def _fk(table, column, target, ondelete=None):
    return sa.ForeignKeyConstraint([column], [target + '.id'], name=op.f(f'fk_{table}_{column}_{target}'),
                                   ondelete=ondelete)


def _file_columns():
    return [
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('original_name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
    ]


def upgrade():
    op.create_table('program_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _fk('program_plans', 'cycle_unit_id', 'cycle_units', 'CASCADE'),
    _fk('program_plans', 'created_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_plans')),
    sa.UniqueConstraint('cycle_unit_id', name=op.f('uq_program_plans_cycle_unit_id'))
    )
    op.create_table('program_plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('guiding_idea', sa.Text(), nullable=False),
    sa.Column('principles', sa.Text(), nullable=False),
    sa.Column('leading_group', sa.JSON(), nullable=False),
    sa.Column('leading_office', sa.Text(), nullable=False),
    sa.Column('main_content', sa.Text(), nullable=False),
    sa.Column('methods', sa.Text(), nullable=False),
    sa.Column('steps', sa.Text(), nullable=False),
    sa.Column('timetable', sa.JSON(), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=False),
    sa.Column('change_note', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(approved_at IS NULL) = (approved_by_id IS NULL)',
                       name=op.f('ck_program_plan_versions_approval_complete')),
    _fk('program_plan_versions', 'plan_id', 'program_plans', 'CASCADE'),
    _fk('program_plan_versions', 'created_by_id', 'users'),
    _fk('program_plan_versions', 'approved_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_plan_versions')),
    sa.UniqueConstraint('plan_id', 'number', name='uq_program_plan_versions_plan_number')
    )
    op.create_table('program_self_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    *_file_columns(),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    _fk('program_self_reports', 'cycle_unit_id', 'cycle_units', 'CASCADE'),
    _fk('program_self_reports', 'uploaded_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_self_reports'))
    )
    op.create_index(op.f('ix_program_self_reports_cycle_unit_id'), 'program_self_reports', ['cycle_unit_id'])
    op.create_table('program_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    _fk('program_groups', 'cycle_unit_id', 'cycle_units', 'CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_groups')),
    sa.UniqueConstraint('cycle_unit_id', name=op.f('uq_program_groups_cycle_unit_id'))
    )
    op.create_table('program_group_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    _fk('program_group_members', 'group_id', 'program_groups', 'CASCADE'),
    _fk('program_group_members', 'user_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_group_members')),
    sa.UniqueConstraint('group_id', 'user_id', name='uq_program_group_members_group_user')
    )
    op.create_index(op.f('ix_program_group_members_user_id'), 'program_group_members', ['user_id'])
    op.create_table('program_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('symposium', 'inspection', name='meeting_kind', native_enum=False,
                              create_constraint=True, length=24), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('participants', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    _fk('program_meetings', 'cycle_unit_id', 'cycle_units', 'CASCADE'),
    _fk('program_meetings', 'created_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_meetings'))
    )
    op.create_index(op.f('ix_program_meetings_cycle_unit_id'), 'program_meetings', ['cycle_unit_id'])
    op.create_table('program_meeting_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    *_file_columns(),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    _fk('program_meeting_photos', 'meeting_id', 'program_meetings', 'CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_meeting_photos'))
    )
    op.create_index(op.f('ix_program_meeting_photos_meeting_id'), 'program_meeting_photos', ['meeting_id'])
    op.create_table('program_meeting_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    _fk('program_meeting_findings', 'meeting_id', 'program_meetings', 'CASCADE'),
    _fk('program_meeting_findings', 'item_id', 'feedback_items'),
    _fk('program_meeting_findings', 'task_id', 'rectification_tasks'),
    _fk('program_meeting_findings', 'created_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_meeting_findings'))
    )
    op.create_index(op.f('ix_program_meeting_findings_meeting_id'), 'program_meeting_findings', ['meeting_id'])
    for statement in (POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == 'postgresql' else SQLITE_TRIGGERS):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS sealed_program_plan_versions ON program_plan_versions')
        op.execute('DROP FUNCTION IF EXISTS sealed_plan_version_refuse()')
    for table in ('program_meeting_findings', 'program_meeting_photos', 'program_meetings', 'program_group_members',
                  'program_groups', 'program_self_reports', 'program_plan_versions', 'program_plans'):
        op.drop_table(table)
