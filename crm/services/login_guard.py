"""Slowing down password guessing: after MAX_FAILURES failed sign-ins for one username or
from one address within WINDOW, further tries are refused until the window has passed."""
from datetime import timedelta

from crm.services import throttle

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
BY_USERNAME, BY_ADDRESS = "login_user", "login_address"


def _username(username: str) -> str:
    return (username or "").strip().lower()


def minutes_locked(username: str, address: str) -> int:
    """How many minutes until this username and address may try again; 0 if they may now."""
    return max(throttle.minutes_until_allowed(BY_USERNAME, _username(username), MAX_FAILURES, WINDOW),
               throttle.minutes_until_allowed(BY_ADDRESS, address or "", MAX_FAILURES, WINDOW))


def record_failure(username: str, address: str) -> None:
    throttle.record((BY_USERNAME, _username(username)), (BY_ADDRESS, address or ""))


def clear_failures(username: str) -> None:
    throttle.forget(BY_USERNAME, _username(username))
