"""partial indexes: cases awaiting their first response (the escalation check on every
read) and open cases newest first with their deadlines (the work queues)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 18:10:00

"""
from alembic import op
import sqlalchemy as sa

from crm.models.base import AWAITING_RESPONSE, IS_OPEN

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ("complaint", "hotline_ticket")


def upgrade():
    for table in TABLES:
        op.create_index(f"ix_{table}_awaiting_response", table, ["first_response_due_at"],
                        sqlite_where=sa.text(AWAITING_RESPONSE), postgresql_where=sa.text(AWAITING_RESPONSE))
        op.create_index(f"ix_{table}_open_received", table,
                        ["received_at", "first_response_at", "first_response_due_at", "resolution_due_at"],
                        sqlite_where=sa.text(IS_OPEN), postgresql_where=sa.text(IS_OPEN))


def downgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_open_received", table_name=table)
        op.drop_index(f"ix_{table}_awaiting_response", table_name=table)
