"""The business clock. Lifelong stores wall-clock times in the maker's time zone
(Asia/Shanghai by default), naive, because every user, deadline and business hour
is in that one zone; this is the only place that knows it."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"


def business_zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_ZONE) if has_app_context() else DEFAULT_ZONE
    return ZoneInfo(name)


def now() -> datetime:
    """The current business-zone time, naive, to the second."""
    return datetime.now(business_zone()).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
