"""a version number on every record clerks and dealers edit, so that a save made from
an older version is refused instead of undoing what someone saved in between

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 17:00:00

Added with a constant default, which both databases record without rewriting the table
(a million customers take no longer than ten). Dropped with ALTER TABLE DROP COLUMN,
which SQLite has since 3.35: a batch rebuild would drop the customer table's triggers.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

VERSIONED_TABLES = ("dealer", "customer", "product", "orders", "visit", "complaint", "feedback_card", "hotline_ticket")


def upgrade():
    for table in VERSIONED_TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")))


def downgrade():
    for table in VERSIONED_TABLES:
        op.drop_column(table, "version")
