"""PostgreSQL: customers added while another transaction adds some (an order import) no
longer wait for it to end; a customer's name pieces are found by customer

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 12:00:00

0012's triggers counted every new customer into the row of its block of ids, which
PostgreSQL locks until the transaction ends: a feedback card with a new mobile number
waited for a whole order import. They now append their counts to customer_block_change
(crm/page_blocks.py). Renaming or deleting a customer read the whole table of name
pieces (0013) to find theirs. SQLite has one writer at a time and needs neither.
"""
from alembic import op

from crm import page_blocks, search_index

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        for statement in page_blocks.postgresql_change_statements():
            op.execute(statement)
        op.execute(search_index.postgresql_name_gram_customer_index())


def downgrade():
    if _postgresql():
        op.execute(f"DROP INDEX {search_index.NAME_GRAM_CUSTOMER_INDEX}")
        for statement in page_blocks.postgresql_drop_change_statements():
            op.execute(statement)
