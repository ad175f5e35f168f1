"""Lists at scale (issue 7), checked for what they show rather than how fast: the customer
search index (SQLite FTS5 trigram, PostgreSQL pg_trgm), counts that stop COUNT_AHEAD rows
past the page, pages loaded by id, the dealer filters, exports that follow the search,
and the dashboard's stored figures.

The search rule, as the clerk meets it: every word typed must match; a whole phone number,
however written, is looked up exactly in mobile and other phone; three or more characters
match anywhere in name, phones, email, address or postal code, in any case; one or two
characters match anywhere in the name (a surname such as 王, a given name such as 子豪),
never in the other fields.
"""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from admin_views import listing
from admin_views.dealer_filters import CodeEquals, CodeStartsWith, NameContains, NameEquals
from crm import search_index
from crm.clock import now
from crm.extensions import db
from crm.models import AuditEntry, Complaint, Customer, Order, Snapshot
from crm.phones import display_phone
from crm.services import lifecycle
from crm.services import search as customer_search
from tests.conftest import logged_in_client, make_dealer, recorded_statements
from tests.test_admin_lists import add_customers, rows_in
from tests import test_migrations

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}

# A second, empty database for the migration test (tests/test_migrations.py's fixtures).
empty_database_url = test_migrations.empty_database_url
migration_app = test_migrations.migration_app


# Helpers ------------------------------------------------------------------------------
def add(*records):
    db.session.add_all(records)
    db.session.commit()
    return records


def column_values(page: str, column: str) -> list[str]:
    """The cells of one list column, top to bottom."""
    return [cell.strip() for cell in re.findall(rf'<td class="col-{column}">(.*?)</td>', page, re.S)]


def names_in(page: str) -> list[str]:
    return column_values(page, "name")


def shown_count(page: str) -> str | None:
    """What the List tab says in brackets: "25", "25+"; None when it shows no count (none found)."""
    match = re.search(r'class="nav-link active" aria-current="page">List(?: \(([^)]*)\))?</span>', page)
    assert match, "no List tab on the page (was it read in English?)"
    return match.group(1)


def customer_list(client, **args) -> str:
    response = client.get("/admin/customer/", query_string=args, headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def found(client, search: str, **args) -> list[str]:
    """The names the customer list shows for this search."""
    return names_in(customer_list(client, search=search, **args))


def admin_view(app, endpoint: str):
    return next(view for view in app.extensions["admin"][0]._views if getattr(view, "endpoint", None) == endpoint)


def filter_arg(app, endpoint: str, filter_class) -> str:
    """The URL argument of the view's filter of this class: flt0_<its arg>."""
    view = admin_view(app, endpoint)
    with app.test_request_context():
        for index, flt in enumerate(view._filters):
            if type(flt) is filter_class:
                return f"flt0_{view.get_filter_arg(index, flt)}"
    raise AssertionError(f"{endpoint} has no {filter_class.__name__} filter")


def sort_arg(app, endpoint: str, column: str) -> str:
    """Flask-Admin's sort argument is the column's place in the list's columns."""
    view = admin_view(app, endpoint)
    names = [name for name, _title in view._list_columns]
    assert column in view._sortable_columns
    return str(names.index(column))


# Search: what finds a customer ----------------------------------------------------------
@pytest.fixture
def people(app, dealer):
    """Three customers with nothing in common but the dealer."""
    return dict(zip(("ouyang", "wang", "li"), add(
        Customer(name="欧阳娜娜", mobile="+8613812345678", other_phone="+862012345678",
                 email="NaNa.OuYang@Example.com", address="顺德区碧桂园大道18号", postal_code="528300",
                 dealer=dealer, status="actual"),
        Customer(name="王芳", mobile="+8613900001111", email="wangfang@qq.cn", address="浦东新区世纪大道100号",
                 postal_code="200120", dealer=dealer, status="actual"),
        Customer(name="李王明", mobile="+8613700002222", other_phone="+8615987654321", email="liwm@163.cn",
                 address="朝阳区建国路88号", postal_code="100022", dealer=dealer, status="actual"),
    )))


def finds(client, terms, expected) -> None:
    """Each of `terms` finds exactly `expected` (all are tried, so that a failure lists every term that failed)."""
    assert {term: found(client, term) for term in terms} == dict.fromkeys(terms, expected)


def test_three_or_more_characters_of_the_name_find_it_wherever_they_are(clerk_client, people):
    finds(clerk_client, ["欧阳娜", "阳娜娜", "欧阳娜娜"], ["欧阳娜娜"])


def test_part_of_the_address_finds_the_customer(clerk_client, people):
    finds(clerk_client, ["碧桂园", "桂园大道18", "18号"], ["欧阳娜娜"])


def test_part_of_the_email_finds_the_customer_in_any_case(clerk_client, people):
    finds(clerk_client, ["ouyang@example", "OUYANG@EXAMPLE.COM", "Nana.ouYang"], ["欧阳娜娜"])


def test_the_postal_code_finds_the_customer(clerk_client, people):
    finds(clerk_client, ["528300", "5283"], ["欧阳娜娜"])


def test_one_or_two_characters_find_the_start_of_the_name(clerk_client, people):
    assert {term: found(clerk_client, term) for term in ("欧", "欧阳", "王芳", "李")} == {
        "欧": ["欧阳娜娜"], "欧阳": ["欧阳娜娜"], "王芳": ["王芳"], "李": ["李王明"]}


def test_one_or_two_characters_find_the_middle_or_end_of_the_name(clerk_client, people):
    """A given name (娜娜, 王明) is found wherever it stands in the full name."""
    assert {term: found(clerk_client, term) for term in ("阳娜", "娜娜", "娜", "王明", "明", "王")} == {
        "阳娜": ["欧阳娜娜"], "娜娜": ["欧阳娜娜"], "娜": ["欧阳娜娜"], "王明": ["李王明"], "明": ["李王明"],
        "王": ["李王明", "王芳"]}


def test_two_characters_must_stand_together_in_the_name(clerk_client, people):
    finds(clerk_client, ["欧娜", "李明"], [])


def test_one_or_two_characters_do_not_search_the_other_fields(clerk_client, people):
    # In 欧阳娜娜's address, mobile, email and postal code, but not in any name.
    finds(clerk_client, ["18", "碧", "ex", "52"], [])


def test_one_or_two_latin_letters_find_names_in_any_case(clerk_client, app, dealer):
    add(Customer(name="Anna Li", dealer=dealer, status="actual"))
    finds(clerk_client, ["li", "LI", "nn"], ["Anna Li"])


def test_part_of_the_mobile_finds_the_customer(clerk_client, people):
    finds(clerk_client, ["3812", "1234", "45678", "12345678", "1234-5678", "8123", "138-1234"], ["欧阳娜娜"])


def test_part_of_the_other_phone_finds_the_customer(clerk_client, people):
    finds(clerk_client, ["8765", "87654", "4321", "9876-5432"], ["李王明"])


def test_the_whole_mobile_finds_the_customer_however_written(clerk_client, people):
    finds(clerk_client, ["13812345678", "138-1234-5678", "+8613812345678", "+86-138-1234-5678",
                         "(+86)13812345678", "8613812345678", "138（1234）5678"], ["欧阳娜娜"])


def test_the_mobile_typed_in_groups_finds_the_customer_by_its_digits(clerk_client, people):
    # Spaces separate words: "138", "1234" and "5678" each match part of the number.
    finds(clerk_client, ["138 1234 5678", "138 5678"], ["欧阳娜娜"])


def test_the_mobile_with_the_country_code_typed_in_groups_finds_the_customer(clerk_client, people):
    """crm.services.search promises that "+86 138 1234 5678" is looked up as the whole number."""
    finds(clerk_client, ["+86 138 1234 5678", "+86 13812345678"], ["欧阳娜娜"])


def test_a_whole_mobile_in_other_phone_finds_the_customer(clerk_client, people):
    finds(clerk_client, ["15987654321", "159-8765-4321"], ["李王明"])


def test_a_landline_in_other_phone_is_found_by_its_whole_number(clerk_client, people):
    finds(clerk_client, ["020-12345678", "02012345678", "(020)12345678", "+86-20-12345678"], ["欧阳娜娜"])


def test_a_landline_is_found_as_the_back_office_writes_it(clerk_client, people):
    shown = display_phone("+862012345678")  # how the list and details show it: "020 1234 5678"
    assert " " in shown
    finds(clerk_client, [shown], ["欧阳娜娜"])


def test_a_whole_phone_number_matches_exactly_not_as_a_part(clerk_client, app, dealer):
    add(Customer(name="号码甲", mobile="+8613812345678", dealer=dealer, status="actual"),
        Customer(name="号码乙", mobile="+8613812345679", dealer=dealer, status="actual"))
    assert found(clerk_client, "13812345678") == ["号码甲"]


def test_on_postgresql_a_part_search_tells_the_planner_what_checking_a_row_costs_for_its_transaction(app, people):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner only")
    customer_search.narrow(select(Customer), "0817")
    assert db.session.scalar(text("SHOW cpu_operator_cost")) == "0.05"
    db.session.commit()
    assert db.session.scalar(text("SHOW cpu_operator_cost")) == "0.0025"


def test_on_postgresql_the_search_text_is_sampled_finely_enough_to_price_a_rare_part(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner only")
    target = db.session.scalar(text(
        "SELECT a.attstattarget FROM pg_attribute a JOIN pg_class i ON i.oid = a.attrelid "
        "WHERE i.relname = :index AND a.attnum = 1"), {"index": search_index.TRGM_INDEX})
    assert target == 1000


def test_every_word_must_match(clerk_client, people):
    assert {term: found(clerk_client, term) for term in ("欧阳 碧桂园", "碧桂园 528300 example", "欧阳 浦东",
                                                         "王 世纪大道", "王 王明", "芳 王明")} == {
        "欧阳 碧桂园": ["欧阳娜娜"], "碧桂园 528300 example": ["欧阳娜娜"], "欧阳 浦东": [], "王 世纪大道": ["王芳"],
        "王 王明": ["李王明"], "芳 王明": []}


def test_no_match_shows_an_empty_list_and_no_count(clerk_client, people):
    page = customer_list(clerk_client, search="没有这个人")
    assert rows_in(page) == 0 and names_in(page) == []
    assert shown_count(page) is None  # a count of 0: the tab says only "List"


def test_a_blank_search_lists_everyone(clerk_client, people):
    assert found(clerk_client, "   ") == ["李王明", "王芳", "欧阳娜娜"]


HOSTILE = ["%", "_", '"', "'", "*", "NEAR(", "AND", "OR", "NOT", "-", "\\", "%%%", "___", "\\\\\\", '"""',
           'a"b"c', "abc*", "NEAR(a b)", "欧阳 OR 王芳", "'; DROP TABLE customer; --", "^abc", "{x}", "col:abc",
           "()", "--", "+", "😀", "😀😀😀", "啊" * 500, "x" * 500, "1" * 500]


def test_hostile_input_neither_errors_nor_matches_anyone(clerk_client, people):
    finds(clerk_client, HOSTILE, [])


def test_a_nul_character_in_the_search_neither_errors_nor_matches_anyone(clerk_client, people):
    finds(clerk_client, ["\x00", "abc\x00def", "欧阳\x00"], [])


def test_percent_and_underscore_are_matched_literally(clerk_client, app, dealer):
    add(Customer(name="下划线", email="joy_lee@x.cn", dealer=dealer, status="actual"),
        Customer(name="字母x", email="joyxlee@x.cn", dealer=dealer, status="actual"),
        Customer(name="百分号", address="满意度100%的小区", dealer=dealer, status="actual"),
        Customer(name="没有号", address="满意度1000的小区", dealer=dealer, status="actual"))
    assert found(clerk_client, "joy_lee") == ["下划线"]
    assert found(clerk_client, "100%的") == ["百分号"]
    assert found(clerk_client, "y%lee") == []


def test_quotes_in_a_search_are_matched_literally(clerk_client, app, dealer):
    add(Customer(name="引号", address='"河畔"花园', dealer=dealer, status="actual"),
        Customer(name="无引号", address="河畔花园", dealer=dealer, status="actual"))
    assert found(clerk_client, '"河畔"') == ["引号"]


# Search stays right as customers change -----------------------------------------------
def test_a_new_customer_is_found_at_once(clerk_client, people, dealer):
    add(Customer(name="司马相如", mobile="+8613511112222", address="临江路9号", dealer=dealer, status="actual"))
    assert found(clerk_client, "马相如") == ["司马相如"]
    assert found(clerk_client, "13511112222") == ["司马相如"]
    assert found(clerk_client, "临江路") == ["司马相如"]


def test_a_renamed_customer_is_found_by_the_new_name_only(clerk_client, people):
    people["ouyang"].name = "上官婉儿"
    db.session.commit()
    assert found(clerk_client, "阳娜娜") == []
    assert found(clerk_client, "欧阳") == []
    assert found(clerk_client, "官婉儿") == ["上官婉儿"]
    assert found(clerk_client, "上官") == ["上官婉儿"]


def test_a_changed_mobile_is_found_by_the_new_number_only(clerk_client, people):
    people["wang"].mobile = "+8618655556666"
    db.session.commit()
    assert found(clerk_client, "13900001111") == []
    assert found(clerk_client, "00001111") == []
    assert found(clerk_client, "186-5555-6666") == ["王芳"]
    assert found(clerk_client, "5556") == ["王芳"]


def test_a_changed_address_and_email_are_found_by_the_new_text_only(clerk_client, people):
    people["li"].address, people["li"].email = "海淀区中关村大街1号", "newmail@126.cn"
    db.session.commit()
    assert found(clerk_client, "建国路") == [] and found(clerk_client, "liwm@") == []
    assert found(clerk_client, "中关村") == ["李王明"] and found(clerk_client, "NEWMAIL") == ["李王明"]


def test_changing_other_fields_keeps_the_customer_findable(clerk_client, people):
    people["ouyang"].status, people["ouyang"].notes = "potential", "回访过"
    db.session.commit()
    assert found(clerk_client, "碧桂园") == ["欧阳娜娜"]


def test_a_deleted_customer_is_no_longer_found(clerk_client, people):
    db.session.delete(people["ouyang"])
    db.session.commit()
    assert found(clerk_client, "阳娜娜") == []
    assert found(clerk_client, "13812345678") == []
    assert found(clerk_client, "碧桂园") == []
    assert found(clerk_client, "王芳") == ["王芳"]


def test_a_customer_deleted_in_the_back_office_is_no_longer_found(admin_client, people):
    assert found(admin_client, "李王明") == ["李王明"]
    record_id = people["li"].id
    response = admin_client.post("/admin/customer/delete/", data={"id": record_id})
    assert response.status_code == 302 and db.session.get(Customer, record_id) is None
    assert found(admin_client, "李王明") == [] and found(admin_client, "建国路") == []
    assert found(admin_client, "87654") == [] and found(admin_client, "159-8765-4321") == []


# Search: scope and order --------------------------------------------------------------
@pytest.fixture
def two_dealers_customers(app, dealer, other_dealer):
    return add(Customer(name="本店欧阳", mobile="+8613811110001", address="共同路1号", dealer=dealer, status="actual"),
               Customer(name="外店欧阳", mobile="+8613811110002", address="共同路2号", dealer=other_dealer,
                        status="actual"))


def test_a_dealer_never_finds_another_dealers_customer(dealer_client, two_dealers_customers):
    terms = ["外店欧阳", "店欧阳", "外店", "外", "13811110002", "138-1111-0002", "0002", "共同路2号", "共同路"]
    assert {term: "外店欧阳" in found(dealer_client, term) for term in terms} == dict.fromkeys(terms, False)


def test_a_dealer_finds_their_own_customers(dealer_client, two_dealers_customers):
    assert found(dealer_client, "共同路") == ["本店欧阳"]
    assert found(dealer_client, "欧阳") == ["本店欧阳"]  # not 外店欧阳, another dealer's
    assert found(dealer_client, "本店") == ["本店欧阳"]


def test_the_clerk_finds_both_dealers_customers(clerk_client, two_dealers_customers):
    assert found(clerk_client, "店欧阳") == ["外店欧阳", "本店欧阳"]


def test_search_results_come_newest_first(clerk_client, dealer, other_dealer):
    add(*[Customer(name=f"滨江{i}号客户", address=f"滨江路{i}号", dealer=(dealer, other_dealer)[i % 2],
                   status="actual") for i in range(1, 6)])
    add(Customer(name="别处客户", address="山前路1号", dealer=dealer, status="actual"))
    assert found(clerk_client, "滨江路") == [f"滨江{i}号客户" for i in range(5, 0, -1)]
    assert found(clerk_client, "滨江") == [f"滨江{i}号客户" for i in range(5, 0, -1)]


def test_a_dealers_search_results_come_newest_first(dealer_client, dealer, other_dealer):
    add(*[Customer(name=f"滨江{i}号客户", address=f"滨江路{i}号", dealer=(dealer, other_dealer)[i % 2],
                   status="actual") for i in range(1, 7)])
    assert found(dealer_client, "滨江路") == ["滨江6号客户", "滨江4号客户", "滨江2号客户"]


def test_search_results_can_be_sorted_by_name(clerk_client, app, dealer):
    add(*[Customer(name=name, address="梧桐街5号", dealer=dealer, status="actual")
          for name in ("Bei", "Dong", "Ai", "Chen")])
    add(Customer(name="Aaron", address="别的街", dealer=dealer, status="actual"))
    by_name = sort_arg(app, "customer", "name")
    assert found(clerk_client, "梧桐街", sort=by_name) == ["Ai", "Bei", "Chen", "Dong"]
    assert found(clerk_client, "梧桐街", sort=by_name, desc=1) == ["Dong", "Chen", "Bei", "Ai"]


def test_search_results_are_paged_when_sorted_by_name(clerk_client, app, dealer):
    add(*[Customer(name=f"Name{i:02d}", address="梧桐街", dealer=dealer, status="actual") for i in range(25, 0, -1)])
    by_name = sort_arg(app, "customer", "name")
    first = found(clerk_client, "梧桐街", sort=by_name)
    second = found(clerk_client, "梧桐街", sort=by_name, page=1)
    assert first + second == [f"Name{i:02d}" for i in range(1, 26)]


# Counts -------------------------------------------------------------------------------
def test_the_list_shows_the_exact_count_when_fewer_than_count_ahead_rows_follow(clerk_client, dealer):
    add_customers(dealer, 25)
    page = customer_list(clerk_client)
    assert shown_count(page) == "25" and rows_in(page) == 20


def test_the_count_is_a_lower_bound_with_a_plus_when_more_rows_follow(clerk_client, dealer, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_AHEAD", 5)
    add_customers(dealer, 26)
    page = customer_list(clerk_client)
    assert shown_count(page) == "25+" and rows_in(page) == 20


def test_the_count_is_exact_when_exactly_count_ahead_rows_follow(clerk_client, dealer, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_AHEAD", 5)
    add_customers(dealer, 25)
    assert shown_count(customer_list(clerk_client)) == "25"


def test_the_count_becomes_exact_on_a_later_page(clerk_client, dealer, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_AHEAD", 5)
    add_customers(dealer, 30)
    page = customer_list(clerk_client, page=1)
    assert shown_count(page) == "30" and rows_in(page) == 10


def test_the_lower_bound_counts_a_search_and_a_filter(clerk_client, app, dealer, other_dealer, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_AHEAD", 5)
    add_customers(dealer, 30, address="滨江路")
    add(*[Customer(name=f"外店{i}", dealer=other_dealer, status="actual") for i in range(3)])
    assert shown_count(customer_list(clerk_client, search="滨江路")) == "25+"
    assert shown_count(customer_list(clerk_client, **{filter_arg(app, "customer", CodeEquals): "SH-PD-001"})) == "3"


def test_large_counts_are_written_with_thousands_separators():
    assert str(listing.ListCount(1020, more=True)) == "1,020+"
    assert str(listing.ListCount(1020)) == "1,020"
    assert int(listing.ListCount(1020, more=True)) == 1020


# Paging: every row once, newest first, whatever the page size and narrowing --------------
@pytest.fixture
def fifty_customers(app, dealer, other_dealer):
    """Names in the order they were added; 40 of the dealer's on 滨江路, 10 of the other's."""
    people = [Customer(name=f"第{i:02d}位", address="滨江路" if i % 5 else "山前路",
                       dealer=other_dealer if i % 5 == 0 else dealer, status="actual") for i in range(50)]
    add(*people)
    return [person.name for person in people]


NARROWINGS = {
    "everyone": lambda app: ({}, lambda i: True),
    "search": lambda app: ({"search": "滨江路"}, lambda i: i % 5 != 0),
    "dealer filter": lambda app: ({filter_arg(app, "customer", CodeEquals): "GD-FS-001"}, lambda i: i % 5 != 0),
}


def expected_names(app, fifty_customers, narrowing):
    args, kept = NARROWINGS[narrowing](app)
    return args, [name for i, name in enumerate(fifty_customers) if kept(i)][::-1]


@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_pages_show_every_row_once_newest_first_at_every_page_size(clerk_client, app, fifty_customers, narrowing):
    args, expected = expected_names(app, fifty_customers, narrowing)
    for size in (20, 50, 100):
        pages = -(-len(expected) // size)
        seen = []
        for number in range(pages):
            page = customer_list(clerk_client, page=number, page_size=size, **args)
            assert shown_count(page) == str(len(expected)), (size, number)
            seen.extend(names_in(page))
        assert seen == expected, size


def test_the_second_and_last_pages_hold_the_right_rows(clerk_client, app, fifty_customers):
    for narrowing in NARROWINGS:
        args, expected = expected_names(app, fifty_customers, narrowing)
        last = (len(expected) - 1) // 20
        assert names_in(customer_list(clerk_client, page=1, **args)) == expected[20:40], narrowing
        assert names_in(customer_list(clerk_client, page=last, **args)) == expected[last * 20:], narrowing


def test_a_page_past_the_end_shows_the_last_page_and_the_real_count(clerk_client, app, fifty_customers):
    """As Django's paginator does: a page number beyond the last (a bookmark, the page a
    deleted record was on) shows the last page rather than an empty table."""
    for narrowing in NARROWINGS:
        args, expected = expected_names(app, fifty_customers, narrowing)
        for size, number in ((20, 3), (50, 1), (100, 1), (20, 9)):
            page = customer_list(clerk_client, page=number, page_size=size, **args)
            last = (len(expected) - 1) // size * size
            assert names_in(page) == expected[last:last + size], (narrowing, size, number)
            assert shown_count(page) == str(len(expected)), (narrowing, size, number)


def test_pages_show_every_row_once_while_the_count_is_a_lower_bound(clerk_client, fifty_customers, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_AHEAD", 5)
    pages = [customer_list(clerk_client, page=number) for number in range(3)]
    assert [shown_count(page) for page in pages] == ["25+", "45+", "50"]
    assert [name for page in pages for name in names_in(page)] == fifty_customers[::-1]


def test_a_page_far_past_the_end_shows_the_last_page_and_the_real_count(clerk_client, dealer, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_AHEAD", 5)
    add_customers(dealer, 45)
    page = customer_list(clerk_client, page=30)
    assert rows_in(page) == 5 and shown_count(page) == "45"
    assert 'aria-current="page">3</span>' in page


def test_a_page_of_an_empty_list_shows_nothing(clerk_client, app):
    page = customer_list(clerk_client, page=3)
    assert rows_in(page) == 0 and shown_count(page) is None


def answer_to(client, url: str):
    """The status code, or the name of the error the request raised (the test app propagates errors)."""
    try:
        return client.get(url, headers=EN).status_code
    except Exception as error:  # noqa: BLE001 - reported in the assertion, every URL tried
        return type(error).__name__


def test_a_nonsense_page_number_does_not_fail(clerk_client, dealer):
    add_customers(dealer, 3)
    answers = {arg: answer_to(clerk_client, f"/admin/customer/?page={arg}")
               for arg in ("-1", "-5", "abc", "1.5", "99999999999999999999")}
    assert {arg: answer in (200, 302, 400) for arg, answer in answers.items()} == dict.fromkeys(answers, True), answers


def test_a_dealer_pages_through_only_their_own_customers(dealer_client, fifty_customers):
    expected = [name for i, name in enumerate(fifty_customers) if i % 5][::-1]
    first, second = customer_list(dealer_client), customer_list(dealer_client, page=1)
    assert shown_count(first) == "40"
    assert names_in(first) + names_in(second) == expected


# Statements: the same handful whatever the page size or depth ---------------------------
LIST_URLS = ["/admin/customer/", "/admin/customer/?page_size=100", "/admin/customer/?page=3",
             "/admin/customer/?page_size=50&page=1", "/admin/customer/?search=滨江路",
             "/admin/customer/?search=滨江路&page=3", "/admin/customer/?search=13800000012",
             "/admin/customer/?search=王"]


def statements_for(client, url: str) -> list[str]:
    """Every statement the request runs, BEGIN included (SQLite's driver sends it; psycopg does not)."""
    with recorded_statements(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return statements


def test_a_customer_list_page_runs_at_most_five_statements(clerk_client, dealer):
    add_customers(dealer, 100, address="滨江路")
    counts = {url: len(statements_for(clerk_client, url)) for url in LIST_URLS}
    assert max(counts.values()) <= 5, counts


def test_the_customer_list_runs_as_many_statements_at_any_page_size_and_depth(clerk_client, dealer):
    add_customers(dealer, 100, address="滨江路")
    counts = {url: len(statements_for(clerk_client, url)) for url in LIST_URLS[:4]}
    assert len(set(counts.values())) == 1, counts


def test_a_dealers_customer_list_runs_at_most_five_statements_at_any_page_size_and_depth(dealer_client, dealer):
    add_customers(dealer, 100)
    counts = {url: len(statements_for(dealer_client, url)) for url in LIST_URLS[:4]}
    assert max(counts.values()) <= 5 and len(set(counts.values())) == 1, counts


def test_the_escalation_check_is_one_statement_when_nothing_is_due(app, overdue_complaints):
    with recorded_statements(db.engine) as statements:
        assert lifecycle.escalate_on_read() == 0
    assert len([sql for sql in statements if sql.strip().upper() != "BEGIN"]) == 1


@pytest.fixture
def overdue_complaints(app, dealer):
    """120 complaints answered in time but past their resolution deadline: overdue, and
    nothing left to escalate (reading the list writes nothing)."""
    people = add_customers(dealer, 10)
    moment = now()
    add(*[Complaint(number=f"TS-{i:04d}", customer=people[i % 10], dealer=dealer, category="delivery",
                    severity="normal", status="in_progress", description="送货延误",
                    received_at=moment - timedelta(days=10), first_response_due_at=moment - timedelta(days=9),
                    first_response_at=moment - timedelta(days=9, hours=2),
                    resolution_due_at=moment - timedelta(days=1)) for i in range(120)])
    add(Complaint(number="TS-FINE", customer=people[0], dealer=dealer, category="delivery", status="in_progress",
                  description="按时", received_at=moment, first_response_at=moment,
                  first_response_due_at=moment + timedelta(hours=4), resolution_due_at=moment + timedelta(days=3)))


def test_the_overdue_complaint_queue_runs_at_most_five_statements_at_any_page_size_and_depth(clerk_client, app,
                                                                                      overdue_complaints):
    from admin_views.cases import QueueFilter

    queue = filter_arg(app, "complaint", QueueFilter)
    urls = [f"/admin/complaint/?{queue}=overdue", f"/admin/complaint/?{queue}=overdue&page_size=100",
            f"/admin/complaint/?{queue}=overdue&page=3", f"/admin/complaint/?{queue}=overdue&page=1&page_size=100"]
    counts = {url: len(statements_for(clerk_client, url)) for url in urls}
    assert max(counts.values()) <= 5 and len(set(counts.values())) == 1, counts


def test_the_overdue_complaint_queue_lists_only_overdue_complaints(clerk_client, app, overdue_complaints):
    from admin_views.cases import QueueFilter

    queue = filter_arg(app, "complaint", QueueFilter)
    pages = [clerk_client.get(f"/admin/complaint/?{queue}=overdue&page={n}&page_size=50", headers=EN)
             .get_data(as_text=True) for n in range(3)]
    numbers = [number for page in pages for number in re.findall(r"TS-\d{4}", page)]
    assert shown_count(pages[0]) == "120"
    assert sorted(set(numbers)) == [f"TS-{i:04d}" for i in range(120)]
    assert all("TS-FINE" not in page for page in pages)


# Dealer filters -------------------------------------------------------------------------
@pytest.fixture
def three_dealers(app, dealer, other_dealer, product):
    guangzhou = make_dealer("GD-GZ-002", "广州天河店", city="广州市")
    dealers = {"GD-FS-001": dealer, "SH-PD-001": other_dealer, "GD-GZ-002": guangzhou}
    for code, owner in dealers.items():
        person = Customer(name=f"{code}客户", mobile=None, dealer=owner, status="actual")
        add(person, Order(order_number=f"SO-{code}", customer=person, dealer=owner, product=product, quantity=1,
                          ordered_on=now().date()))
    return dealers


DEALER_FILTERS = [
    (CodeEquals, "GD-FS-001", ["GD-FS-001"]),
    (CodeEquals, "gd-fs-001", ["GD-FS-001"]),
    (CodeEquals, " SH-PD-001 ", ["SH-PD-001"]),
    (CodeEquals, "GD-FS", []),
    (CodeStartsWith, "GD", ["GD-GZ-002", "GD-FS-001"]),
    (CodeStartsWith, "gd-gz", ["GD-GZ-002"]),
    (CodeStartsWith, "GD_", []),  # an underscore is itself, not any character
    (CodeStartsWith, "%", []),
    (NameContains, "浦东", ["SH-PD-001"]),
    (NameContains, "店", ["GD-GZ-002", "SH-PD-001", "GD-FS-001"]),
    (NameContains, "%", []),
    (NameEquals, "广州天河店", ["GD-GZ-002"]),
    (NameEquals, "广州", []),
]


def test_dealer_filters_on_the_customer_list(clerk_client, app, three_dealers):
    listed = {(f.__name__, value): names_in(customer_list(clerk_client, **{filter_arg(app, "customer", f): value}))
              for f, value, _codes in DEALER_FILTERS}
    assert listed == {(f.__name__, value): [f"{code}客户" for code in codes] for f, value, codes in DEALER_FILTERS}


def order_numbers(client, app, filter_class, value) -> list[str]:
    response = client.get("/admin/order/", headers=EN, query_string={filter_arg(app, "order", filter_class): value})
    assert response.status_code == 200
    return sorted(set(re.findall(r"SO-[A-Z]{2}-[A-Z]{2}-\d{3}", response.get_data(as_text=True))))


def test_dealer_filters_on_the_order_list(clerk_client, app, three_dealers):
    listed = {(f.__name__, value): order_numbers(clerk_client, app, f, value) for f, value, _codes in DEALER_FILTERS}
    assert listed == {(f.__name__, value): sorted(f"SO-{code}" for code in codes)
                      for f, value, codes in DEALER_FILTERS}


OTHER_DEALER = [(CodeEquals, "SH-PD-001"), (CodeEquals, "sh-pd-001"), (CodeStartsWith, "SH"),
                (NameContains, "浦东"), (NameEquals, "上海浦东月星家居店")]


@pytest.mark.parametrize("endpoint", ["customer", "order"])
def test_a_dealer_filtering_by_another_dealer_sees_nothing_of_it(dealer_client, app, three_dealers, endpoint):
    rows = {}
    for filter_class, value in OTHER_DEALER:
        page = dealer_client.get(f"/admin/{endpoint}/", headers=EN, query_string={
            filter_arg(app, endpoint, filter_class): value}).get_data(as_text=True)
        rows[filter_class.__name__, value] = (rows_in(page), "SH-PD-001客户" in page, "SO-SH-PD-001" in page)
    assert rows == dict.fromkeys(rows, (0, False, False))


def test_a_dealer_filtering_by_a_prefix_sees_only_their_own(dealer_client, app, three_dealers):
    page = customer_list(dealer_client, **{filter_arg(app, "customer", CodeStartsWith): "GD"})
    assert names_in(page) == ["GD-FS-001客户"]


def test_dealer_filters_combine_with_a_search(clerk_client, app, three_dealers):
    args = {filter_arg(app, "customer", CodeStartsWith): "GD"}
    assert found(clerk_client, "GZ-002", **args) == ["GD-GZ-002客户"]
    assert found(clerk_client, "PD-001", **args) == []  # found by the search, left out by the filter
    assert found(clerk_client, "GD", **args) == ["GD-GZ-002客户", "GD-FS-001客户"]


# Export -------------------------------------------------------------------------------
def csv_names(response) -> list[str]:
    assert response.status_code == 200
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    return [row[0] for row in rows[1:]]


def test_the_csv_export_of_a_search_holds_exactly_the_found_rows(clerk_client, fifty_customers):
    expected = [name for i, name in enumerate(fifty_customers) if i % 5][::-1]
    assert csv_names(clerk_client.get("/admin/customer/export/csv/", query_string={"search": "滨江路"})) == expected


def test_the_csv_export_of_a_phone_search_holds_only_that_customer(clerk_client, people):
    exported = {term: csv_names(clerk_client.get("/admin/customer/export/csv/", query_string={"search": term}))
                for term in ("138-1234-5678", "87654", "没有这个人")}
    assert exported == {"138-1234-5678": ["欧阳娜娜"], "87654": ["李王明"], "没有这个人": []}


def test_a_dealers_export_of_a_search_holds_only_their_own(dealer_client, two_dealers_customers):
    assert csv_names(dealer_client.get("/admin/customer/export/csv/", query_string={"search": "共同路"})) == [
        "本店欧阳"]


def test_the_export_follows_search_and_dealer_filter_together(clerk_client, app, fifty_customers, dealer,
                                                              other_dealer):
    add(Customer(name="外店滨江", address="滨江路", dealer=other_dealer, status="actual"))
    args = {"search": "滨江路", filter_arg(app, "customer", CodeEquals): "SH-PD-001"}
    assert csv_names(clerk_client.get("/admin/customer/export/csv/", query_string=args)) == ["外店滨江"]


# Dashboard snapshot -------------------------------------------------------------------
def headline(page: str) -> dict[str, int]:
    """The headline tiles: label -> figure."""
    tiles = page[:page.index('id="service-heading"')]
    figures = re.findall(r'figure-value d-block">(\d+)</span>\s*<span class="figure-label d-block">([^<]+)<',
                         tiles)
    return {label: int(value) for value, label in figures}


def dashboard(client, headers=EN, **args) -> str:
    response = client.get("/admin/", query_string=args, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def kept_for_five_minutes(app, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_MAX_AGE_SECONDS", 300)


def add_complaint(customer, number: str):
    add(Complaint(number=number, customer=customer, dealer=customer.dealer, category="delivery", status="new",
                  description="x", received_at=now(), first_response_due_at=now() + timedelta(hours=4)))


def test_a_second_read_shows_the_kept_figures(clerk_client, customer, kept_for_five_minutes):
    first = headline(dashboard(clerk_client))
    add(Customer(name="后来者", dealer=customer.dealer, status="actual"))
    add_complaint(customer, "TS-NEW-1")
    assert headline(dashboard(clerk_client)) == first
    assert first["Customers"] == 1 and first["Open complaints"] == 0


def test_refresh_shows_the_current_figures_and_keeps_them(clerk_client, customer, kept_for_five_minutes):
    dashboard(clerk_client)
    add(Customer(name="后来者", dealer=customer.dealer, status="actual"))
    add_complaint(customer, "TS-NEW-1")
    refreshed = headline(dashboard(clerk_client, refresh=1))
    assert refreshed["Customers"] == 2 and refreshed["Open complaints"] == 1
    assert headline(dashboard(clerk_client)) == refreshed


def test_the_kept_page_says_when_the_figures_were_computed_and_offers_to_refresh(clerk_client, customer,
                                                                                 kept_for_five_minutes):
    page = dashboard(clerk_client)
    assert "Figures as of" in page and "Compute them now" in page
    assert re.search(r'href="/admin/\?[^"]*refresh=1', page)
    assert now().strftime("%Y-%m-%d") in page


def test_kept_figures_older_than_the_max_age_are_computed_again(clerk_client, customer, kept_for_five_minutes):
    dashboard(clerk_client)
    db.session.execute(Snapshot.__table__.update().values(computed_at=now() - timedelta(seconds=301)))
    db.session.commit()
    add(Customer(name="后来者", dealer=customer.dealer, status="actual"))
    assert headline(dashboard(clerk_client))["Customers"] == 2


def test_a_dealer_never_gets_the_figures_kept_for_the_clerk(app, clerk_client, dealer, other_dealer,
                                                            kept_for_five_minutes):
    add_customers(dealer, 1)
    add(*[Customer(name=f"外店{i}", dealer=other_dealer, status="actual") for i in range(2)])
    assert headline(dashboard(clerk_client))["Customers"] == 3
    dealer_client = logged_in_client(app, "dealer1", "dealer", dealer=dealer)
    assert headline(dashboard(dealer_client))["Customers"] == 1


def test_the_clerk_never_gets_the_figures_kept_for_a_dealer(app, clerk_client, dealer, other_dealer,
                                                            kept_for_five_minutes):
    add_customers(dealer, 1)
    add(*[Customer(name=f"外店{i}", dealer=other_dealer, status="actual") for i in range(2)])
    dealer_client = logged_in_client(app, "dealer1", "dealer", dealer=dealer)
    assert headline(dashboard(dealer_client))["Customers"] == 1
    assert headline(dashboard(clerk_client))["Customers"] == 3


def test_one_dealer_never_gets_the_figures_kept_for_another(app, dealer, other_dealer, kept_for_five_minutes):
    add_customers(dealer, 1)
    add(*[Customer(name=f"外店{i}", dealer=other_dealer, status="actual") for i in range(2)])
    first = logged_in_client(app, "dealer1", "dealer", dealer=dealer)
    assert headline(dashboard(first))["Customers"] == 1
    second = logged_in_client(app, "dealer2", "dealer", dealer=other_dealer)
    assert headline(dashboard(second))["Customers"] == 2


ENGLISH_LABELS = {"Customers", "Actual customers", "Open complaints", "Hotline tickets today",
                  "Feedback cards this week"}


@pytest.mark.parametrize("first, second", [(EN, ZH), (ZH, EN)], ids=["english-first", "chinese-first"])
def test_each_language_gets_figures_in_its_own_language(clerk_client, customer, kept_for_five_minutes, first,
                                                        second):
    for headers in (first, second, first):
        labels = set(headline(dashboard(clerk_client, headers=headers)))
        if headers is EN:
            assert labels == ENGLISH_LABELS
        else:
            assert not labels & ENGLISH_LABELS and {"客户", "未结投诉"} <= labels


def test_each_period_keeps_its_own_figures(clerk_client, customer, kept_for_five_minutes):
    assert headline(dashboard(clerk_client, days=90))["Customers"] == 1
    add(Customer(name="后来者", dealer=customer.dealer, status="actual"))
    assert headline(dashboard(clerk_client, days=30))["Customers"] == 2
    assert headline(dashboard(clerk_client, days=90))["Customers"] == 1


def test_with_no_max_age_the_figures_are_always_current_and_undated(clerk_client, customer, app):
    assert app.config["DASHBOARD_MAX_AGE_SECONDS"] == 0  # the test settings
    page = dashboard(clerk_client)
    assert "Figures as of" not in page and "Compute them now" not in page
    assert headline(page)["Customers"] == 1
    add(Customer(name="后来者", dealer=customer.dealer, status="actual"))
    add_complaint(customer, "TS-NEW-1")
    current = headline(dashboard(clerk_client))
    assert current["Customers"] == 2 and current["Open complaints"] == 1
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == 0


def test_snapshots_are_not_in_the_audit_trail(clerk_client, customer, kept_for_five_minutes):
    dashboard(clerk_client)
    dashboard(clerk_client, refresh=1)
    dashboard(clerk_client, headers=ZH)
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.record_type == "snapshot")) == 0


# Migration ----------------------------------------------------------------------------
def search_names(term: str) -> list[str]:
    query, _fts = customer_search.narrow(select(Customer.name).order_by(Customer.id), term)
    return list(db.session.scalars(query))


def test_search_works_after_downgrading_below_the_index_and_upgrading_again(migration_app):
    upgrade()
    add(Customer(name="欧阳娜娜", mobile="+8613812345678", address="碧桂园大道18号", status="actual"))
    db.session.remove()
    downgrade(revision="0006")
    # Added while the index is missing (with that revision's columns): the upgrade must index it too.
    db.session.execute(text(
        "INSERT INTO customer (name, gender, mobile, address, status, consent_to_contact, created_at, updated_at) "
        "VALUES ('司马相如', 'unspecified', '+8613511112222', '临江路9号', 'actual', false, :at, :at)"),
        {"at": datetime(2026, 1, 5, 10, 0)})
    db.session.commit()
    db.session.remove()
    upgrade()
    add(Customer(name="上官婉儿", mobile="+8613611113333", address="碧桂园东路1号", status="actual"))
    assert search_names("碧桂园") == ["欧阳娜娜", "上官婉儿"]
    assert search_names("马相如") == ["司马相如"]
    assert search_names("临江路") == ["司马相如"]
    assert search_names("13812345678") == ["欧阳娜娜"]
    assert search_names("上官") == ["上官婉儿"]
