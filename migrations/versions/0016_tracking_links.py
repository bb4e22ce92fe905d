"""tracking_links: one-time links to a report's progress page, sent in mails instead of the
lookup secret (only the token's SHA-256 is kept).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tracking_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_tracking_links_item_id_feedback_items'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_links')),
        sa.UniqueConstraint('token_sha256', name=op.f('uq_tracking_links_token_sha256')),
    )
    with op.batch_alter_table('tracking_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_links_item_id'), ['item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tracking_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_links_item_id'))
    op.drop_table('tracking_links')
