"""The customer search index, in one place for the migrations, the search service and
the tools that bulk-load data.

Three or more characters: SQLite has an FTS5 table with the trigram tokenizer over the
searchable columns, kept in sync by triggers (an "external content" table: the text is
stored once, in customer); PostgreSQL one pg_trgm GIN index over the same columns joined
by spaces (a search term never contains a space, so it cannot match across two columns).

One or two characters (a given name such as 子豪) have no trigram: names are also indexed
character by character. SQLite: a contentless FTS5 table holding each name as its
characters separated by spaces, so that a phrase query finds adjacent characters, newest
first; PostgreSQL: a table of every one- and two-character piece of each name with the
customer's id (`customer_name_gram`, kept by triggers), whose primary key (gram, id)
gives the newest customers holding a piece without reading the others (a GIN index can
only give all of them, unordered: 16,000 rows for a common given name at a million).

Alembic's batch mode rebuilds a SQLite table by copying it, which drops its triggers: a
later migration that rebuilds `customer` must call `create_sqlite_triggers()` again."""
from sqlalchemy import literal_column

from crm import page_blocks

SEARCHED_COLUMNS = ("name", "mobile", "other_phone", "email", "address", "postal_code")
FTS_TABLE = "customer_search"
TRGM_INDEX = "ix_customer_search_trgm"
NAME_PREFIX_INDEX = "ix_customer_name_prefix"  # 0007 only; 0009 replaced it by NAME_CHARS_INDEX
NAME_CHARS_TABLE = "customer_name_chars"
NAME_CHARS_INDEX = "ix_customer_name_chars"
NAME_CHARS_INDEXED = 20  # characters of a name indexed one by one (names are rarely longer)


def search_text_sql(table: str = "customer") -> str:
    """The PostgreSQL expression the trigram index covers (and the search must repeat)."""
    parts = " || ' ' || ".join(f"coalesce({table}.{column}, '')" for column in SEARCHED_COLUMNS)
    return f"lower({parts})"


def search_text():
    return literal_column(search_text_sql())


def _columns(prefix: str = "") -> str:
    return ", ".join(f"{prefix}{column}" for column in SEARCHED_COLUMNS)


def sqlite_statements() -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_columns()}, content='customer', "
        f"content_rowid='id', tokenize='trigram')",
        *create_sqlite_triggers(),
        rebuild_statement(),
    ]


def create_sqlite_triggers() -> list[str]:
    new_row = f"INSERT INTO {FTS_TABLE}(rowid, {_columns()}) VALUES (new.id, {_columns('new.')});"
    old_row = (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_columns()}) "
               f"VALUES ('delete', old.id, {_columns('old.')});")
    return [
        f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON customer BEGIN {new_row} END",
        f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON customer BEGIN {old_row} END",
        f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF {_columns()} ON customer "
        f"BEGIN {old_row} {new_row} END",
    ]


def name_characters_sql(name: str) -> str:
    """SQLite expression: the first NAME_CHARS_INDEXED characters of `name`, space-separated."""
    return "lower(" + " || ' ' || ".join(f"substr({name}, {i}, 1)" for i in range(1, NAME_CHARS_INDEXED + 1)) + ")"


def sqlite_name_characters_statements() -> list[str]:
    table = NAME_CHARS_TABLE
    new_row = f"INSERT INTO {table}(rowid, chars) VALUES (new.id, {name_characters_sql('new.name')});"
    old_row = f"INSERT INTO {table}({table}, rowid, chars) VALUES ('delete', old.id, {name_characters_sql('old.name')});"
    return [
        f"CREATE VIRTUAL TABLE {table} USING fts5(chars, content='', tokenize='unicode61')",
        f"CREATE TRIGGER {table}_insert AFTER INSERT ON customer BEGIN {new_row} END",
        f"CREATE TRIGGER {table}_delete AFTER DELETE ON customer BEGIN {old_row} END",
        f"CREATE TRIGGER {table}_update AFTER UPDATE OF name ON customer BEGIN {old_row} {new_row} END",
        *rebuild_name_characters(),
    ]


def rebuild_name_characters() -> list[str]:
    table = NAME_CHARS_TABLE
    return [f"INSERT INTO {table}({table}) VALUES ('delete-all')",
            f"INSERT INTO {table}(rowid, chars) SELECT id, {name_characters_sql('name')} FROM customer"]


NAME_CHARACTERS_PG = "string_to_array(lower(customer.name), NULL)"  # 0009 only; 0013 replaced it
NAME_GRAM_TABLE = "customer_name_gram"
NAME_GRAM_CUSTOMER_INDEX = "ix_customer_name_gram_customer_id"


def postgresql_name_characters_statements() -> list[str]:
    """0009's GIN index over the name's characters (kept for downgrades from 0013)."""
    return [f"CREATE INDEX {NAME_CHARS_INDEX} ON customer USING gin (({NAME_CHARACTERS_PG}))"]


def postgresql_name_gram_statements() -> list[str]:
    """The one- and two-character pieces of every name (its first NAME_CHARS_INDEXED
    characters, lower case), one row per piece and customer. Inserts are counted per
    statement (an import or COPY of many customers), renames per row; deleting a customer
    deletes its pieces (the foreign key)."""
    table, limit = NAME_GRAM_TABLE, NAME_CHARS_INDEXED
    return [
        # Byte order ("C"): pieces are only ever compared for equality, and it sorts fastest.
        f'CREATE TABLE {table} (gram text COLLATE "C" NOT NULL, customer_id integer NOT NULL, '
        f"CONSTRAINT {table}_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(id) ON DELETE CASCADE, "
        f"PRIMARY KEY (gram, customer_id))",
        f"""CREATE FUNCTION {table}_pieces(name text) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
  SELECT DISTINCT substr(lower(name), i, n)
  FROM generate_series(1, least(length(name), {limit})) AS i, (VALUES (1), (2)) AS sizes(n)
  WHERE i + n - 1 <= least(length(name), {limit})
$$""",
        f"""CREATE FUNCTION {table}_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {table}(gram, customer_id)
  SELECT piece, added.id FROM added, {table}_pieces(added.name) AS piece WHERE added.name IS NOT NULL;
  RETURN NULL;
END $$""",
        f"""CREATE FUNCTION {table}_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM {table} WHERE customer_id = OLD.id;
  INSERT INTO {table}(gram, customer_id) SELECT piece, NEW.id FROM {table}_pieces(NEW.name) AS piece
  WHERE NEW.name IS NOT NULL;
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER {table}_insert AFTER INSERT ON customer REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_added()",
        f"CREATE TRIGGER {table}_update AFTER UPDATE OF name ON customer FOR EACH ROW "
        f"WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION {table}_renamed()",
        f"INSERT INTO {table}(gram, customer_id) SELECT piece, customer.id FROM customer, "
        f"{table}_pieces(customer.name) AS piece WHERE customer.name IS NOT NULL",
    ]


def postgresql_name_gram_customer_index() -> str:
    """Migration 0015: a customer's pieces found by customer, for a rename (the trigger) and
    a delete (the foreign key's cascade), which otherwise read the whole table."""
    return f"CREATE INDEX {NAME_GRAM_CUSTOMER_INDEX} ON {NAME_GRAM_TABLE} (customer_id)"


def postgresql_rebuild_name_gram_statements() -> list[str]:
    """The name pieces of every customer afresh, for a load that bypassed the triggers:
    filled without the keys and the index (the foreign key checked row by row took twice
    as long as the rest), which are then built in one sort and one join each."""
    table, foreign_key = NAME_GRAM_TABLE, f"{NAME_GRAM_TABLE}_customer_id_fkey"
    return [f"TRUNCATE {table}",
            f"DROP INDEX IF EXISTS {NAME_GRAM_CUSTOMER_INDEX}",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, DROP CONSTRAINT {foreign_key}",
            f"INSERT INTO {table}(gram, customer_id) SELECT piece, customer.id FROM customer, "
            f"{table}_pieces(customer.name) AS piece WHERE customer.name IS NOT NULL",
            f"ALTER TABLE {table} ADD PRIMARY KEY (gram, customer_id), ADD CONSTRAINT {foreign_key} "
            f"FOREIGN KEY (customer_id) REFERENCES customer(id) ON DELETE CASCADE NOT VALID",
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {foreign_key}",
            postgresql_name_gram_customer_index()]


def postgresql_drop_name_gram_statements() -> list[str]:
    table = NAME_GRAM_TABLE
    return [f"DROP TRIGGER IF EXISTS {table}_insert ON customer", f"DROP TRIGGER IF EXISTS {table}_update ON customer",
            f"DROP TABLE IF EXISTS {table}",
            *(f"DROP FUNCTION IF EXISTS {table}_{name}()" for name in ("added", "renamed")),
            f"DROP FUNCTION IF EXISTS {table}_pieces(text)"]


def sqlite_drop_statements(table: str) -> list[str]:
    """An FTS table and the triggers that keep it (for the migrations' downgrades)."""
    return [*(f"DROP TRIGGER IF EXISTS {table}_{trigger}" for trigger in ("insert", "delete", "update")),
            f"DROP TABLE IF EXISTS {table}"]


def rebuild_statement() -> str:
    """Re-reads every customer into the FTS table (after a bulk load without triggers)."""
    return f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"


def postgresql_statements() -> list[str]:
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE INDEX {TRGM_INDEX} ON customer USING gin (({search_text_sql()}) gin_trgm_ops)",
        f"CREATE INDEX {NAME_PREFIX_INDEX} ON customer (name text_pattern_ops)",
    ]


def is_search_index(name: str | None) -> bool:
    return bool(name) and (name.startswith((FTS_TABLE, NAME_CHARS_TABLE, NAME_GRAM_TABLE))
                           or name in (TRGM_INDEX, NAME_PREFIX_INDEX, NAME_CHARS_INDEX))


def include_in_schema_comparison(name, type_, parent_names) -> bool:
    """Alembic's `include_name` hook: the models do not describe the search index nor the
    customer blocks (crm/page_blocks.py), so comparing models and database (autogenerate,
    the migration tests) leaves them out."""
    return not is_search_index(name) and not page_blocks.is_block_table(name)
