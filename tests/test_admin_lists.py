"""Back-office lists, details and the front page: what a clerk sees."""
import json
import re
from datetime import datetime

import pytest
from crm.clock import now
from crm.extensions import db
from crm.models import Complaint, Customer, HotlineTicket, Order, Visit
from tests.conftest import recorded_statements

EN = {"Accept-Language": "en"}


def add_customers(dealer, count: int, **fields) -> list[Customer]:
    people = [Customer(name=f"客户{i:03d}", mobile=f"+86138{i:08d}", dealer=dealer, status="actual",
                       city="佛山市", **fields) for i in range(count)]
    db.session.add_all(people)
    db.session.commit()
    return people


def rows_in(page: str) -> int:
    return len(re.findall(r'<input type="checkbox" name="rowid"', page))


def test_customer_list_shows_twenty_rows_by_default(clerk_client, dealer):
    add_customers(dealer, 25)
    assert rows_in(clerk_client.get("/admin/customer/").get_data(as_text=True)) == 20


@pytest.mark.parametrize("size", [20, 50, 100])
def test_page_size_can_be_chosen(clerk_client, dealer, size):
    add_customers(dealer, 120)
    assert rows_in(clerk_client.get(f"/admin/customer/?page_size={size}").get_data(as_text=True)) == size


def test_newest_customers_come_first(clerk_client, dealer):
    people = add_customers(dealer, 3)
    page = clerk_client.get("/admin/customer/").get_data(as_text=True)
    assert page.index(people[2].name) < page.index(people[0].name)


def test_list_shows_related_names_without_a_query_per_row(clerk_client, dealer, app):
    add_customers(dealer, 5)
    with recorded_statements(db.engine) as few:
        clerk_client.get("/admin/customer/")
    add_customers(dealer, 40)
    with recorded_statements(db.engine) as many:
        page = clerk_client.get("/admin/customer/").get_data(as_text=True)
    assert dealer.name in page
    assert len(many) == len(few)


def test_search_finds_a_customer_by_name(clerk_client, dealer):
    add_customers(dealer, 30)
    page = clerk_client.get("/admin/customer/?search=客户017").get_data(as_text=True)
    assert rows_in(page) == 1 and "客户017" in page


def test_search_finds_a_customer_by_the_mobile_number_as_people_type_it(clerk_client, dealer):
    add_customers(dealer, 30)
    page = clerk_client.get("/admin/customer/?search=13800000021").get_data(as_text=True)
    assert rows_in(page) == 1 and "客户021" in page


def test_list_shows_mobile_numbers_in_the_national_form(clerk_client, customer):
    page = clerk_client.get("/admin/customer/").get_data(as_text=True)
    assert "13812345678" in page and "+8613812345678" not in page


def test_status_codes_are_shown_as_translated_labels(clerk_client, customer):
    assert "实际顾客" in clerk_client.get("/admin/customer/", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    assert "Actual customer" in clerk_client.get("/admin/customer/", headers=EN).get_data(as_text=True)


def _filter_arg(page: str, label: str, operation: str) -> str:
    """The URL argument Flask-Admin gives the filter `label` / `operation` on this page."""
    match = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S)
    assert match, "no filter definitions on the page"
    groups = json.loads(match.group(1))
    for group_label, filters in groups.items():
        if group_label == label:
            for item in filters:
                if item["operation"] == operation:
                    return f"flt0_{item['index']}"
    raise AssertionError(f"no filter {label} / {operation}")


def test_customers_can_be_filtered_by_status(clerk_client, dealer):
    add_customers(dealer, 3)
    db.session.add(Customer(name="潜在客户甲", status="potential", dealer=dealer))
    db.session.commit()
    page = clerk_client.get("/admin/customer/", headers=EN).get_data(as_text=True)
    arg = _filter_arg(page, "Status", "equals")
    filtered = clerk_client.get(f"/admin/customer/?{arg}=potential", headers=EN).get_data(as_text=True)
    assert rows_in(filtered) == 1 and "潜在客户甲" in filtered


def test_customers_can_be_filtered_by_dealer(clerk_client, dealer, other_dealer):
    add_customers(dealer, 3)
    db.session.add(Customer(name="上海客户", status="actual", dealer=other_dealer))
    db.session.commit()
    page = clerk_client.get("/admin/customer/", headers=EN).get_data(as_text=True)
    arg = _filter_arg(page, "Dealer code", "equals")
    filtered = clerk_client.get(f"/admin/customer/?{arg}=SH-PD-001", headers=EN).get_data(as_text=True)
    assert rows_in(filtered) == 1 and "上海客户" in filtered


def test_customer_details_show_orders_visits_and_complaints(clerk_client, customer, product):
    db.session.add_all([
        Order(order_number="SO-77", customer=customer, product=product, quantity=1, ordered_on=now().date()),
        Visit(customer=customer, channel="phone", purpose="follow_up", happened_at=now(), summary="电话回访使用情况"),
        Complaint(number="TS261125-AAAA", customer=customer, category="delivery", description="送货延误",
                  received_at=now()),
    ])
    db.session.commit()
    page = clerk_client.get(f"/admin/customer/details/?id={customer.id}").get_data(as_text=True)
    assert "SO-77" in page
    assert "电话回访使用情况" in page
    assert "TS261125-AAAA" in page


def test_front_page_shows_live_figures(clerk_client, customer):
    db.session.add_all([
        Complaint(number="TS1", customer=customer, category="delivery", description="x", received_at=now(),
                  status="new"),
        Complaint(number="TS2", customer=customer, category="delivery", description="y", received_at=now(),
                  status="closed"),
        HotlineTicket(number="RX1", topic="repair", description="z", contact_name="王", mobile="+8613700000000",
                      received_at=now()),
        HotlineTicket(number="RX2", topic="repair", description="z", contact_name="王", mobile="+8613700000000",
                      received_at=datetime(2020, 1, 1)),
    ])
    db.session.commit()
    page = clerk_client.get("/admin/", headers=EN).get_data(as_text=True)
    page = page[:page.index('id="service-heading"')]  # the headline tiles only
    figures = re.findall(r'figure-value d-block">(\d+)</span>\s*<span class="figure-label d-block">([^<]+)<', page)
    assert {label: int(value) for value, label in figures} == {
        "Customers": 1, "Actual customers": 1, "Open complaints": 1, "Hotline tickets today": 1,
        "Feedback cards this week": 0,
    }


def test_relationship_fields_use_ajax_lookups(clerk_client, customer):
    page = clerk_client.get("/admin/order/new/").get_data(as_text=True)
    assert 'data-role="select2-ajax"' in page
    assert customer.name not in page  # no select that loads the whole customer table


def test_ajax_lookup_finds_customers_by_name(clerk_client, customer):
    response = clerk_client.get("/admin/order/ajax/lookup/?name=customer&query=张")
    assert response.status_code == 200
    assert [row[1] for row in response.json] == [str(customer)]


def test_no_form_loads_a_whole_table_into_a_select(app, admin_client):
    from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField

    admin = app.extensions["admin"][0]
    with app.test_request_context():
        for view in admin._views:
            if not hasattr(view, "create_form"):
                continue
            form = view.create_form()
            table_selects = [field.name for field in form
                             if isinstance(field, (QuerySelectField, QuerySelectMultipleField))]
            assert table_selects == [], view.endpoint
