"""Keeping robots out of the public forms without captchas from services that mainland
China cannot reach: a honeypot field, a minimum time to fill the form, and limits per
address and per phone number (in the database, so that all server processes share them).
A blocked submission is answered like a real one and stores nothing."""
import time
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, TimestampSigner

from crm.services import throttle

MIN_FILL_SECONDS = 3
MAX_FORM_AGE = timedelta(days=2)
WINDOW = timedelta(hours=1)
PER_ADDRESS, PER_PHONE = 20, 5
BY_ADDRESS, BY_PHONE = "submit_address", "submit_phone"


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="public-form-started")


def start_token(at: float | None = None) -> str:
    """A signed note of when the form was shown."""
    return _signer().sign(str(int(at if at is not None else time.time()))).decode()


def seconds_since_start(token: str | None) -> float | None:
    try:
        shown = int(_signer().unsign(token or "", max_age=MAX_FORM_AGE.total_seconds()).decode())
    except (BadData, ValueError):
        return None
    return time.time() - shown


def looks_automated(honeypot: str | None, started: str | None, address: str, mobile: str | None) -> bool:
    if honeypot:
        return True
    elapsed = seconds_since_start(started)
    if elapsed is None or elapsed < MIN_FILL_SECONDS:
        return True
    if throttle.minutes_until_allowed(BY_ADDRESS, address, PER_ADDRESS, WINDOW):
        return True
    return bool(mobile and throttle.minutes_until_allowed(BY_PHONE, mobile, PER_PHONE, WINDOW))


def count_submission(address: str, mobile: str | None) -> None:
    events = [(BY_ADDRESS, address)] + ([(BY_PHONE, mobile)] if mobile else [])
    throttle.record(*events)
