"""Engine settings that make SQLite safe for several server processes writing at once.

WAL lets readers and one writer work together; busy_timeout makes a writer wait for the
lock instead of failing. A transaction that reads before it writes must take the write
lock at BEGIN (BEGIN IMMEDIATE): SQLite cannot upgrade a read snapshot that another writer
has moved past, and fails at once with "database is locked" whatever the busy_timeout.
Write transactions are those of unsafe HTTP methods and of `write_transaction()`.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from crm.extensions import db

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction():
    """Mark the next transaction as a writer (BEGIN IMMEDIATE on SQLite)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def reading_first():
    """A stretch of an unsafe request that only reads (checking a form) and, on SQLite, ends
    its transaction, so that the write that follows holds SQLite's lock only while it
    writes: public forms arriving at once then queue for milliseconds, not for whole
    requests. PostgreSQL has no such lock: the read and the write share one transaction
    (a BEGIN and a COMMIT fewer, each a round trip to the server)."""
    token = _reading_only.set(True)
    try:
        yield
        if db.session().in_transaction() and is_sqlite(db.engine):
            db.session.commit()  # nothing to write: just ends the read transaction
    finally:
        _reading_only.reset(token)


def _wants_write_lock() -> bool:
    if _write_intent.get():
        return True
    if _reading_only.get():
        return False
    return has_request_context() and request.method not in SAFE_METHODS


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from pysqlite so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not _is_memory_database(dbapi_connection):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def _is_memory_database(dbapi_connection) -> bool:
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    return all(not row[2] for row in rows)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if is_sqlite(engine):
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
