"""attachments keep their mail part's Content-ID, so cid: images of a mail body can be shown

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 17:39:54.504199

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('attachments', sa.Column('content_id', sa.String(length=998), nullable=True))


def downgrade():
    # Batch mode on SQLite copies the table; attachments has no triggers to lose.
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('content_id')
