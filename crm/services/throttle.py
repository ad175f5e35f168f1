"""Counting events per key over a time window, in the database so that every server
process sees the same counts (in-memory counters would be per process)."""
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import ThrottleEvent

KEEP_FOR = timedelta(days=1)


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
    """Count each (kind, key) event in the current transaction, and forget events older than a day."""
    at = now()
    db.session.add_all(ThrottleEvent(kind=kind, key=_clip(key), at=at) for kind, key in events)
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
