"""Slowing down password guessing: after MAX_FAILURES failed sign-ins for one username or
from one address within WINDOW, further tries are refused until the window has passed.
The counts live in the database, so every server process sees the same ones."""
import math
from datetime import timedelta

from sqlalchemy import delete, select

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import LoginAttempt

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:60]


def minutes_locked(username: str, address: str) -> int:
    """How many minutes until this username and address may try again; 0 if they may now."""
    since = now() - WINDOW
    for condition in (LoginAttempt.username == _key(username), LoginAttempt.address == (address or "")):
        times = db.session.scalars(
            select(LoginAttempt.at).where(condition, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc()).limit(MAX_FAILURES)
        ).all()
        if len(times) >= MAX_FAILURES:
            unlock_at = times[-1] + WINDOW
            return max(1, math.ceil((unlock_at - now()).total_seconds() / 60))
    return 0


def record_failure(username: str, address: str) -> None:
    with write_transaction():
        db.session.add(LoginAttempt(at=now(), username=_key(username), address=(address or "")[:45]))
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now() - 4 * WINDOW))
        db.session.commit()


def clear_failures(username: str) -> None:
    with write_transaction():
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == _key(username)))
        db.session.commit()

