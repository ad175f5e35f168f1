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
    if shows_robot_signs(honeypot, started):
        return True
    per_address, per_phone = _limits()
    if per_address and throttle.minutes_until_allowed(BY_ADDRESS, address, per_address, WINDOW):
        return True
    return bool(per_phone and mobile and throttle.minutes_until_allowed(BY_PHONE, mobile, per_phone, WINDOW))


def shows_robot_signs(honeypot: str | None, started: str | None) -> bool:
    """The honeypot filled in, or the form sent before a person could have filled it."""
    if honeypot:
        return True
    elapsed = seconds_since_start(started)
    return elapsed is None or elapsed < MIN_FILL_SECONDS


def limits_that_count(with_mobile: bool) -> tuple[str, ...]:
    """Which of the limits apply to a form: "by_address", "by_phone" (when it has a number)."""
    per_address, per_phone = _limits()
    return ("by_address",) * bool(per_address) + ("by_phone",) * bool(per_phone and with_mobile)


def recent_submissions(address, mobile, since) -> dict:
    """SQL, per limit that is on (limits_that_count): how many submissions came from the
    address and for the phone number after `since`, counted up to the limit; for checking
    them in one statement with everything else a form needs."""
    per_address, per_phone = _limits()
    return {"by_address": throttle.recent(BY_ADDRESS, address, since, per_address or 1),
            "by_phone": throttle.recent(BY_PHONE, mobile, since, per_phone or 1)}


def over_limits(by_address: int | None, by_phone: int | None) -> bool:
    per_address, per_phone = _limits()
    return bool(per_address and (by_address or 0) >= per_address) or bool(per_phone and (by_phone or 0) >= per_phone)


def submission_events(address: str, mobile: str | None) -> list[tuple[str, str]]:
    """What a stored submission counts against its limits (stored with it, in its transaction)."""
    per_address, per_phone = _limits()
    return [(BY_ADDRESS, address)] * bool(per_address) + [(BY_PHONE, mobile)] * bool(per_phone and mobile)


def _limits() -> tuple[int, int]:
    """Submissions an hour per address and per phone number; 0 means no limit."""
    return current_app.config["PUBLIC_SUBMITS_PER_ADDRESS"], current_app.config["PUBLIC_SUBMITS_PER_PHONE"]
