"""drop the single-column escalated_at indexes (the awaiting-response index serves the check)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 18:15:00

With approximate statistics SQLite took `escalated_at IS NULL` for a selective index and
walked every case that was never escalated (45 ms at a million customers) instead of the
few awaiting a first response (0.02 ms).
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ("complaint", "hotline_ticket")


def upgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_escalated_at", table_name=table)


def downgrade():
    for table in TABLES:
        op.create_index(f"ix_{table}_escalated_at", table, ["escalated_at"])
