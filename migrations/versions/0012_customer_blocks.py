"""customers counted per block of ids (crm/page_blocks.py), so that deep pages of the
customer list need not walk every row before them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:30:00

"""
from alembic import op

from crm import page_blocks

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    statements = page_blocks.sqlite_statements() if dialect == "sqlite" else page_blocks.postgresql_statements()
    for statement in statements:
        op.execute(statement)


def downgrade():
    for statement in page_blocks.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
