"""Visits (明察暗访) recorded on a phone: the year's checklist, visits by their phone-made UUID,
their photos and findings, and conflicting second versions for staff.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['supervision_cycles.id'], name=op.f('fk_visit_checklists_cycle_id_supervision_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_visit_checklists_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_checklists')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_visit_checklists_cycle_id'))
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('visited_at', sa.DateTime(), nullable=False),
    sa.Column('incognito', sa.Boolean(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(uuid) = 36', name=op.f('ck_visits_uuid_length')),
    sa.ForeignKeyConstraint(['cycle_id'], ['supervision_cycles.id'], name=op.f('fk_visits_cycle_id_supervision_cycles')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_visits_member_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_visits_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('uuid', name=op.f('uq_visits_uuid'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_unit_id'), ['unit_id'], unique=False)

    op.create_table('visit_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('resolution', sa.Enum('kept_first', 'added_as_new', name='conflict_resolution', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('new_visit_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(resolution IS NULL) = (resolved_at IS NULL)', name=op.f('ck_visit_conflicts_resolution_complete')),
    sa.ForeignKeyConstraint(['new_visit_id'], ['visits.id'], name=op.f('fk_visit_conflicts_new_visit_id_visits')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_visit_conflicts_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_conflicts_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_conflicts'))
    )
    with op.batch_alter_table('visit_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_conflicts_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_visit_findings_item_id_feedback_items')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_findings_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_findings'))
    )
    with op.batch_alter_table('visit_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_findings_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_photos_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_photos'))
    )
    with op.batch_alter_table('visit_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_photos_visit_id'), ['visit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('visit_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_photos_visit_id'))

    op.drop_table('visit_photos')
    with op.batch_alter_table('visit_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_findings_visit_id'))

    op.drop_table('visit_findings')
    with op.batch_alter_table('visit_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_conflicts_visit_id'))

    op.drop_table('visit_conflicts')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_unit_id'))
        batch_op.drop_index(batch_op.f('ix_visits_member_id'))
        batch_op.drop_index(batch_op.f('ix_visits_cycle_id'))

    op.drop_table('visits')
    op.drop_table('visit_checklists')
