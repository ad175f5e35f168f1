"""The service calendar: maintenance due, birthdays, holiday greetings, one-click visits and
the SMS campaign export that leaves out customers without consent."""
from datetime import date, datetime

import pytest

from crm.extensions import db
from crm.models import Customer, Order, Visit
from crm.services import care
from tests.conftest import make_user

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(care, "today", lambda: TODAY)


def add_customer(name, mobile, dealer, birthday=None, consent=True, status="actual"):
    person = Customer(name=name, mobile=mobile, dealer=dealer, birthday=birthday, consent_to_contact=consent,
                      status=status)
    db.session.add(person)
    db.session.commit()
    return person


def add_order(number, customer, product, delivered_on=None, installed_on=None):
    order = Order(order_number=number, customer=customer, dealer=customer.dealer, product=product,
                  ordered_on=delivered_on or installed_on, delivered_on=delivered_on, installed_on=installed_on)
    db.session.add(order)
    db.session.commit()
    return order


def names(rows) -> list[str]:
    return [row.name for row in rows]


# Maintenance dates -------------------------------------------------------------------------
def test_maintenance_repeats_every_interval():
    dates = list(care.maintenance_dates(date(2025, 3, 10), 6, date(2025, 1, 1), date(2026, 12, 31)))
    assert dates == [date(2025, 9, 10), date(2026, 3, 10), date(2026, 9, 10)]


def test_maintenance_in_a_shorter_month_falls_on_its_last_day():
    assert list(care.maintenance_dates(date(2025, 8, 31), 6, date(2026, 1, 1), date(2026, 3, 31))) == \
        [date(2026, 2, 28)]


def test_the_delivery_day_itself_is_not_a_maintenance_date():
    assert list(care.maintenance_dates(date(2026, 11, 25), 6, date(2026, 11, 1), date(2026, 12, 31))) == []


def test_maintenance_due_lists_this_weeks_and_overdue_products(app, dealer, product):
    due_soon = add_customer("王芳", "+8613800000001", dealer)
    add_order("O-1", due_soon, product, delivered_on=date(2026, 5, 28))  # due 2026-11-28
    overdue = add_customer("李娜", "+8613800000002", dealer)
    add_order("O-2", overdue, product, installed_on=date(2026, 4, 20), delivered_on=date(2026, 4, 1))  # 10-20
    later = add_customer("陈静", "+8613800000003", dealer)
    add_order("O-3", later, product, delivered_on=date(2026, 6, 20))  # due 2026-12-20
    rows = list(care.maintenance_due(make_user("clerk", "clerk"), 7))
    assert [(row.name, row.due_on, row.overdue) for row in rows] == [
        ("李娜", date(2026, 10, 20), True), ("王芳", date(2026, 11, 28), False)]
    assert names(care.maintenance_due(make_user("clerk2", "clerk"), 30)) == ["李娜", "王芳", "陈静"]


def test_a_maintenance_visit_takes_the_product_off_the_list(app, dealer, product):
    person = add_customer("王芳", "+8613800000001", dealer)
    add_order("O-1", person, product, delivered_on=date(2026, 4, 20))
    db.session.add(Visit(customer=person, channel="home_visit", purpose="maintenance",
                         happened_at=datetime(2026, 10, 22, 10, 0)))
    db.session.commit()
    assert list(care.maintenance_due(make_user("clerk", "clerk"), 30)) == []


def test_products_without_a_maintenance_interval_never_fall_due(app, dealer, product):
    product.maintenance_interval_months = None
    add_order("O-1", add_customer("王芳", "+8613800000001", dealer), product, delivered_on=date(2026, 5, 28))
    assert list(care.maintenance_due(make_user("clerk", "clerk"), 30)) == []


# Birthdays ---------------------------------------------------------------------------------
def test_birthdays_in_the_next_seven_days_soonest_first(app, dealer):
    add_customer("八天后", "+8613800000001", dealer, birthday=date(1980, 12, 3))
    add_customer("后天", "+8613800000002", dealer, birthday=date(1990, 11, 27))
    add_customer("今天", "+8613800000003", dealer, birthday=date(1985, 11, 25))
    add_customer("昨天", "+8613800000004", dealer, birthday=date(1985, 11, 24))
    rows = list(care.birthdays(make_user("clerk", "clerk"), 7))
    assert [(row.name, row.due_on) for row in rows] == [("今天", date(2026, 11, 25)), ("后天", date(2026, 11, 27))]


def test_birthdays_wrap_around_the_new_year(app, dealer, monkeypatch):
    monkeypatch.setattr(care, "today", lambda: date(2026, 12, 28))
    add_customer("一月二日", "+8613800000001", dealer, birthday=date(1980, 1, 2))
    add_customer("十二月三十日", "+8613800000002", dealer, birthday=date(1980, 12, 30))
    add_customer("一月五日", "+8613800000003", dealer, birthday=date(1980, 1, 5))
    rows = list(care.birthdays(make_user("clerk", "clerk"), 7))
    assert [(row.name, row.due_on) for row in rows] == [("十二月三十日", date(2026, 12, 30)),
                                                        ("一月二日", date(2027, 1, 2))]


def test_a_leap_day_birthday_is_greeted_on_the_28th():
    assert care.next_birthday(date(1992, 2, 29), date(2027, 2, 1)) == date(2027, 2, 28)


# Holidays ----------------------------------------------------------------------------------
def test_lunar_holidays_fall_on_their_solar_dates(app):
    found = {holiday.key: holiday.on for holiday in care.holidays(TODAY)}
    assert found["spring_festival"] == date(2027, 2, 6)
    assert found["mid_autumn"] == date(2027, 9, 15)
    assert found["dragon_boat"] == date(2027, 6, 9)


def test_configured_holidays_join_the_list(app, monkeypatch):
    monkeypatch.setitem(app.config, "GREETING_HOLIDAYS", "国庆节:10-01, 元旦:01-01, broken, 坏:13-40")
    found = {holiday.name: holiday.on for holiday in care.holidays(TODAY)}
    assert found["国庆节"] == date(2027, 10, 1) and found["元旦"] == date(2027, 1, 1)
    assert "broken" not in found and "坏" not in found


def test_the_greeting_list_holds_customers_who_bought(app, dealer):
    add_customer("买过", "+8613800000001", dealer)
    add_customer("潜在", "+8613800000002", dealer, status="potential")
    holiday = care.holidays(TODAY)[0]
    rows = list(care.holiday_greetings(make_user("clerk", "clerk"), holiday))
    assert [(row.name, row.due_on) for row in rows] == [("买过", holiday.on)]


# The page and the export -------------------------------------------------------------------
def test_a_dealer_sees_only_their_own_customers(dealer_client, dealer, other_dealer):
    add_customer("本店客户", "+8613800000001", dealer, birthday=date(1980, 11, 26))
    add_customer("别家客户", "+8613800000002", other_dealer, birthday=date(1980, 11, 26))
    page = dealer_client.get("/admin/care/?list=birthdays&days=7").get_data(as_text=True)
    assert "本店客户" in page and "别家客户" not in page
    assert 'name="dealer"' not in page  # a dealer does not pick a dealership


def test_a_clerk_narrows_the_list_to_one_dealer(clerk_client, dealer, other_dealer):
    add_customer("本店客户", "+8613800000001", dealer, birthday=date(1980, 11, 26))
    add_customer("别家客户", "+8613800000002", other_dealer, birthday=date(1980, 11, 26))
    page = clerk_client.get(f"/admin/care/?list=birthdays&days=7&dealer={other_dealer.code}").get_data(as_text=True)
    assert "别家客户" in page and "本店客户" not in page


def test_an_unknown_dealer_code_is_explained(clerk_client):
    page = clerk_client.get("/admin/care/?dealer=NOPE-1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No dealer has the code NOPE-1" in page and 'value="NOPE-1"' in page


def test_each_row_records_a_visit_in_one_click(clerk_client, dealer):
    person = add_customer("王芳", "+8613800000001", dealer, birthday=date(1980, 11, 26))
    page = clerk_client.get("/admin/care/?list=birthdays&days=7").get_data(as_text=True)
    assert f"/admin/visit/new/?customer={person.id}&amp;purpose=birthday&amp;channel=phone" in page
    form = clerk_client.get(f"/admin/visit/new/?customer={person.id}&purpose=birthday&channel=phone")
    html = form.get_data(as_text=True)
    assert 'value="birthday" selected' in html or 'selected value="birthday"' in html


def test_the_campaign_export_leaves_out_customers_without_consent(clerk_client, dealer):
    add_customer("同意", "+8613800000001", dealer, birthday=date(1980, 11, 26))
    add_customer("不同意", "+8613800000002", dealer, birthday=date(1980, 11, 26), consent=False)
    add_customer("=HYPERLINK(1)", "+8613800000003", dealer, birthday=date(1980, 11, 27))
    response = clerk_client.get("/admin/care/campaign.csv?list=birthdays&days=7")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert "同意,13800000001" in text and "不同意" not in text
    assert "'=HYPERLINK(1)" in text


def test_the_campaign_export_is_scoped_for_dealers(dealer_client, dealer, other_dealer):
    add_customer("本店客户", "+8613800000001", dealer, birthday=date(1980, 11, 26))
    add_customer("别家客户", "+8613800000002", other_dealer, birthday=date(1980, 11, 26))
    text = dealer_client.get("/admin/care/campaign.csv?list=birthdays&days=7&dealer=" + other_dealer.code
                             ).get_data(as_text=True)
    assert "本店客户" in text and "别家客户" not in text


def test_anonymous_visitors_are_sent_to_login(client):
    assert client.get("/admin/care/").status_code == 302
    assert client.get("/admin/care/campaign.csv").status_code == 302


def test_links_carry_only_the_calendars_own_arguments(clerk_client, dealer):
    add_customer("王芳", "+8613800000001", dealer, birthday=date(1980, 11, 26))
    response = clerk_client.get("/admin/care/?list=birthdays&days=7&_method=POST&_external=1&_anchor=x")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'campaign.csv?list=birthdays&amp;days=7"' in page
    assert 'care/?list=holiday&amp;days=7"' in page


def test_only_the_offered_periods_are_used(clerk_client, dealer):
    add_customer("明年", "+8613800000001", dealer, birthday=date(1980, 11, 20))
    page = clerk_client.get("/admin/care/?list=birthdays&days=366").get_data(as_text=True)
    assert '<option value="7" selected>' in page and "明年" not in page
