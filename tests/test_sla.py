"""Service-level deadlines in business time: nights, weekends and China's public holidays."""
from datetime import date, datetime

import pytest

from crm.services import sla
from crm.services.sla import BusinessCalendar

CAL = BusinessCalendar()


@pytest.mark.parametrize("start,hours,due", [
    (datetime(2026, 11, 25, 10, 0), 4, datetime(2026, 11, 25, 14, 0)),   # within one working day
    (datetime(2026, 11, 25, 16, 0), 4, datetime(2026, 11, 26, 11, 0)),   # across a night
    (datetime(2026, 11, 25, 22, 0), 4, datetime(2026, 11, 26, 13, 0)),   # received at night
    (datetime(2026, 11, 27, 16, 0), 4, datetime(2026, 11, 30, 11, 0)),   # Friday into Monday
    (datetime(2026, 11, 28, 10, 0), 4, datetime(2026, 11, 30, 13, 0)),   # received on Saturday
    (datetime(2026, 9, 30, 17, 0), 4, datetime(2026, 10, 8, 12, 0)),     # across National Day
    (datetime(2026, 11, 25, 9, 0), 24, datetime(2026, 11, 27, 15, 0)),   # 24 business hours
])
def test_business_hours_skip_nights_weekends_and_holidays(start, hours, due):
    assert CAL.add_hours(start, hours) == due


def test_a_make_up_working_day_counts():
    assert CAL.is_workday(date(2026, 10, 10))  # a Saturday worked after National Day (调休)


def test_business_days_keep_the_time_of_day():
    assert CAL.add_days(datetime(2026, 11, 25, 10, 30), 3) == datetime(2026, 11, 30, 10, 30)


def test_configured_holidays_and_workdays_win():
    calendar = BusinessCalendar(extra_holidays=frozenset({date(2026, 11, 26)}),
                                extra_workdays=frozenset({date(2026, 11, 28)}))
    assert calendar.add_hours(datetime(2026, 11, 25, 17, 0), 2) == datetime(2026, 11, 27, 10, 0)
    assert calendar.is_workday(date(2026, 11, 28))


def test_years_without_a_published_schedule_fall_back_to_weekdays():
    assert CAL.is_workday(date(2027, 3, 3)) and not CAL.is_workday(date(2027, 3, 6))


def test_default_targets_per_severity(app):
    critical = sla.deadlines(datetime(2026, 11, 25, 10, 0), "critical")
    normal = sla.deadlines(datetime(2026, 11, 25, 10, 0), "normal")
    assert critical.first_response == datetime(2026, 11, 25, 14, 0)
    assert critical.resolution == datetime(2026, 11, 30, 10, 0)
    assert normal.first_response == datetime(2026, 11, 27, 16, 0)
    assert normal.resolution == datetime(2026, 12, 4, 10, 0)


def test_targets_and_hours_are_configurable(app, monkeypatch):
    monkeypatch.setitem(app.config, "SLA_TARGETS", {"critical": (2, 1)})
    monkeypatch.setitem(app.config, "SLA_DAY_START", "08:00")
    due = sla.deadlines(datetime(2026, 11, 25, 7, 0), "critical")
    assert due.first_response == datetime(2026, 11, 25, 10, 0)


def test_targets_are_read_from_the_environment():
    from crm.config import parse_sla_targets

    assert parse_sla_targets("critical=2h/2d, high=8h/5d") == {"critical": (2.0, 2), "high": (8.0, 5)}
    assert parse_sla_targets("") == {}


def test_a_misspelt_target_stops_the_start_up_naming_it():
    from crm.config import parse_sla_targets

    with pytest.raises(ValueError, match="critical=4/3"):
        parse_sla_targets("critical=4/3")
