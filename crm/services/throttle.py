"""Counting events per key over a time window, in the database so that every server
process sees the same counts (in-memory counters would be per process)."""
import math
import random
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import ThrottleEvent

KEEP_FOR = timedelta(days=1)
FORGET_EVERY = 100


def recent(kind: str, key, since, limit: int):
    """SQL: how many (kind, key) events happened after `since`, counted up to `limit` (the
    question is only whether the limit is reached); `key` and `since` may be bound parameters."""
    events = select(ThrottleEvent.id).where(ThrottleEvent.kind == kind, ThrottleEvent.key == key,
                                            ThrottleEvent.at > since).limit(limit)
    return select(func.count()).select_from(events.subquery()).scalar_subquery()


def minutes_until_allowed(kind: str, key: str, limit: int, window: timedelta) -> int:
    """0 when fewer than `limit` events of this kind and key fall in the window; else how
    many minutes until the oldest of them leaves it."""
    times = db.session.scalars(
        select(ThrottleEvent.at)
        .where(ThrottleEvent.kind == kind, ThrottleEvent.key == _clip(key), ThrottleEvent.at > now() - window)
        .order_by(ThrottleEvent.at.desc()).limit(limit)
    ).all()
    if len(times) < limit:
        return 0
    return _minutes_between(now(), times[-1] + window)


def record(*events: tuple[str, str]) -> None:
    """Count each (kind, key) event once, in a transaction of its own."""
    with write_transaction():
        add(*events)
        db.session.commit()


def add(*events: tuple[str, str]) -> None:
    """Count each (kind, key) event in the current transaction."""
    if events:
        at = now()
        db.session.connection().execute(insert(ThrottleEvent.__table__),
                                        [{"kind": kind, "key": _clip(key), "at": at} for kind, key in events])
        _now_and_then_forget_old_events(at)


def _now_and_then_forget_old_events(at: datetime) -> None:
    """Events older than a day count for nothing. Deleting them on every event cost a public
    submission a statement of its few; once in FORGET_EVERY events keeps the table to about
    a day of events as well."""
    if random.randrange(FORGET_EVERY) == 0:
        db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < at - KEEP_FOR))


def forget(kind: str, key: str) -> None:
    with write_transaction():
        db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.kind == kind,
                                                       ThrottleEvent.key == _clip(key)))
        db.session.commit()


def _clip(key: str) -> str:
    return (key or "")[:80]


def _minutes_between(start: datetime, end: datetime) -> int:
    return max(1, math.ceil((end - start).total_seconds() / 60))
