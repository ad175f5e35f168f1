"""Service levels: when a complaint must first be answered and when resolved, counted in
business time (working hours on working days, with China's public holidays and make-up
working days from `chinese-calendar`, plus any the maker configures)."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar
from flask import current_app

DEFAULT_TARGETS = {
    # severity: (first response in business hours, resolution in business days)
    "critical": (4, 3),
    "high": (24, 7),
    "normal": (24, 7),
    "low": (24, 7),
}


@dataclass(frozen=True)
class BusinessCalendar:
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the package has no schedule for yet: weekdays
            return day.weekday() < 5

    def next_opening(self, moment: datetime) -> datetime:
        """The moment itself if it is within business hours, else the next opening time."""
        day = moment.date()
        if self.is_workday(day) and moment.time() < self.day_end:
            return max(moment, datetime.combine(day, self.day_start))
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return datetime.combine(day, self.day_start)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        moment, left = self.next_opening(start), timedelta(hours=hours)
        while True:
            closing = datetime.combine(moment.date(), self.day_end)
            if moment + left <= closing:
                return moment + left
            left -= closing - moment
            moment = self.next_opening(closing)

    def add_days(self, start: datetime, days: int) -> datetime:
        """The same business time of day, `days` working days later."""
        moment = self.next_opening(start)
        day = moment.date()
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_workday(day):
                day += timedelta(days=1)
        return datetime.combine(day, moment.time())


def calendar_from_config() -> BusinessCalendar:
    config = current_app.config
    return BusinessCalendar(
        day_start=time.fromisoformat(config.get("SLA_DAY_START", "09:00")),
        day_end=time.fromisoformat(config.get("SLA_DAY_END", "18:00")),
        extra_holidays=frozenset(_dates(config.get("SLA_EXTRA_HOLIDAYS", ""))),
        extra_workdays=frozenset(_dates(config.get("SLA_EXTRA_WORKDAYS", ""))),
    )


def _dates(text: str) -> list[date]:
    return [date.fromisoformat(part.strip()) for part in (text or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Deadlines:
    first_response: datetime
    resolution: datetime


def deadlines(received_at: datetime, severity: str, calendar: BusinessCalendar | None = None) -> Deadlines:
    calendar = calendar or calendar_from_config()
    targets = {**DEFAULT_TARGETS, **current_app.config.get("SLA_TARGETS", {})}
    response_hours, resolution_days = targets.get(severity, targets["normal"])
    return Deadlines(calendar.add_hours(received_at, response_hours), calendar.add_days(received_at, resolution_days))
