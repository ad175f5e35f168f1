"""Every list exports, as CSV or XLSX, the rows the user may see with the list's own search,
filters and sort, streamed, with formula-like cells neutralised."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from crm.extensions import db
from crm.models import Customer
from crm.services import spreadsheets

ENDPOINTS = ["customer", "order", "visit", "complaint", "hotline_ticket", "feedback_card", "card_batch", "dealer",
             "product", "user", "audit", "order_import"]


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def customers(app, dealer, other_dealer):
    db.session.add_all([
        Customer(name="王芳", mobile="+8613800000001", city="佛山市", dealer=dealer, status="actual"),
        Customer(name="李娜", mobile="+8613800000002", city="广州市", dealer=dealer, status="potential"),
        Customer(name="=1+2", mobile="+8613800000003", city="@SUM(A1)", dealer=dealer, status="actual"),
        Customer(name="陈静", mobile="+8613900000004", city="上海市", dealer=other_dealer, status="actual"),
    ])
    db.session.commit()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_list_exports_in_both_formats(admin_client, endpoint, kind):
    response = admin_client.get(f"/admin/{endpoint}/export/{kind}/")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response) if kind == "csv" else xlsx_rows(response)
    assert rows and all(rows[0])  # a header row naming every column


def test_the_export_holds_every_row_not_one_page(admin_client, dealer):
    db.session.execute(insert(Customer), [{"name": f"客户{i}", "dealer_id": dealer.id, "status": "actual",
                                           "gender": "unspecified", "consent_to_contact": False}
                                          for i in range(130)])
    db.session.commit()
    assert len(csv_rows(admin_client.get("/admin/customer/export/csv/"))) == 131


def test_the_export_follows_the_lists_search_and_filters(admin_client, customers):
    rows = csv_rows(admin_client.get("/admin/customer/export/csv/?search=王芳"))
    assert [row[0] for row in rows[1:]] == ["王芳"]
    index_page = admin_client.get("/admin/customer/?search=李娜").get_data(as_text=True)
    assert "/admin/customer/export/csv/?search=" in index_page  # the export link carries the search


def test_a_dealer_exports_only_their_own_rows_in_both_formats(dealer_client, customers):
    names = [row[0] for row in csv_rows(dealer_client.get("/admin/customer/export/csv/"))[1:]]
    assert sorted(names) == sorted(["王芳", "李娜", "'=1+2"])
    names = [row[0] for row in xlsx_rows(dealer_client.get("/admin/customer/export/xlsx/"))[1:]]
    assert "陈静" not in names and len(names) == 3


def test_formula_cells_are_neutralised_in_csv(clerk_client, customers):
    text = clerk_client.get("/admin/customer/export/csv/").get_data(as_text=True)
    assert "'=1+2" in text and "'@SUM(A1)" in text and "\n=1+2" not in text


def test_formula_cells_stay_text_in_xlsx(clerk_client, customers):
    data = clerk_client.get("/admin/customer/export/xlsx/").data
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str) and "1+2" in cell.value]
    assert cells and all(cell.data_type == "s" and cell.value == "'=1+2" for cell in cells)


@pytest.mark.parametrize("value", ["=cmd", "+1", "-1", "@x", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(value):
    assert spreadsheets.spreadsheet_safe(value) == "'" + value


def test_csv_is_produced_in_chunks_not_all_at_once():
    total = spreadsheets.ROWS_PER_CHUNK * 4
    rows = ([f"客户{i}", i] for i in range(total))
    chunks = list(spreadsheets.csv_stream(["姓名", "编号"], rows))
    assert len(chunks) >= 4 and "".join(chunks).count("\n") == total + 1


def test_more_rows_than_a_spreadsheet_holds_are_refused_for_xlsx(clerk_client, customers, monkeypatch):
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 3)
    response = clerk_client.get("/admin/customer/export/xlsx/", headers={"Accept-Language": "en"},
                                follow_redirects=True)
    assert "more than a spreadsheet holds" in response.get_data(as_text=True)


def test_related_records_that_look_like_formulas_are_neutralised(clerk_client, dealer, product):
    from datetime import date

    from crm.models import Order

    customer = Customer(name="=HYPERLINK(\"http://e\",\"x\")", dealer=dealer, status="actual")
    db.session.add(Order(order_number="SO-1", customer=customer, dealer=dealer, product=product,
                         ordered_on=date(2026, 1, 1)))
    db.session.commit()
    rows = csv_rows(clerk_client.get("/admin/order/export/csv/"))
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1]) and not any(cell.startswith("=") for cell in rows[1])


def test_the_export_has_as_many_rows_as_the_list_counts(admin_client, customers):
    rows = csv_rows(admin_client.get("/admin/customer/export/csv/"))
    assert len(rows) - 1 == db.session.query(Customer).count()
