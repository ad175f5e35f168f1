"""The service calendar (客户关怀): whom to call for maintenance, whose birthday is coming,
whom to greet for a holiday. Dealers get their own customers (crm.access.scope)."""
from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from lunar_python import Lunar
from sqlalchemy import Integer, cast, extract, func, or_, select

from crm import access
from crm.clock import today
from crm.extensions import db
from crm.models import Customer, Dealer, Order, Product, Visit
from crm.models.choices import CustomerStatus, VisitPurpose

# A maintenance date stays on the list this long after it passed without a visit...
OVERDUE_LOOKBACK = timedelta(days=90)
# ...and a maintenance visit this long before the date counts for it.
EARLY_VISIT = timedelta(days=30)
WINDOWS = (7, 30)
# Holidays on the lunar calendar: (month, day).
LUNAR_HOLIDAYS = {
    "spring_festival": (_l("Spring Festival"), (1, 1)),
    "dragon_boat": (_l("Dragon Boat Festival"), (5, 5)),
    "mid_autumn": (_l("Mid-Autumn Festival"), (8, 15)),
}


@dataclass(frozen=True)
class CareRow:
    """One customer to contact, and why."""

    customer_id: int
    name: str
    mobile: str | None
    dealer: str | None
    consent: bool
    due_on: date
    reason: str

    @property
    def overdue(self) -> bool:
        return self.due_on < today()


@dataclass(frozen=True)
class Holiday:
    key: str
    name: str
    on: date


# Maintenance -------------------------------------------------------------------------------
def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (Jan 31 -> Feb 28)."""
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def maintenance_dates(base: date, interval_months: int, start: date, end: date) -> Iterator[date]:
    """Every interval after delivery or installation, within [start, end]."""
    if interval_months <= 0:
        return
    elapsed = (start.year - base.year) * 12 + start.month - base.month
    k = max(1, elapsed // interval_months)
    while (due := add_months(base, k * interval_months)) <= end:
        if due >= start:
            yield due
        k += 1


def maintenance_due(user, days: int, dealer_id: int | None = None) -> Iterator[CareRow]:
    """Products due for maintenance in the next `days` days, and those already due with no
    maintenance visit since, oldest first."""
    start, end = today() - OVERDUE_LOOKBACK, today() + timedelta(days=days)
    last_care = (select(Visit.customer_id, func.max(Visit.happened_at).label("at"))
                 .where(Visit.purpose == VisitPurpose.MAINTENANCE.value).group_by(Visit.customer_id).subquery())
    base = func.coalesce(Order.installed_on, Order.delivered_on)
    query = (select(Customer.id, Customer.name, Customer.mobile, Dealer.name, Customer.consent_to_contact,
                    base, Product.maintenance_interval_months, Product.model_number, Product.name, last_care.c.at)
             .join(Order.customer).join(Order.product).outerjoin(Dealer, Order.dealer_id == Dealer.id)
             .outerjoin(last_care, last_care.c.customer_id == Order.customer_id)
             .where(Product.maintenance_interval_months > 0, base.is_not(None), base <= end))
    query = access.scope(_for_dealer(query, Order, dealer_id), Order, user)
    rows = []
    for customer_id, name, mobile, dealer, consent, delivered, interval, model, product, cared_at in \
            db.session.execute(query).yield_per(1000):
        for due in maintenance_dates(delivered, interval, start, end):
            if cared_at is None or cared_at.date() < due - EARLY_VISIT:
                rows.append(CareRow(customer_id, name, mobile, dealer, bool(consent), due, f"{model} {product}"))
    return iter(sorted(rows, key=lambda row: (row.due_on, row.name)))


# Birthdays ---------------------------------------------------------------------------------
def _month_day(column):
    return cast(extract("month", column), Integer) * 100 + cast(extract("day", column), Integer)


def birthdays(user, days: int, dealer_id: int | None = None) -> Iterator[CareRow]:
    """Customers whose birthday falls in the next `days` days (today included), soonest first."""
    first, last = today(), today() + timedelta(days=days - 1)
    start, end = first.month * 100 + first.day, last.month * 100 + last.day
    month_day = _month_day(Customer.birthday)
    in_window = month_day.between(start, end) if start <= end else or_(month_day >= start, month_day <= end)
    # Days from today's month-day, wrapping at the new year, so that December comes before January.
    soonest = (month_day - start + 1300) % 1300
    query = (select(Customer.id, Customer.name, Customer.mobile, Dealer.name, Customer.consent_to_contact,
                    Customer.birthday)
             .outerjoin(Customer.dealer).where(Customer.birthday.is_not(None), in_window)
             .order_by(soonest, Customer.name, Customer.id))
    query = access.scope(_for_dealer(query, Customer, dealer_id), Customer, user)
    for customer_id, name, mobile, dealer, consent, born in db.session.execute(query).yield_per(1000):
        yield CareRow(customer_id, name, mobile, dealer, bool(consent), next_birthday(born, first),
                      _l("Birthday"))


def next_birthday(born: date, on_or_after: date) -> date:
    for year in (on_or_after.year, on_or_after.year + 1):
        day = min(born.day, calendar.monthrange(year, born.month)[1])  # 29 February in other years: the 28th
        if (candidate := date(year, born.month, day)) >= on_or_after:
            return candidate
    raise AssertionError("unreachable: a birthday comes within a year")


# Holidays ----------------------------------------------------------------------------------
def holidays(on_or_after: date | None = None) -> list[Holiday]:
    """The next occurrence of each greeting holiday: the lunar ones, plus those configured in
    GREETING_HOLIDAYS ("Name:MM-DD,..."), soonest first."""
    start = on_or_after or today()
    found = []
    for key, (name, (month, day)) in LUNAR_HOLIDAYS.items():
        found.append(Holiday(key, str(name), _next(start, lambda year: _solar(year, month, day))))
    for index, (name, month, day) in enumerate(configured_holidays()):
        found.append(Holiday(f"custom{index}", name, _next(start, lambda year: _valid_date(year, month, day))))
    return sorted(found, key=lambda holiday: holiday.on)


def _solar(lunar_year: int, month: int, day: int) -> date:
    solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _valid_date(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next(start: date, in_year) -> date:
    return next(day for day in (in_year(start.year), in_year(start.year + 1)) if day >= start)


def configured_holidays() -> list[tuple[str, int, int]]:
    """GREETING_HOLIDAYS, e.g. "国庆节:10-01,元旦:01-01"; an entry that does not parse is
    skipped with a warning in the log rather than breaking the calendar page."""
    holidays_found = []
    for entry in current_app.config.get("GREETING_HOLIDAYS", "").split(","):
        name, _, month_day = entry.strip().rpartition(":")
        try:
            month, day = (int(part) for part in month_day.split("-"))
            date(2000, month, day)
        except ValueError:
            if entry.strip():
                current_app.logger.warning("GREETING_HOLIDAYS: cannot read %r (expected Name:MM-DD)", entry)
            continue
        if name.strip():
            holidays_found.append((name.strip(), month, day))
    return holidays_found


def holiday_greetings(user, holiday: Holiday, dealer_id: int | None = None) -> Iterator[CareRow]:
    """Every customer who has bought from us, to greet for `holiday`, by name."""
    query = (select(Customer.id, Customer.name, Customer.mobile, Dealer.name, Customer.consent_to_contact)
             .outerjoin(Customer.dealer).where(Customer.status == CustomerStatus.ACTUAL.value)
             .order_by(Customer.name, Customer.id))
    query = access.scope(_for_dealer(query, Customer, dealer_id), Customer, user)
    for customer_id, name, mobile, dealer, consent in db.session.execute(query).yield_per(1000):
        yield CareRow(customer_id, name, mobile, dealer, bool(consent), holiday.on, holiday.name)


def _for_dealer(query, model, dealer_id: int | None):
    return query if dealer_id is None else query.where(model.dealer_id == dealer_id)


def for_campaign(rows) -> Iterator[CareRow]:
    """Only customers who agreed to be contacted go into an SMS campaign (PIPL)."""
    return (row for row in rows if row.consent and row.mobile)
