"""Deep pages of the customer list without walking every row before them.

`OFFSET 39980` makes the database step through 39,980 rows to reach page 2,000 (a few
milliseconds at a million customers, and more the deeper the page). Customers are counted
per block of BLOCK_SIZE consecutive ids in `customer_block`, kept by triggers in the same
transaction as the rows themselves. The newest-first list finds the block that holds row
N by adding up block counts from the newest block down (one small row per thousand
customers), then walks at most one block: page 2,000 costs what page 1 does.

The block table is not a model (like the search index, crm/search_index.py): the
migrations create it, and comparisons of models and schema leave it out. Loaders that
bypass the triggers (bench/seed.py) call `rebuild_statements()` afterwards.
"""
from dataclasses import dataclass

from sqlalchemy import text

TABLE = "customer_block"
BLOCK_SIZE = 1024
SOURCE = "customer"

_BLOCKS_NEWEST_FIRST = text(f"SELECT block, rows FROM {TABLE} ORDER BY block DESC")


@dataclass(frozen=True)
class Position:
    """Where a row of the newest-first customer list is: below the id `bound`, after
    `skip` rows there. `offset` is the row's place in the whole list."""
    bound: int
    skip: int
    offset: int


def locate(connection, offset: int, page_size: int) -> Position | None:
    """Where row `offset` (0-based, newest first) of the whole customer list is, or, when
    the list has fewer rows, the first row of its last page of `page_size`; None when there
    are no customers. Reads one block row per BLOCK_SIZE customers passed."""
    passed, read = 0, []
    result = connection.execute(_BLOCKS_NEWEST_FIRST)
    try:
        for block, rows in result:
            if passed + rows > offset:
                return Position((block + 1) * BLOCK_SIZE, offset - passed, offset)
            read.append((block, rows, passed))
            passed += rows
    finally:
        result.close()
    if not passed:
        return None
    last_page = (passed - 1) // page_size * page_size
    for block, rows, before in read:
        if before + rows > last_page:
            return Position((block + 1) * BLOCK_SIZE, last_page - before, last_page)
    return None


def sqlite_statements() -> list[str]:
    upsert = (f"INSERT INTO {TABLE}(block, rows) VALUES (new.id / {BLOCK_SIZE}, 1) "
              f"ON CONFLICT(block) DO UPDATE SET rows = rows + 1;")
    return [
        f"CREATE TABLE {TABLE} (block INTEGER PRIMARY KEY, rows INTEGER NOT NULL)",
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {SOURCE} BEGIN {upsert} END",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {SOURCE} "
        f"BEGIN UPDATE {TABLE} SET rows = rows - 1 WHERE block = old.id / {BLOCK_SIZE}; END",
        *rebuild_statements(),
    ]


def postgresql_statements() -> list[str]:
    """Statement-level triggers with transition tables: an import or COPY of many customers
    updates each block once, not once per row. TRUNCATE empties the blocks too."""
    return [
        f"CREATE TABLE {TABLE} (block bigint PRIMARY KEY, rows bigint NOT NULL)",
        f"""CREATE FUNCTION {TABLE}_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {TABLE}(block, rows) SELECT id / {BLOCK_SIZE}, count(*) FROM added GROUP BY 1
  ON CONFLICT (block) DO UPDATE SET rows = {TABLE}.rows + excluded.rows;
  RETURN NULL;
END $$""",
        f"""CREATE FUNCTION {TABLE}_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {TABLE} SET rows = {TABLE}.rows - gone.rows
  FROM (SELECT id / {BLOCK_SIZE} AS block, count(*) AS rows FROM removed GROUP BY 1) AS gone
  WHERE {TABLE}.block = gone.block;
  RETURN NULL;
END $$""",
        f"""CREATE FUNCTION {TABLE}_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM {TABLE};
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {SOURCE} REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_added()",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {SOURCE} REFERENCING OLD TABLE AS removed "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_removed()",
        f"CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON {SOURCE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_emptied()",
        *rebuild_statements(),
    ]


def rebuild_statements() -> list[str]:
    """Counts every block afresh (after a load that bypassed the triggers)."""
    return [f"DELETE FROM {TABLE}",
            f"INSERT INTO {TABLE}(block, rows) SELECT id / {BLOCK_SIZE}, count(*) FROM {SOURCE} GROUP BY 1"]


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_insert", f"DROP TRIGGER IF EXISTS {TABLE}_delete",
                f"DROP TABLE IF EXISTS {TABLE}"]
    return [*(f"DROP TRIGGER IF EXISTS {TABLE}_{event} ON {SOURCE}" for event in ("insert", "delete", "truncate")),
            *(f"DROP FUNCTION IF EXISTS {TABLE}_{name}()" for name in ("added", "removed", "emptied")),
            f"DROP TABLE IF EXISTS {TABLE}"]


def is_block_table(name: str | None) -> bool:
    return name == TABLE

