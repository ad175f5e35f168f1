"""Hostile text wherever a user can put it into a query: the search boxes, filters, sort and
page arguments of every back-office list, the public ticket and card look-ups, the order
spreadsheet import, and the exports that carry stored text back out.

What is promised, and tried here:
- the answer is a page (or a refusal), never a server error;
- the database's own words (SQL, driver errors, tracebacks) never reach the browser;
- what is typed is text: it is matched literally (a % or _ finds a % or _, not every row),
  and it never runs as SQL or, in a spreadsheet, as a formula;
- a dealer sees only their own dealership's rows, whatever they type;
- an argument the list does not have (a sort column, a filter) is refused with a message in
  the reader's language instead of being dropped in silence.
"""
import csv
import html
import io
import os
import re
import time
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.clock import now
from crm.extensions import db
from crm.models import (CardBatch, Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, ImportRow, Order,
                        OrderImport, Product, Visit)
from crm.services import intake, spam
from crm.services.spreadsheets import FORMULA_STARTS
from tests.conftest import logged_in_client

EN = {"Accept-Language": "en"}
ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")

# Every back-office list (the model views registered in admin_views/__init__.py).
LIST_ENDPOINTS = ("customer", "order", "order_import", "complaint", "visit", "hotline_ticket", "feedback_card",
                  "card_batch", "dealer", "product", "user", "audit")

# What people (and robots) type to break a query: SQL fragments, LIKE wildcards and the
# escape character, quotes, NUL and other control characters, very long text, unicode
# beyond the basic plane and direction overrides, JSON and HTML.
HOSTILE = (
    "' OR 1=1 --", "' OR '1'='1", '"; DROP TABLE customer; --', "1; DELETE FROM customer", "张伟' --",
    "') UNION SELECT username, 1 FROM \"user\" --", "%", "_", "\\", "%%", "_%_", "\\%", "a%b_c\\d",
    "a\x00b", "\x00", "\x01\x1f", "\r\n", "x" * 5000, "𠀀🙂\u202eabc", '{"$gt": ""}', "<script>alert(1)</script>",
    "NULL", "*", "^", "=", "$1", ":name", "?", "",
)
# A shorter set for each of the hundreds of filters, and for the pages that compute more.
HOSTILE_FILTER_VALUES = ("' OR 1=1 --", "%_\\", "a\x00b", "x" * 3000, "99999999999999999999",
                         "2026-13-45 to 2026-99-99")
HOSTILE_SHORT = ("' OR 1=1 --", "%_\\", "\x01\x1f", "x" * 3000, "99999999999999999999", "2026-13-45",
                 "<script>alert(1)</script>")
# The database's and Python's own words; none of them is in a payload above.
LEAK_MARKERS = ("Traceback", "sqlalchemy", "sqlite3", "psycopg", "OperationalError", "ProgrammingError",
                "DataError", "IntegrityError", "(Background on this error", "[SQL:", "[parameters:")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def table_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def problem_with(response, payload: str = "") -> str | None:
    """Why this answer to a hostile request is wrong, or None: a server error, the
    database's words on the page, or the payload's HTML unescaped."""
    if response.status_code >= 500:
        return f"status {response.status_code}"
    text = response.get_data().decode("utf-8", "replace")  # exports may be workbooks
    leaked = [marker for marker in LEAK_MARKERS if marker in text]
    if leaked:
        return f"leaks {leaked}"
    if "<" in payload and payload in text:
        return "payload shown unescaped"
    return None


def flashed_errors(page: str) -> list[str]:
    """The error messages a back-office page shows at its top (without their close button)."""
    blocks = re.findall(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<button.*?</button>|<[^>]+>", "", block, flags=re.S))).strip()
            for block in blocks]


def admin_view(app, endpoint: str):
    return next(view for view in app.extensions["admin"][0]._views if getattr(view, "endpoint", None) == endpoint)


def filter_args(app, endpoint: str) -> list[str]:
    """The URL argument of each of the list's filters (flt0_<its arg>)."""
    view = admin_view(app, endpoint)
    with app.test_request_context():
        return [f"flt0_{view.get_filter_arg(index, flt)}" for index, flt in enumerate(view._filters or ())]


def filter_arg(app, endpoint: str, column: str, filter_class_name: str) -> str:
    view = admin_view(app, endpoint)
    with app.test_request_context():
        for index, flt in enumerate(view._filters):
            key = getattr(getattr(flt, "column", None), "key", None)
            if type(flt).__name__ == filter_class_name and key == column:
                return f"flt0_{view.get_filter_arg(index, flt)}"
    raise AssertionError(f"{endpoint} has no {filter_class_name} filter on {column}")


def column_index(app, endpoint: str, sortable: bool) -> int:
    """The place of the list's first sortable (or not sortable) column: what ?sort= names."""
    view = admin_view(app, endpoint)
    return next(index for index, (name, _label) in enumerate(view._list_columns)
                if view.is_sortable(name) == sortable)


@pytest.fixture
def archive(app, dealer, other_dealer, product):
    """A little of everything, for two dealerships; the other one's rows carry names a
    dealer must never see."""
    ours = Customer(name="张伟", mobile="+8613812345678", address="幸福里_1号", city="佛山市", dealer=dealer,
                    status="actual")
    theirs = Customer(name="浦东顾客", mobile="+8613998765432", address="幸福里A1号", city="上海市",
                      dealer=other_dealer, status="actual")
    db.session.add_all([ours, theirs])
    db.session.flush()
    for person, prefix in ((ours, "FS"), (theirs, "PD")):
        db.session.add_all([
            Order(order_number=f"{prefix}-SO-1", customer=person, dealer=person.dealer, product=product,
                  quantity=1, ordered_on=date(2026, 1, 5)),
            Visit(customer=person, dealer=person.dealer, channel="phone", purpose="follow_up", happened_at=now(),
                  summary=f"{prefix} 回访", satisfaction=4),
            Complaint(number=f"TS-{prefix}-1", customer=person, dealer=person.dealer, category="delivery",
                      description=f"{prefix} 送货延误", received_at=now()),
            HotlineTicket(number=f"RX-{prefix}-1", topic="repair", description="扶手松动", contact_name=person.name,
                          mobile=person.mobile, customer=person, dealer=person.dealer, received_at=now()),
            FeedbackCard(reference=f"FK-{prefix}-1", customer=person, dealer=person.dealer, rating_quality=5,
                         recommend_score=9, contact_name=person.name, submitted_at=now()),
            CardBatch(code=f"{person.dealer.code}-260101-1", dealer=person.dealer, product=product, size=8),
        ])
    db.session.commit()
    return {"ours": ours, "theirs": theirs}


THEIR_MARKERS = ("浦东顾客", "PD-SO-1", "TS-PD-1", "RX-PD-1", "FK-PD-1", "13998765432", "SH-PD-001-260101-1")


# Every list is covered ---------------------------------------------------------------------
def test_the_lists_tried_here_are_every_back_office_list(app):
    """A list added later must be added here too, or its search and filters go untried."""
    registered = {view.endpoint for view in app.extensions["admin"][0]._views if hasattr(view, "_list_columns")}
    assert registered == set(LIST_ENDPOINTS)


# Search boxes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_hostile_search_text_answers_a_list_page_without_leaking_anything(admin_client, archive, endpoint):
    """Each hostile string in the search box gives the list page (maybe empty): never a
    server error, never the database's own error text, never the payload's HTML unescaped;
    and the tables are all still there afterwards."""
    before = table_counts()
    problems = {}
    for payload in HOSTILE:
        response = admin_client.get(f"/admin/{endpoint}/", query_string={"search": payload})
        problems[payload[:30]] = problem_with(response, payload) or (
            None if response.status_code == 200 else f"status {response.status_code}")
    assert {payload: problem for payload, problem in problems.items() if problem} == {}
    assert table_counts() == before


def test_sql_typed_into_a_record_is_stored_and_found_as_plain_text(admin_client, dealer):
    """A name that is an SQL statement is saved as written and found by searching for it:
    the statement never runs (the customer table keeps its rows)."""
    name = "Robert'); DROP TABLE customer;--"
    response = admin_client.post("/admin/customer/new/", data={"name": name, "status": "actual", "gender": "male",
                                                               "dealer": str(dealer.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(Customer.name)) == name
    page = admin_client.get("/admin/customer/", query_string={"search": "DROP TABLE"}).get_data(as_text=True)
    assert "Robert&#39;); DROP TABLE customer;--" in page and count(Customer) == 1


def test_percent_and_underscore_in_a_search_match_only_themselves(admin_client, dealer, other_dealer, product,
                                                                   customer):
    """Flask-Admin's own search handed the words to LIKE as they were: "%" listed every row
    and "SO_1" also found "SO11". Now they are characters like any other."""
    for number in ("SO_1", "SO11", "SO%2", "SO\\3"):
        db.session.add(Order(order_number=number, customer=customer, product=product, ordered_on=date(2026, 1, 5)))
    db.session.commit()

    def found(text):
        page = admin_client.get("/admin/order/", query_string={"search": text}).get_data(as_text=True)
        return sorted(set(re.findall(r"SO[_%\\\d]\d*", page)) & {"SO_1", "SO11", "SO%2", "SO\\3"})

    assert found("SO_1") == ["SO_1"]
    assert found("%") == ["SO%2"]
    assert found("_") == ["SO_1"]
    assert found("\\") == ["SO\\3"]
    assert found("SO1") == ["SO11"]


def test_percent_and_underscore_in_the_customer_search_match_only_themselves(admin_client, archive):
    """The customer search (its own index) takes wildcards literally too: "里_1" finds the
    address with an underscore, not every "里" followed by one character and a 1."""
    page = admin_client.get("/admin/customer/", query_string={"search": "里_1"}).get_data(as_text=True)
    assert "张伟" in page and "浦东顾客" not in page
    page = admin_client.get("/admin/customer/", query_string={"search": "%"}).get_data(as_text=True)
    assert "张伟" not in page and "浦东顾客" not in page


# Filters --------------------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_hostile_values_in_every_filter_answer_a_list_page_without_leaking_anything(app, admin_client, archive,
                                                                                    endpoint):
    """Every filter of the list, given each hostile value: the list page (the filter applied,
    or refused with a message), never a server error or the database's words. Numbers beyond
    what the database holds used to be sent to it (an error on both databases)."""
    problems = {}
    for arg in filter_args(app, endpoint):
        for payload in HOSTILE_FILTER_VALUES:
            response = admin_client.get(f"/admin/{endpoint}/", query_string={arg: payload})
            problem = problem_with(response, payload) or (
                None if response.status_code == 200 else f"status {response.status_code}")
            if problem:
                problems[f"{arg}={payload[:20]}"] = problem
    assert problems == {}


def test_a_number_beyond_the_database_in_a_filter_is_refused_with_a_message(app, admin_client, archive):
    """The audit trail's record number filter, given a number no record can have: the list
    says the value is not valid (in Chinese by default) rather than failing."""
    arg = filter_arg(app, "audit", "record_id", "IntEqualFilter")
    response = admin_client.get("/admin/audit/", query_string={arg: "99999999999999999999"})
    assert response.status_code == 200
    assert any("无效的筛选器值" in message for message in flashed_errors(response.get_data(as_text=True)))


def test_percent_and_underscore_in_a_contains_filter_match_only_themselves(app, admin_client, archive):
    """"City contains %" finds no city (none has a % in it) instead of every customer."""
    arg = filter_arg(app, "customer", "city", "LiteralContains")
    page = admin_client.get("/admin/customer/", query_string={arg: "%"}).get_data(as_text=True)
    assert "张伟" not in page and "浦东顾客" not in page
    page = admin_client.get("/admin/customer/", query_string={arg: "佛山"}).get_data(as_text=True)
    assert "张伟" in page and "浦东顾客" not in page


def test_percent_in_the_dealer_name_filter_matches_only_itself(app, admin_client, archive):
    """The dealer-name filter looks the dealers up itself; "%" is a character there too."""
    arg = filter_arg(app, "customer", "dealer_id", "NameContains")
    page = admin_client.get("/admin/customer/", query_string={arg: "%"}).get_data(as_text=True)
    assert "张伟" not in page and "浦东顾客" not in page


def test_an_unknown_filter_is_refused_with_a_translated_message(admin_client, archive):
    """A filter the list does not have is not dropped in silence (the list would look
    filtered while showing everything): the page says so, in Chinese by default."""
    not_refused = []
    for arg in ("flt0_999", "flt0_", "flt0", "flt", "fltx_customer", "flt0_name;DROP TABLE customer"):
        response = admin_client.get("/admin/customer/", query_string={arg: "x"})
        messages = flashed_errors(response.get_data(as_text=True))
        if response.status_code != 200 or not any("此列表没有筛选条件" in text and "已忽略" in text for text in messages):
            not_refused.append(arg)
    assert not_refused == []


def test_an_unknown_filter_is_refused_in_english_for_english_readers(admin_client, archive):
    """The same refusal in the reader's language when it is English."""
    page = admin_client.get("/admin/dealer/?flt3_77=x", headers=EN).get_data(as_text=True)
    assert "This list has no filter flt3_77; it was left out." in flashed_errors(page)


def test_a_known_filter_with_a_good_value_is_applied_without_a_message(app, admin_client, archive):
    """The refusals touch only what is unknown: a real filter works as before, silently."""
    arg = filter_arg(app, "customer", "city", "LiteralContains")
    page = admin_client.get("/admin/customer/", query_string={arg: "上海"}).get_data(as_text=True)
    assert flashed_errors(page) == [] and "浦东顾客" in page and "张伟" not in page


def test_a_filter_value_the_filter_cannot_read_is_refused_without_repeating_it_at_length(app, admin_client, archive):
    """An unreadable date is refused with Flask-Admin's translated message; a long value is
    not echoed whole (it would fill the page and the session cookie)."""
    arg = filter_arg(app, "customer", "created_at", "DateTimeEqualFilter")
    page = admin_client.get("/admin/customer/", query_string={arg: "not a date " + "x" * 3000}).get_data(as_text=True)
    messages = flashed_errors(page)
    assert len(messages) == 1 and "无效的筛选器值" in messages[0] and len(messages[0]) < 200


def test_an_export_with_an_unknown_filter_goes_to_the_list_instead_of_exporting_everything(admin_client, archive):
    """Dropping the unknown filter would export more rows than were asked for; the export
    goes to the list with the same arguments, which says what is wrong."""
    response = admin_client.get("/admin/customer/export/csv/?flt0_999=x&search=张伟")
    assert response.status_code == 302
    assert response.location.startswith("/admin/customer/?") and "flt0_999=x" in response.location
    listed = admin_client.get(response.location)
    assert any("此列表没有筛选条件" in message for message in flashed_errors(listed.get_data(as_text=True)))


def test_an_export_with_known_arguments_still_exports(app, admin_client, archive):
    """The export's check of its arguments lets a good export through."""
    arg = filter_arg(app, "customer", "city", "LiteralContains")
    response = admin_client.get(f"/admin/customer/export/csv/?{arg}=佛山&sort=0")
    assert response.status_code == 200 and "张伟" in response.get_data(as_text=True)


def test_list_arguments_named_like_the_link_builders_own_are_just_arguments(admin_client, archive):
    """The list's links carry its other arguments along; one named like a parameter of the
    code that builds them (?endpoint=x) made every list a server error."""
    for name in ("endpoint", "view", "path_args", "_external", "_scheme"):
        response = admin_client.get(f"/admin/customer/?{name}=x")
        assert response.status_code == 200 and f"{name}=x" in response.get_data(as_text=True), name
        assert admin_client.get(f"/admin/customer/export/csv/?{name}=x&flt0_999=1").status_code == 302, name


# Sorting and paging ----------------------------------------------------------------------------
def test_an_unknown_sort_column_is_refused_with_a_translated_message(admin_client, archive):
    """?sort= names a column by its place; a place the list does not have is refused with a
    message, and the list keeps its usual order (newest first)."""
    not_refused = []
    for sort in ("999", "-1", "abc", "1;DROP TABLE customer", "0 OR 1=1", "1e3", "\x00", "99999999999999999999"):
        response = admin_client.get("/admin/customer/", query_string={"sort": sort, "desc": "1"})
        page = response.get_data(as_text=True)
        if response.status_code != 200 or "此列表不能按这种方式排序，现按默认顺序显示。" not in flashed_errors(page) \
                or page.index("浦东顾客") > page.index("张伟"):  # newest first
            not_refused.append(sort)
    assert not_refused == []


def test_a_column_that_cannot_be_sorted_is_refused_like_an_unknown_one(app, admin_client, archive):
    """A listed column that has no sort (the mobile number) is not a way to sort either."""
    index = column_index(app, "customer", sortable=False)
    page = admin_client.get(f"/admin/customer/?sort={index}", headers=EN).get_data(as_text=True)
    assert "This list cannot be sorted that way; it is shown in its usual order." in flashed_errors(page)


def test_a_sortable_column_sorts_without_a_message(app, admin_client, archive):
    """A real sort column sorts (by name here) and says nothing."""
    index = column_index(app, "customer", sortable=True)  # the name
    page = admin_client.get(f"/admin/customer/?sort={index}").get_data(as_text=True)
    assert flashed_errors(page) == [] and page.index("张伟") < page.index("浦东顾客")


def test_hostile_sort_and_page_arguments_answer_a_list_page(admin_client, archive):
    """Sort, direction, page and page size given nonsense, on every list: the list page."""
    problems = {}
    for endpoint in LIST_ENDPOINTS:
        for name in ("sort", "desc", "page", "page_size"):
            for payload in ("-1", "99999999999999999999", "' OR 1=1 --", "a\x00b", "1e309"):
                response = admin_client.get(f"/admin/{endpoint}/", query_string={name: payload})
                if response.status_code != 200 or problem_with(response, payload):
                    problems[f"{endpoint}?{name}={payload}"] = problem_with(response, payload) or response.status_code
    assert problems == {}


def test_an_absurd_page_size_shows_the_default_page_size(admin_client, dealer):
    """A page size outside the offered ones does not make the list read a million rows."""
    db.session.add_all([Customer(name=f"客户{i:03d}", dealer=dealer, status="actual") for i in range(30)])
    db.session.commit()
    page = admin_client.get("/admin/customer/?page_size=1000000").get_data(as_text=True)
    assert page.count('name="rowid"') == 20


# A dealer sees only their own rows, whatever they type -------------------------------------
DEALER_LISTS = ("customer", "order", "visit", "complaint", "hotline_ticket", "feedback_card", "card_batch")


def test_no_search_text_shows_a_dealer_another_dealerships_rows(app, archive, dealer):
    """SQL that would widen the query, wildcards that match everything, the other dealer's
    own names and numbers: each of the dealer's lists holds only their own rows."""
    client = logged_in_client(app, "dealer1", "dealer", dealer=dealer)
    payloads = ("' OR 1=1 --", "' OR '1'='1", "') UNION SELECT username, 1 FROM \"user\" --", "%", "_", "%%", "\\",
                "a\x00b", *THEIR_MARKERS, "浦东", "PD", "SH-PD-001")
    shown = {}
    for endpoint in DEALER_LISTS:
        for payload in payloads:
            response = client.get(f"/admin/{endpoint}/", query_string={"search": payload})
            page = response.get_data(as_text=True)
            leaked = [marker for marker in THEIR_MARKERS if marker in page and marker not in payload]
            if leaked or response.status_code != 200:
                shown[f"{endpoint}?search={payload[:30]}"] = leaked or response.status_code
    assert shown == {}


# What each kind of filter is given to reach for the other dealership's rows.
REACHING_VALUES = {"CodeEquals": "SH-PD-001", "CodeStartsWith": "SH", "NameContains": "浦东", "NameEquals": "上海浦东月星家居店"}


def test_no_filter_shows_a_dealer_another_dealerships_rows(app, archive, dealer):
    """Every filter the dealer's lists offer, the dealer filters set to the other dealership's
    code and name and the others to a wildcard: only the dealer's own rows."""
    client = logged_in_client(app, "dealer1", "dealer", dealer=dealer)
    shown = {}
    for endpoint in DEALER_LISTS:
        view = admin_view(app, endpoint)
        for arg, flt in zip(filter_args(app, endpoint), view._filters):
            value = REACHING_VALUES.get(type(flt).__name__, "%")
            page = client.get(f"/admin/{endpoint}/", query_string={arg: value}).get_data(as_text=True)
            leaked = [marker for marker in THEIR_MARKERS if marker in page]
            if leaked:
                shown[f"{endpoint}?{arg}={value}"] = leaked
    assert shown == {}


def test_a_dealers_export_with_hostile_search_and_filters_holds_only_their_rows(app, archive, dealer):
    """The export is the list taken away: hostile search and filters keep it to the dealer's rows, in both
    formats."""
    client = logged_in_client(app, "dealer1", "dealer", dealer=dealer)
    code_arg = filter_arg(app, "customer", "dealer_id", "CodeStartsWith")
    for query in ({"search": "' OR 1=1 --"}, {"search": "%"}, {code_arg: "SH"}, {code_arg: "%"}):
        for kind in ("csv", "xlsx"):
            response = client.get(f"/admin/customer/export/{kind}/", query_string=query)
            assert response.status_code == 200
            text = response.get_data(as_text=True) if kind == "csv" else " ".join(
                str(cell) for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
                for cell in row)
            assert "浦东顾客" not in text, (query, kind)


# Other back-office pages that read their address -------------------------------------------
OTHER_PAGES = {
    "/admin/care/": ("dealer", "days", "list", "holiday", "page"),
    "/admin/care/campaign.csv": ("dealer", "days", "list", "holiday"),
    "/admin/reports/": ("report", "start", "end", "dealer"),
    "/admin/reports/export.csv": ("report", "start", "end", "dealer"),
    "/admin/reports/export.xlsx": ("report", "start", "end", "dealer"),
    "/admin/": ("days", "refresh"),
    "/admin/duplicates/": (),
    "/admin/complaint/repeating/": ("days",),
    "/admin/order_import/upload/": (),
}


@pytest.mark.parametrize("path", OTHER_PAGES)
def test_hostile_arguments_to_the_calendar_reports_and_dashboard_answer_a_page(admin_client, archive, path):
    """Every argument these pages read, given hostile strings (NUL aside: see below)."""
    problems = {}
    for name in OTHER_PAGES[path] or ("x",):
        for payload in HOSTILE_SHORT:
            response = admin_client.get(path, query_string={name: payload})
            problem = problem_with(response, payload) or (
                None if response.status_code in (200, 302) else f"status {response.status_code}")
            if problem:
                problems[f"{name}={payload[:20]}"] = problem
    assert problems == {}


@pytest.mark.parametrize("path", ["/admin/care/", "/admin/reports/"])
def test_a_nul_in_the_dealer_code_of_the_calendar_and_reports_is_not_a_server_error(admin_client, archive, path):
    """The service calendar and the reports take a typed dealer code; a NUL in it must find no dealer, not
    fail."""
    assert admin_client.get(path, query_string={"dealer": "GD\x00"}).status_code == 200


def test_a_record_id_beyond_any_stored_one_answers_not_found(admin_client, archive):
    """A record's page for an id past what an integer column holds answers not found, like any missing
    record."""
    for endpoint in LIST_ENDPOINTS:
        response = admin_client.get(f"/admin/{endpoint}/details/", query_string={"id": "3000000000"})
        assert response.status_code in (302, 404), endpoint


def test_hostile_record_ids_answer_not_found(admin_client, archive):
    """A record's page given an id that is no number, or beyond what any database holds."""
    for record_id in ("' OR 1=1 --", "-1", "1.5", "abc", "99999999999999999999999", "%", ""):
        for path in ("/admin/customer/details/", "/admin/customer/edit/"):
            response = admin_client.get(path, query_string={"id": record_id})
            assert response.status_code in (302, 404) and not problem_with(response), (path, record_id)


def lookup(client, **query) -> list:
    response = client.get("/admin/order/ajax/lookup/", query_string={"name": "customer", "query": "客户", **query})
    assert response.status_code == 200, query
    return response.get_json()


@pytest.fixture
def many_customers(app, dealer):
    db.session.add_all([Customer(name=f"客户{i:02d}", dealer=dealer, status="actual") for i in range(15)])
    db.session.commit()


def test_the_relationship_lookup_answers_at_most_a_page_whatever_limit_it_is_asked_for(admin_client, many_customers):
    """The search-as-you-type lookup of the forms takes its page size from the address: a
    huge or unreadable one still gives one page (10), not the whole customer list."""
    for limit in ("99999999999999999999999", "1000", "abc"):
        assert len(lookup(admin_client, limit=limit)) == 10, limit


@pytest.mark.parametrize("query", [{"offset": "99999999999999999999999"}, {"limit": "-1"}])
def test_the_relationship_lookup_answers_at_most_a_page_for_any_offset_and_limit(admin_client, many_customers, query):
    """An offset past any list is an empty answer, and a negative limit is still one page."""
    assert len(lookup(admin_client, **query)) <= 10


def test_the_relationship_lookup_takes_a_negative_offset_and_control_characters(admin_client, many_customers):
    """A negative offset and a NUL typed into the lookup: an answer (maybe empty), not a failure."""
    lookup(admin_client, offset="-1")
    lookup(admin_client, query="a\x00b")


def test_the_relationship_lookup_shows_a_dealer_only_their_own_customers(app, archive, dealer):
    """The search-as-you-type box of a dealer's forms, given wildcards or SQL: their own
    customers only."""
    client = logged_in_client(app, "dealer1", "dealer", dealer=dealer)
    for query in ("%", "_", "' OR 1=1 --", "浦东"):
        response = client.get("/admin/order/ajax/lookup/", query_string={"name": "customer", "query": query})
        assert response.status_code == 200 and "浦东顾客" not in response.get_data(as_text=True), query


# The public look-ups -----------------------------------------------------------------------------
@pytest.fixture
def ticket(app, customer):
    item = HotlineTicket(number="RX260101-ABCD", topic="repair", description="扶手松动", contact_name="张伟",
                         mobile="+8613812345678", customer=customer, received_at=now())
    db.session.add(item)
    db.session.commit()
    return item


def _status_check(client, number, digits, address):
    return client.post("/ticket/status", data={"number": number, "last_digits": digits},
                       environ_base={"REMOTE_ADDR": address})


def test_hostile_ticket_numbers_find_nothing_and_say_so_in_chinese(client, ticket):
    """The status check given SQL, wildcards or garbage as the number (with the right last
    digits): no ticket is shown, and the page says why in Chinese (no such ticket, or what to
    correct), never a server error or the database's words."""
    problems = {}
    for index, payload in enumerate(HOSTILE):
        response = _status_check(client, payload, "5678", f"10.1.0.{index}")  # 10 look-ups an address
        page = response.get_data(as_text=True)
        if response.status_code not in (400, 404) or problem_with(response, payload) or "扶手松动" in page \
                or not re.search(r'class="(field-error|notice notice-error)"[^>]*>[^<]*[\u4e00-\u9fff]', page):
            problems[payload[:30]] = problem_with(response, payload) or response.status_code
    assert problems == {}


def test_hostile_last_digits_never_show_the_ticket(client, ticket):
    """The right ticket number with wildcards, SQL or the wrong kind of digits as the last four: nothing
    shown."""
    for index, digits in enumerate(("' OR 1=1 --", "%", "____", "56%8", "\x00\x00\x00\x00", "5678" * 1000, "５６７８")):
        response = _status_check(client, "RX260101-ABCD", digits, f"10.2.0.{index}")
        assert response.status_code in (400, 404) and not problem_with(response, digits), digits
        assert "扶手松动" not in response.get_data(as_text=True), digits


def test_the_real_number_and_digits_still_find_the_ticket(client, ticket):
    """The look-up still works for its customer (the number in any case)."""
    response = _status_check(client, "rx260101-abcd", "5678", "10.1.0.3")
    assert response.status_code == 200 and "RX260101-ABCD" in response.get_data(as_text=True)


def test_hostile_card_tokens_open_an_uncredited_feedback_form(client, dealer, product):
    """A feedback card's QR token that is SQL, garbage or tampered with: the plain feedback
    form, credited to no card, and no card counted as opened."""
    for token in HOSTILE:
        response = client.get("/feedback", query_string={"t": token})
        assert response.status_code == 200 and not problem_with(response, token), token
        assert client.post("/feedback/opened", data={"t": token}).status_code == 204, token
    assert count(FeedbackCard) == 0 and count(CardBatch) == 0


def test_hostile_reference_numbers_in_the_address_are_shown_cleaned_or_not_at_all(client):
    """The thank-you and ticket-created pages show the number from their address: only its
    letters, digits and dashes, or not found."""
    for path in ("/feedback/thanks/", "/ticket/created/"):
        for payload in ("' OR 1=1 --", "<script>alert(1)</script>", "%00", "x" * 3000, "..%2F..%2Fetc"):
            response = client.get(path + payload)
            assert response.status_code in (200, 404) and not problem_with(response, payload), (path, payload)
            assert "<script>alert(1)" not in response.get_data(as_text=True)


# The order spreadsheet import -----------------------------------------------------------------------
HEADERS = ["客户姓名", "手机号码", "详细地址", "产品型号", "数量", "金额", "订单号", "下单日期", "销售员"]
DDE = "=cmd|' /C calc'!A0"


def sheet_row(name="王芳", mobile="13912340001", address="天河路1号", number="IMP-1", salesperson="李明",
              amount="9800"):
    return [name, mobile, address, "SF-2031", "1", amount, number, "2026-03-01", salesperson]


def csv_upload(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def upload(client, data: bytes, dealer_code: str, filename="orders.csv"):
    return client.post("/admin/order_import/upload/", content_type="multipart/form-data",
                       data={"dealer": dealer_code, "file": (io.BytesIO(data), filename)})


def cell_problems() -> dict[int, dict]:
    return {row.row_number: row.errors for row in db.session.scalars(select(ImportRow).order_by(ImportRow.row_number))}


def test_formula_cells_in_an_uploaded_sheet_are_refused_with_the_reason(clerk_client, dealer, product):
    """A cell that a spreadsheet would run is refused (the row is an error, saying why in
    the preview), in whichever column it is; nothing is imported from it."""
    formulas = (DDE, "@SUM(1+1)*cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","x")', "=1+1")
    rows = [sheet_row(**{column: formula}, number=f"IMP-{index}-{column}")
            for index, formula in enumerate(formulas) for column in ("name", "salesperson", "address")]
    upload(clerk_client, csv_upload(rows), dealer.code)
    keys = {"name": "customer_name", "salesperson": "salesperson", "address": "address"}
    expected = {row: {keys[column]: "formula"} for row, column in
                enumerate((column for _formula in formulas for column in keys), start=2)}
    assert {row: {key: problem["code"] for key, problem in problems.items()}
            for row, problems in cell_problems().items()} == expected
    batch = db.session.scalar(select(OrderImport))
    page = clerk_client.get(f"/admin/order_import/details/?id={batch.id}").get_data(as_text=True)
    assert "不接受公式" in page


def test_hostile_text_in_uploaded_cells_is_imported_as_text_and_exported_neutralised(clerk_client, dealer, product):
    """SQL, a leading +, - (which spreadsheets also run) and HTML in the cells are plain text:
    imported as written, shown escaped, and neutralised in both exports."""
    rows = [sheet_row(name="+cmd|' /C calc'!A0", address="-2+3+cmd|' /C calc'!A0", number="IMP-1",
                      salesperson="'; DROP TABLE customer; --"),
            sheet_row(name="<script>alert(1)</script>", mobile="13912340002", address="%_\\", number="IMP-2")]
    upload(clerk_client, csv_upload(rows), dealer.code)
    batch = db.session.scalar(select(OrderImport))
    assert batch.new_rows == 2
    preview = clerk_client.get(f"/admin/order_import/details/?id={batch.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in preview and "&lt;script&gt;" in preview
    assert clerk_client.post(f"/admin/order_import/commit/?id={batch.id}").status_code == 200
    names = set(db.session.scalars(select(Customer.name)))
    assert names == {"+cmd|' /C calc'!A0", "<script>alert(1)</script>"}
    text = clerk_client.get("/admin/customer/export/csv/").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text[1:])) for cell in row]
    assert "'+cmd|' /C calc'!A0" in cells and not any(cell.startswith("+cmd") for cell in cells)
    workbook = load_workbook(io.BytesIO(clerk_client.get("/admin/customer/export/xlsx/").data))
    values = [cell for row in workbook.active.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any(cell.value == "'+cmd|' /C calc'!A0" and cell.data_type == "s" for cell in values)
    assert not any(cell.data_type == "f" for cell in values)


def test_control_characters_deep_in_an_uploaded_csv_are_taken_out(clerk_client, dealer, product):
    """The CSV reader refuses a NUL near the start; one further down (past what is sniffed)
    is taken out of its cell, which would otherwise be refused by PostgreSQL on import."""
    rows = [sheet_row(name=f"客户{i}", mobile=f"139{i:08d}", number=f"IMP-{i}", address="天河路" + "长" * 200)
            for i in range(90)]
    rows.append(sheet_row(name="王\x00芳\x01", mobile="13800009999", number="IMP-NUL"))
    data = csv_upload(rows)
    assert data.decode().index("\x00") > 16 * 1024  # characters, as the reader samples them
    upload(clerk_client, data, dealer.code)
    batch = db.session.scalar(select(OrderImport))
    assert batch.new_rows == 91
    assert clerk_client.post(f"/admin/order_import/commit/?id={batch.id}").status_code == 200
    assert db.session.scalar(select(Customer.name).where(Customer.mobile == "+8613800009999")) == "王芳"


def test_a_hostile_dealer_code_on_the_upload_form_is_refused_with_a_message(clerk_client, dealer, product):
    """The clerk types the dealer's code: SQL, wildcards or a NUL find no dealer, and the form
    says so in Chinese (a NUL used to reach PostgreSQL, which refused the whole query)."""
    for code in ("' OR 1=1 --", "%", "GD%", "GD-FS-00_", "a\x00b", '"; DROP TABLE dealer; --'):
        response = upload(clerk_client, csv_upload([sheet_row()]), code)
        assert response.status_code == 400 and not problem_with(response, code), code
        assert "没有代码为" in response.get_data(as_text=True), code
    assert count(OrderImport) == 0 and count(Dealer) == 1


def test_a_hostile_file_name_is_kept_as_harmless_text(clerk_client, dealer, product):
    """The file's name is shown in the import list: escaped, without control characters
    (PostgreSQL refuses NUL), within its column's length."""
    for index, filename in enumerate(("<script>alert(1)</script>.csv", "../../etc/passwd", "a\x00b.csv",
                                      "订单'; DROP TABLE orders; --.csv", "x" * 400 + ".csv")):
        upload(clerk_client, csv_upload([sheet_row(number=f"IMP-{index}")]), dealer.code, filename=filename)
    stored = db.session.scalars(select(OrderImport.filename)).all()
    assert len(stored) == 5 and all(name and "\x00" not in name and len(name) <= 255 for name in stored)
    page = clerk_client.get("/admin/order_import/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and count(Order) == 0


# Exports carry stored text back out --------------------------------------------------------------
FORMULAS = (DDE, "+SUM(1,2)", "-2+3", "@A1", "\t=1+1", "\r=1+1")


@pytest.fixture
def formula_records(app, dealer, product):
    """Records of several kinds whose text starts like a formula."""
    person = Customer(name=DDE, mobile="+8613812345678", city="+SUM(1,2)", district="-2+3", salesperson="@A1",
                      dealer=dealer, status="actual")
    db.session.add_all([
        person,
        Dealer(code="ZJ-HZ-001", name=DDE, city="@A1", contact_person="-2+3", level="standard"),
        Product(model_number="+SUM(1,2)", name=DDE, series="-2+3", category="sofa"),
        Order(order_number="\t=1+1", customer=person, dealer=dealer, product=product, ordered_on=date(2026, 1, 5),
              salesperson=DDE),
        HotlineTicket(number="RX-F-1", topic="repair", description=DDE, contact_name="\r=1+1", city="@A1",
                      mobile="+8613812345678", received_at=now()),
        FeedbackCard(reference="FK-F-1", contact_name=DDE, rating_quality=5, submitted_at=now()),
    ])
    db.session.commit()


def exported_texts(client, endpoint: str) -> tuple[list[str], list]:
    """The text cells of the list's CSV export, and the text cells of its XLSX export."""
    text = client.get(f"/admin/{endpoint}/export/csv/").get_data(as_text=True)
    csv_cells = [cell for row in list(csv.reader(io.StringIO(text[1:])))[1:] for cell in row]
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/{endpoint}/export/xlsx/").data)).active
    xlsx_cells = [cell for row in list(sheet.iter_rows())[1:] for cell in row if isinstance(cell.value, str)]
    return csv_cells, xlsx_cells


def test_stored_text_that_starts_like_a_formula_is_neutralised_in_every_export(admin_client, formula_records):
    """Whatever list it comes out of (the audit trail repeats names too), a cell starting
    with =, +, -, @, tab or carriage return is exported with a leading apostrophe, as text."""
    unsafe = {}
    for endpoint in ("customer", "dealer", "product", "order", "hotline_ticket", "feedback_card", "audit"):
        csv_cells, xlsx_cells = exported_texts(admin_client, endpoint)
        assert [cell for cell in csv_cells if any(formula in cell for formula in FORMULAS)], endpoint
        unsafe[endpoint] = [cell for cell in csv_cells if cell.startswith(FORMULA_STARTS) and not _is_a_number(cell)] \
            + [cell.value for cell in xlsx_cells if cell.value.startswith(FORMULA_STARTS) or cell.data_type == "f"]
    assert {endpoint: cells for endpoint, cells in unsafe.items() if cells} == {}


def _is_a_number(text: str) -> bool:
    """Negative numbers (an amount, a count) are exported as numbers, which run nothing."""
    return bool(re.fullmatch(r"-\d+(\.\d+)?", text))


def test_an_xlsx_export_holds_records_with_control_characters(admin_client, dealer):
    """Control characters in stored text (typed before forms refused them) used to stop the
    XLSX export half-way (a worksheet cannot hold them); they are left out of the cell."""
    db.session.add(Customer(name="王\x01芳\x1f", city="佛\x0b山", dealer=dealer, status="actual"))
    db.session.commit()
    response = admin_client.get("/admin/customer/export/xlsx/")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert "王芳" in rows[1] and "佛山" in rows[1]


# The public forms take hostile text as text -----------------------------------------------------------
def test_sql_in_a_public_ticket_is_stored_as_written_and_runs_nothing(app, client):
    """What a customer types into the public ticket form, SQL and HTML included, is stored exactly as
    written, and a look-up with SQL finds nothing."""
    with app.test_request_context():
        started = spam.start_token(time.time() - 10)
    text = "'); DROP TABLE hotline_ticket; -- <script>alert(1)</script> %_\\"
    response = client.post("/ticket/new", data={"submission": "s-1", "started": started, "topic": "repair",
                                                "description": text, "contact_name": "Robert'--",
                                                "mobile": "13900001111"})
    assert response.status_code == 302
    assert db.session.scalar(select(HotlineTicket.description)) == text
    assert count(HotlineTicket) == 1 and count(Customer) == 1
    assert intake.find_ticket("' OR 1=1 --", "1111") is None


def test_a_page_to_return_to_with_a_line_break_is_refused_not_a_server_error(admin_client, archive):
    """Flask-Admin's `url=` (where to go after saving or deleting) ends in a Location header,
    which cannot hold a line break."""
    customer = db.session.scalars(select(Customer)).first()
    for path in (f"/admin/customer/edit/?id={customer.id}&url=/%0d", "/admin/customer/new/?url=/%0aSet-Cookie:x"):
        response = admin_client.get(path)
        assert response.status_code == 400 and "无法识别该请求" in response.get_data(as_text=True), path
