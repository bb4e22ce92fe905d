"""Unit responsibilities (units.duties, 职能) as evidence for triage, and the runner-up and the
reason for abstaining on each item's suggestion (item_suggestions).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 01:00:00

"""
from alembic import op
import sqlalchemy as sa

from intake.reference.unit_duties import DUTIES


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duties', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('item_suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_reason', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('unit_runner_up_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unit_runner_up_confidence', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('category_runner_up_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('category_runner_up_confidence', sa.Float(), server_default='0', nullable=False))
        batch_op.create_foreign_key(
            batch_op.f('fk_item_suggestions_unit_runner_up_id_units'), 'units', ['unit_runner_up_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_item_suggestions_category_runner_up_id_categories'),
            'categories',
            ['category_runner_up_id'],
            ['id'],
        )
    # The empty defaults were for the rows already there; new rows get theirs from the models.
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.alter_column('duties', server_default=None)
    with op.batch_alter_table('item_suggestions', schema=None) as batch_op:
        batch_op.alter_column('unit_reason', server_default=None)
    # Seeded units get the typical county's responsibilities; admins adjust them.
    units = sa.table('units', sa.column('code', sa.String), sa.column('duties', sa.Text))
    for code, duties in DUTIES.items():
        op.execute(units.update().where(units.c.code == code).values(duties=duties))


def downgrade():
    with op.batch_alter_table('item_suggestions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_item_suggestions_category_runner_up_id_categories'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_item_suggestions_unit_runner_up_id_units'), type_='foreignkey')
        batch_op.drop_column('category_runner_up_confidence')
        batch_op.drop_column('category_runner_up_id')
        batch_op.drop_column('unit_runner_up_confidence')
        batch_op.drop_column('unit_runner_up_id')
        batch_op.drop_column('unit_reason')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('duties')
