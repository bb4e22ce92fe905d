"""Attachments released to a unit lose their identifying metadata first: the cleaned copy's
stored name and size, what was removed (for staff), and whether the type could be cleaned.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rectification_attachment_releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cleaned_stored_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cleaned_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('metadata_removed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('metadata_cleanable', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('rectification_attachment_releases', schema=None) as batch_op:
        batch_op.drop_column('metadata_cleanable')
        batch_op.drop_column('metadata_removed')
        batch_op.drop_column('cleaned_size')
        batch_op.drop_column('cleaned_stored_name')
