"""customer names indexed character by character (one- and two-character searches)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 18:00:00

See crm/search_index.py. On PostgreSQL this replaces 0007's name prefix index.
"""
from alembic import op

from crm import search_index

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        statements = search_index.sqlite_name_characters_statements()
    else:
        statements = [f"DROP INDEX IF EXISTS {search_index.NAME_PREFIX_INDEX}",
                      *search_index.postgresql_name_characters_statements()]
    for statement in statements:
        op.execute(statement)


def downgrade():
    if _sqlite():
        for statement in search_index.sqlite_drop_statements(search_index.NAME_CHARS_TABLE):
            op.execute(statement)
    else:
        op.execute(f"DROP INDEX IF EXISTS {search_index.NAME_CHARS_INDEX}")
        op.execute(f"CREATE INDEX {search_index.NAME_PREFIX_INDEX} ON customer (name text_pattern_ops)")
