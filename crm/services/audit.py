"""The audit trail. Every flush that creates, changes or deletes a domain record writes an
entry in the same transaction, whoever caused it: a back-office user, the public portal
or a command. Entries are only ever inserted."""
import getpass
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, request
from flask_sqlalchemy.session import Session
from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import attributes

from crm.clock import now
from crm.models import AuditEntry, Snapshot, ThrottleEvent
from crm.models.choices import AuditAction

# Kept out of the trail: they change on every sign-in or save and say nothing about the record.
IGNORED_FIELDS = frozenset({"updated_at", "created_at", "last_login_at", "session_token"})
SECRET_FIELDS = frozenset({"password_hash"})
NOT_AUDITED = (AuditEntry, Snapshot, ThrottleEvent)  # bookkeeping, not business records
SECRET_MARK = "***"

_command: ContextVar[str | None] = ContextVar("audit_command", default=None)


@contextmanager
def acting_as_command(name: str):
    """Attribute changes made inside the block to a command (the command line, or the system
    acting on its own during a request, such as escalation on read), not to a person."""
    token = _command.set(name)
    try:
        yield
    finally:
        _command.reset(token)


def remember_actor(user) -> None:
    """Called when a request's user is known; flush events must not load it from the database."""
    if has_request_context():
        g.audit_actor = (user.id, user.username)


def _actor() -> tuple[int | None, str, str | None]:
    command = _command.get()
    if has_request_context() and not command:
        actor_id, name = getattr(g, "audit_actor", (None, "public"))
        return actor_id, name, request.remote_addr
    return None, f"command: {command or 'unknown'} ({getpass.getuser()})", None


def plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(record):
    return [prop for prop in inspect(record).mapper.column_attrs if prop.key not in IGNORED_FIELDS]


def _shown(key: str, value):
    return SECRET_MARK if key in SECRET_FIELDS and value is not None else plain(value)


def _created(record) -> dict:
    return created_changes({prop.key: getattr(record, prop.key) for prop in _columns(record)})


def created_changes(values: dict) -> dict:
    """What an entry says of a new record with these column values (also for rows written
    without the ORM, crm.services.public_feedback)."""
    return {key: [None, _shown(key, value)] for key, value in values.items()
            if value is not None and key not in IGNORED_FIELDS}


def changed(before, after, key: str) -> list:
    return [_shown(key, before), _shown(key, after)]


def _deleted(record) -> dict:
    state = inspect(record)
    return {prop.key: [_shown(prop.key, state.dict.get(prop.key)), None] for prop in _columns(record)
            if state.dict.get(prop.key) is not None}


def _updated(record) -> dict:
    changes = {}
    for prop in _columns(record):
        history = attributes.get_history(record, prop.key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if not history.added and not history.deleted:
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before != after:
            changes[prop.key] = [_shown(prop.key, before), _shown(prop.key, after)]
    if changes:
        changes.update(_version_step(record))
    return changes


def _version_step(record) -> dict:
    """The version the save made (the mapper raises it without attribute history): edit
    conflicts find what was saved after the version a form showed by it
    (crm.services.versions)."""
    version_column = inspect(record).mapper.version_id_col
    if version_column is None:
        return {}
    saved = inspect(record).dict.get(version_column.key)
    return {version_column.key: [saved - 1, saved]} if saved else {}


def _record_id(record) -> int | None:
    """The primary key, read from what is in memory: nothing may be loaded mid-flush."""
    state = inspect(record)
    if state.identity:
        return state.identity[0]
    key = state.mapper.primary_key[0].key
    return state.dict.get(key)


def _label(record) -> str:
    try:
        return str(record)[:120]
    except Exception:  # a label must never stop a save; lazy loads may be unavailable mid-flush
        return ""


def _entries(session) -> list[dict]:
    actor = _actor()
    rows = []
    for action, records, describe in ((AuditAction.CREATE, session.new, _created),
                                      (AuditAction.UPDATE, session.dirty, _updated),
                                      (AuditAction.DELETE, session.deleted, _deleted)):
        for record in records:
            if isinstance(record, NOT_AUDITED) or not hasattr(record, "__table__"):
                continue
            changes = describe(record)
            if action is AuditAction.UPDATE and not changes:
                continue
            rows.append(entry(action, record.__table__.name, _record_id(record), _label(record), changes, actor))
    return rows


def entry(action: AuditAction, record_type: str, record_id: int | None, label: str, changes: dict,
          actor: tuple | None = None) -> dict:
    """One entry, by whoever is acting now (or `actor`, from _actor()); also for rows written
    without the ORM's flush (crm.services.public_feedback)."""
    actor_id, name, address = actor or _actor()
    return {"at": now(), "actor_id": actor_id, "actor": name[:80], "address": address, "action": action.value,
            "record_type": record_type, "record_id": record_id, "record_label": label[:120], "changes": changes}


def write(connection, entries: list[dict]) -> None:
    if entries:
        connection.execute(insert(AuditEntry.__table__), entries)


def _write_entries(session, _flush_context) -> None:
    rows = _entries(session)
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def record_bulk(record_type: str, count: int, note: str, action: AuditAction = AuditAction.CREATE) -> dict:
    """The entry for rows written or deleted in bulk (demo seeding), which bypasses the
    per-record events: how many rows of which table, by whom."""
    actor_id, actor, address = _actor()
    counts = [None, count] if action is AuditAction.CREATE else [count, None]
    return {"at": now(), "actor_id": actor_id, "actor": actor[:80], "address": address,
            "action": action.value, "record_type": record_type, "record_id": None,
            "record_label": note[:120], "changes": {"count": counts}}


def install() -> None:
    """Listen to every Flask-SQLAlchemy session's flushes (once per process)."""
    if not event.contains(Session, "after_flush", _write_entries):
        event.listen(Session, "after_flush", _write_entries)
