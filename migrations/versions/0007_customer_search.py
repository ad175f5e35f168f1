"""customer search index and the dealer's newest-first index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:20:00

Search that an index can serve (crm/search_index.py): SQLite FTS5 trigram table kept in
sync by triggers, PostgreSQL pg_trgm. A dealer's customers newest first come from one
index on (dealer_id, id), which also serves the foreign key.
"""
from alembic import op

from crm import search_index

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    statements = (search_index.sqlite_statements() if op.get_bind().dialect.name == "sqlite"
                  else search_index.postgresql_statements())
    for statement in statements:
        op.execute(statement)
    op.drop_index('ix_customer_dealer_id', table_name='customer')
    op.create_index('ix_customer_dealer_newest', 'customer', ['dealer_id', 'id'])


def downgrade():
    op.drop_index('ix_customer_dealer_newest', table_name='customer')
    op.create_index('ix_customer_dealer_id', 'customer', ['dealer_id'])
    if op.get_bind().dialect.name == "sqlite":
        for statement in search_index.sqlite_drop_statements(search_index.FTS_TABLE):
            op.execute(statement)
    else:
        op.execute(f"DROP INDEX IF EXISTS {search_index.TRGM_INDEX}")
        op.execute(f"DROP INDEX IF EXISTS {search_index.NAME_PREFIX_INDEX}")
        # pg_trgm stays: other databases' objects may use it, and keeping it is harmless.
