"""snapshots of costly pages (the dashboard)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 17:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('snapshot',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_snapshot'))
    )


def downgrade():
    op.drop_table('snapshot')
