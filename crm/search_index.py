"""The customer search index, in one place for the migrations, the search service and
the tools that bulk-load data.

SQLite: an FTS5 table with the trigram tokenizer over the searchable columns, kept in
sync by triggers (an "external content" table: the text is stored once, in customer).
PostgreSQL: one pg_trgm GIN index over the same columns joined by spaces (a search term
never contains a space, so it cannot match across two columns); the database keeps it
in sync by itself.

Alembic's batch mode rebuilds a SQLite table by copying it, which drops its triggers: a
later migration that rebuilds `customer` must call `create_sqlite_triggers()` again."""
from sqlalchemy import literal_column

SEARCHED_COLUMNS = ("name", "mobile", "other_phone", "email", "address", "postal_code")
FTS_TABLE = "customer_search"
TRGM_INDEX = "ix_customer_search_trgm"
NAME_PREFIX_INDEX = "ix_customer_name_prefix"


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
    return bool(name) and (name.startswith(FTS_TABLE) or name in (TRGM_INDEX, NAME_PREFIX_INDEX))


def include_in_schema_comparison(name, type_, parent_names) -> bool:
    """Alembic's `include_name` hook: the models do not describe the search index, so
    comparing models and database (autogenerate, the migration tests) leaves it out."""
    return not is_search_index(name)
