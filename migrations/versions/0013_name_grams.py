"""PostgreSQL: one- and two-character pieces of customer names in a table ordered by
customer (crm/search_index.py), in place of 0009's GIN index over the name's characters

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:00:00

A search for a common given name (雪梅) read every customer holding it through the GIN
index and sorted them; the table gives the newest ones first and stops after a page.
SQLite keeps its FTS5 table of name characters, which already does.
"""
from alembic import op

from crm import search_index

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        for statement in search_index.postgresql_name_gram_statements():
            op.execute(statement)
        op.execute(f"DROP INDEX IF EXISTS {search_index.NAME_CHARS_INDEX}")


def downgrade():
    if _postgresql():
        for statement in search_index.postgresql_drop_name_gram_statements():
            op.execute(statement)
        for statement in search_index.postgresql_name_characters_statements():
            op.execute(statement)
