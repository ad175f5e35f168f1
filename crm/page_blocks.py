"""Deep pages of the customer list without walking every row before them.

`OFFSET 39980` makes the database step through 39,980 rows to reach page 2,000 (a few
milliseconds at a million customers, and more the deeper the page). Customers are counted
per block of BLOCK_SIZE consecutive ids in `customer_block`, kept by triggers in the same
transaction as the rows themselves. The newest-first list finds the block that holds row
N by adding up block counts from the newest block down (one small row per thousand
customers), then walks at most one block: page 2,000 costs what page 1 does.

PostgreSQL locks a row it updates until the transaction ends, and every new customer
falls in the newest block: counting into the block's row made any customer added while an
order import ran wait for the whole import. There a count goes into the block's row only
when that waits for nobody, and otherwise into `customer_block_change`, whose rows lock
nothing another writer needs; readers add those up with the blocks, and a reader that
finds more than FOLD_AFTER of them folds them in, in a short transaction of its own.
SQLite has one writer at a time anyway and counts into the blocks directly.

The block tables are not models (like the search index, crm/search_index.py): the
migrations create them, and comparisons of models and schema leave them out. Loaders that
bypass the triggers (bench/seed.py) call `rebuild_statements(dialect)` afterwards.
"""
from dataclasses import dataclass

from sqlalchemy import text

TABLE = "customer_block"
CHANGES = "customer_block_change"
BLOCK_SIZE = 1024
SOURCE = "customer"
FOLD_AFTER = 1000  # counts waiting in CHANGES that make a reader fold them into the blocks
_FOLDING_LOCK = 740_012  # PostgreSQL advisory locks: one fold at a time,
_CREATING_LOCK = 740_013  # and one transaction creating a block's row

_BLOCKS_NEWEST_FIRST = text(f"SELECT block, rows, 0 AS changes FROM {TABLE} ORDER BY block DESC")
# PostgreSQL: the blocks with the counts not yet folded into them, and how many those are.
_COUNTED_BLOCKS_NEWEST_FIRST = text(
    f"SELECT block, sum(rows)::bigint AS rows, sum(changes)::bigint AS changes FROM ("
    f"SELECT block, rows, 0 AS changes FROM {TABLE} UNION ALL SELECT block, rows, 1 FROM {CHANGES}"
    f") AS counted GROUP BY block ORDER BY block DESC")
_FOLD = text(  # through the same function as the triggers: a block still locked keeps its counts waiting
    f"WITH moved AS (DELETE FROM {CHANGES} RETURNING block, rows) "
    f"SELECT {TABLE}_count(block, sum(rows)::bigint) FROM moved GROUP BY block")


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
    are no customers. Reads one block row per BLOCK_SIZE customers (on SQLite only those
    passed)."""
    passed, read = 0, []
    for block, rows in _counted_blocks(connection):
        if passed + rows > offset:
            return Position((block + 1) * BLOCK_SIZE, offset - passed, offset)
        read.append((block, rows, passed))
        passed += rows
    if not passed:
        return None
    last_page = (passed - 1) // page_size * page_size
    for block, rows, before in read:
        if before + rows > last_page:
            return Position((block + 1) * BLOCK_SIZE, last_page - before, last_page)
    return None


def _counted_blocks(connection):
    """(block, rows) newest first. SQLite: read as they are needed. PostgreSQL: with the
    counts waiting in CHANGES added (all blocks in one aggregate), folded into the blocks
    once they are many."""
    if connection.dialect.name != "postgresql":
        return _blocks_as_needed(connection)
    counted = connection.execute(_COUNTED_BLOCKS_NEWEST_FIRST).all()
    if sum(waiting for _block, _rows, waiting in counted) > FOLD_AFTER:
        fold(connection.engine)
    return [(block, rows) for block, rows, _waiting in counted]


def _blocks_as_needed(connection):
    result = connection.execute(_BLOCKS_NEWEST_FIRST)
    try:
        for block, rows, _waiting in result:
            yield block, rows
    finally:
        result.close()


def counts(connection) -> dict[int, int]:
    """Every block's count of customers (blocks left empty by deletes left out)."""
    return {block: rows for block, rows in _counted_blocks(connection) if rows}


def fold(engine) -> None:
    """PostgreSQL: move the counts waiting in CHANGES into the blocks, in a transaction of
    its own (the reader's may be read-only), waiting for nobody: a block whose row is still
    locked keeps its counts waiting. Skipped while another fold runs. Counts appended by
    transactions still open are not visible to it, and wait for the next fold."""
    with engine.begin() as connection:
        if connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _FOLDING_LOCK}).scalar():
            connection.execute(_FOLD)


def sqlite_statements() -> list[str]:
    upsert = (f"INSERT INTO {TABLE}(block, rows) VALUES (new.id / {BLOCK_SIZE}, 1) "
              f"ON CONFLICT(block) DO UPDATE SET rows = rows + 1;")
    return [
        f"CREATE TABLE {TABLE} (block INTEGER PRIMARY KEY, rows INTEGER NOT NULL)",
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {SOURCE} BEGIN {upsert} END",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {SOURCE} "
        f"BEGIN UPDATE {TABLE} SET rows = rows - 1 WHERE block = old.id / {BLOCK_SIZE}; END",
        *rebuild_statements("sqlite"),
    ]


def postgresql_statements() -> list[str]:
    """Migration 0012: statement-level triggers with transition tables (an import or COPY
    of many customers updates each block once, not once per row) that count into the
    blocks; 0015 has them count there only when that waits for nobody. TRUNCATE empties
    the blocks too."""
    return [
        f"CREATE TABLE {TABLE} (block bigint PRIMARY KEY, rows bigint NOT NULL)",
        *_functions_counting_into_blocks(),
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {SOURCE} REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_added()",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {SOURCE} REFERENCING OLD TABLE AS removed "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_removed()",
        f"CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON {SOURCE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_emptied()",
        *rebuild_statements("postgresql", changes=False),
    ]


def postgresql_change_statements() -> list[str]:
    """Migration 0015: the triggers count through customer_block_count, which waits for nobody."""
    return [f"CREATE TABLE {CHANGES} (block bigint NOT NULL, rows bigint NOT NULL)",
            *_functions_counting_without_waiting()]


def postgresql_drop_change_statements() -> list[str]:
    """Migration 0015 undone: the waiting counts folded in, the triggers count into the blocks."""
    return [*_functions_counting_into_blocks(), _FOLD.text, f"DROP TABLE {CHANGES}",
            f"DROP FUNCTION {TABLE}_count(bigint, bigint)"]


def _functions_counting_into_blocks() -> list[str]:
    """0012's trigger functions."""
    added = (f"INSERT INTO {TABLE}(block, rows) SELECT id / {BLOCK_SIZE}, count(*) FROM added GROUP BY 1\n"
             f"  ON CONFLICT (block) DO UPDATE SET rows = {TABLE}.rows + excluded.rows;")
    removed = (f"UPDATE {TABLE} SET rows = {TABLE}.rows - gone.rows\n"
               f"  FROM (SELECT id / {BLOCK_SIZE} AS block, count(*) AS rows FROM removed GROUP BY 1) AS gone\n"
               f"  WHERE {TABLE}.block = gone.block;")
    return [_function("added", added), _function("removed", removed), _function("emptied", f"DELETE FROM {TABLE};")]


def _functions_counting_without_waiting() -> list[str]:
    """0015's trigger functions."""
    return [_function("count", _COUNT_WITHOUT_WAITING, arguments="block bigint, counted bigint", returns="void"),
            _function("added", _per_block("added", "count(*)")),
            _function("removed", _per_block("removed", "-count(*)")),
            _function("emptied", f"DELETE FROM {TABLE};\n  DELETE FROM {CHANGES};")]


# Counts into the block's row when that waits for nobody: the row is not locked by another
# transaction (SKIP LOCKED), or it is missing and no other transaction is creating it (an
# advisory lock per block, held by the creator to its end). Otherwise the count waits in
# CHANGES. Without contention CHANGES stays empty.
_COUNT_WITHOUT_WAITING = f"""PERFORM 1 FROM {TABLE} WHERE {TABLE}.block = {TABLE}_count.block FOR UPDATE SKIP LOCKED;
  IF FOUND THEN
    UPDATE {TABLE} SET rows = {TABLE}.rows + counted WHERE {TABLE}.block = {TABLE}_count.block;
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM {TABLE} WHERE {TABLE}.block = {TABLE}_count.block)
     AND pg_try_advisory_xact_lock({_CREATING_LOCK}, {TABLE}_count.block::integer) THEN
    INSERT INTO {TABLE}(block, rows) VALUES ({TABLE}_count.block, counted) ON CONFLICT DO NOTHING;
    IF FOUND THEN
      RETURN;
    END IF;
  END IF;
  INSERT INTO {CHANGES}(block, rows) VALUES ({TABLE}_count.block, counted);"""


def _per_block(rows: str, counted: str) -> str:
    return (f"PERFORM {TABLE}_count(block, counted) FROM (SELECT id / {BLOCK_SIZE} AS block, {counted} AS counted "
            f"FROM {rows} GROUP BY 1) AS per_block;")


def _function(name: str, body: str, arguments: str = "", returns: str = "trigger") -> str:
    end = "RETURN NULL;\n" if returns == "trigger" else ""
    return f"""CREATE OR REPLACE FUNCTION {TABLE}_{name}({arguments}) RETURNS {returns} LANGUAGE plpgsql AS $$
BEGIN
  {body}
  {end}END $$"""


def rebuild_statements(dialect: str, changes: bool = True) -> list[str]:
    """Counts every block afresh (after a load that bypassed the triggers)."""
    forget = [f"DELETE FROM {CHANGES}"] if dialect == "postgresql" and changes else []
    return [*forget, f"DELETE FROM {TABLE}",
            f"INSERT INTO {TABLE}(block, rows) SELECT id / {BLOCK_SIZE}, count(*) FROM {SOURCE} GROUP BY 1"]


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_insert", f"DROP TRIGGER IF EXISTS {TABLE}_delete",
                f"DROP TABLE IF EXISTS {TABLE}"]
    return [*(f"DROP TRIGGER IF EXISTS {TABLE}_{event} ON {SOURCE}" for event in ("insert", "delete", "truncate")),
            *(f"DROP FUNCTION IF EXISTS {TABLE}_{name}()" for name in ("added", "removed", "emptied")),
            f"DROP TABLE IF EXISTS {TABLE}"]


def is_block_table(name: str | None) -> bool:
    return name in (TABLE, CHANGES)

