"""Keeping a costly page for a few minutes, for every server process at once: the first
reader after it has aged computes it again, the others read the stored copy."""
from datetime import timedelta
from typing import Callable

from sqlalchemy.exc import IntegrityError

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import Snapshot


def cached(key: str, max_age: timedelta, compute: Callable[[], str], refresh: bool = False):
    """(body, computed_at) of the stored snapshot if younger than max_age, else computed now
    and stored. A max_age of zero computes every time and stores nothing."""
    if not max_age:
        return compute(), now()
    stored = None if refresh else db.session.get(Snapshot, key)
    if stored is not None and now() - stored.computed_at < max_age:
        return stored.body, stored.computed_at
    body, moment = compute(), now()
    _store(key, body, moment)
    return body, moment


def _store(key: str, body: str, moment) -> None:
    db.session.commit()  # end the read transaction, so that the write lock is taken from the start
    with write_transaction():
        try:
            db.session.merge(Snapshot(key=key, body=body, computed_at=moment))
            db.session.commit()
        except IntegrityError:  # another process stored the same snapshot a moment ago: as good
            db.session.rollback()

