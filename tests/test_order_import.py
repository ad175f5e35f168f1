"""Dealers hand over their order spreadsheets: template, preview, all-or-nothing import,
skipping bad rows, undo, re-import, and hostile files."""
import csv
import io
import re
import tracemalloc
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text

from crm.extensions import db
from crm.models import AuditEntry, Customer, ImportRow, Order, OrderImport, Visit
from crm.services import imports, order_sheet
from crm.services.errors import ServiceError
from tests.conftest import make_user

HEADERS = ["客户姓名", "手机号码", "详细地址", "产品型号", "数量", "金额", "订单号", "下单日期", "送货日期"]
EN = {"Accept-Language": "en"}


def row(name="张三", mobile="13912340001", address="天河路1号", model="SF-2031", quantity="1", amount="9800",
        number="IMP-1", ordered="2026-03-01", delivered=""):
    return [name, mobile, address, model, quantity, amount, number, ordered, delivered]


def csv_bytes(rows, headers=HEADERS, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    workbook.active.append(headers)
    for cells in rows:
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def clerk(app):
    return make_user("clerk", "clerk")


def stage(data: bytes, dealer, user, name="orders.csv") -> OrderImport:
    return imports.stage(imports.open_upload(io.BytesIO(data)), name, dealer.id, user)


def outcomes(batch) -> list[str]:
    return [r.outcome for r in db.session.scalars(select(ImportRow).where(ImportRow.import_id == batch.id)
                                                  .order_by(ImportRow.row_number))]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# The template ----------------------------------------------------------------------------------
def test_the_csv_template_has_chinese_and_english_headers(clerk_client):
    text = clerk_client.get("/admin/order_import/template.csv").get_data(as_text=True)
    assert text.startswith("\ufeff客户姓名 / Customer name *,手机号码 / Mobile phone *")


def test_the_xlsx_template_reads_back_as_a_valid_upload(clerk_client, app):
    data = clerk_client.get("/admin/order_import/template.xlsx").data
    sheet, keys = imports.open_upload(io.BytesIO(data))
    assert keys == [column.key for column in order_sheet.COLUMNS]
    assert load_workbook(io.BytesIO(data)).sheetnames[1] == "说明 Instructions"


# Preview -----------------------------------------------------------------------------------------
def test_the_preview_marks_new_existing_and_error_rows_and_writes_nothing(app, dealer, product, customer, clerk):
    rows = [row(mobile="13812345678", number="IMP-1"),            # the fixture customer's phone
            row(name="李四", mobile="13912340002", number="IMP-2"),  # new
            row(name="王五", mobile="12345", number="IMP-3")]        # bad phone
    batch = stage(csv_bytes(rows), dealer, clerk)
    assert outcomes(batch) == ["existing", "new", "error"]
    assert (batch.existing_rows, batch.new_rows, batch.error_rows) == (1, 1, 1)
    assert count(Order) == 0 and count(Customer) == 1


def test_an_existing_customer_is_also_found_by_name_and_address(app, dealer, product, clerk):
    db.session.add(Customer(name="赵敏", mobile="+8613900000099", address="天河路 9 号", dealer=dealer))
    db.session.commit()
    batch = stage(csv_bytes([row(name="赵敏", mobile="13912340009", address="天河路9号")]), dealer, clerk)
    assert outcomes(batch) == ["existing"]


def test_customers_of_another_dealership_are_not_matched(app, dealer, other_dealer, product, clerk):
    db.session.add(Customer(name="张三", mobile="+8613912340001", dealer=other_dealer))
    db.session.commit()
    assert outcomes(stage(csv_bytes([row()]), dealer, clerk)) == ["new"]


@pytest.mark.parametrize("cells, column, code", [
    (row(mobile="12345"), "mobile", "bad_phone"),
    (row(model="NOPE-1"), "product_model", "unknown_product"),
    (row(ordered=(date.today() + timedelta(days=30)).isoformat()), "ordered_on", "future_date"),
    (row(amount="-5"), "amount", "negative"),
    (row(name=""), "customer_name", "required"),
    (row(quantity="0"), "quantity", "quantity"),
    (row(ordered="三月一日"), "ordered_on", "bad_date"),
    (row(delivered="2026-02-01"), "delivered_on", "before_order"),
    (row(name="=HYPERLINK(\"http://x\")"), "customer_name", "formula"),
    (row(amount="1E+30"), "amount", "too_large"),
    (row(amount="99999999999999999"), "amount", "too_large"),
    (row(amount="NaN"), "amount", "bad_number"),
    (row(quantity="999999999999"), "quantity", "quantity"),
])
def test_each_bad_cell_says_why(app, dealer, product, clerk, cells, column, code):
    batch = stage(csv_bytes([cells]), dealer, clerk)
    problems = db.session.scalar(select(ImportRow.errors).where(ImportRow.import_id == batch.id))
    assert problems[column]["code"] == code


def test_a_duplicate_order_number_in_the_file_is_an_error(app, dealer, product, clerk):
    batch = stage(csv_bytes([row(number="IMP-1"), row(mobile="13912340002", number="IMP-1")]), dealer, clerk)
    assert outcomes(batch) == ["new", "error"]


def test_order_numbers_are_kept_as_written(app, dealer, product, clerk):
    db.session.add(Order(order_number="imp-1", customer=Customer(name="甲", dealer=dealer), dealer=dealer,
                         ordered_on=date(2026, 1, 1)))
    db.session.commit()
    batch = stage(csv_bytes([row(number="imp-1"), row(mobile="13912340002", number="IMP-1")]), dealer, clerk)
    assert outcomes(batch) == ["already", "new"]


def test_an_order_number_of_another_dealer_is_an_error(app, dealer, other_dealer, product, clerk):
    db.session.add(Order(order_number="IMP-1", customer=Customer(name="甲", dealer=other_dealer),
                         dealer=other_dealer, ordered_on=date(2026, 1, 1)))
    db.session.commit()
    assert outcomes(stage(csv_bytes([row()]), dealer, clerk)) == ["error"]


def test_reasons_are_shown_in_the_readers_language(clerk_client, dealer, product):
    batch = stage(csv_bytes([row(mobile="12345")]), dealer, make_user("someone", "clerk"))
    url = f"/admin/order_import/details/?id={batch.id}"
    assert "Not a valid mobile number." in clerk_client.get(url, headers=EN).get_data(as_text=True)
    assert "手机号码格式不正确" in clerk_client.get(url).get_data(as_text=True)


# Commit --------------------------------------------------------------------------------------------
def test_a_good_file_imports_every_row(app, dealer, product, clerk):
    rows = [row(number="IMP-1"), row(number="IMP-2"), row(name="李四", mobile="13912340002", number="IMP-3")]
    batch = imports.commit(stage(csv_bytes(rows), dealer, clerk), clerk, skip_errors=False)
    assert (batch.orders_created, batch.customers_created, batch.status) == (3, 2, "committed")
    zhang = db.session.scalar(select(Customer).where(Customer.mobile == "+8613912340001"))
    assert zhang.status == "actual" and zhang.dealer_id == dealer.id and len(zhang.orders) == 2
    assert {entry.record_type for entry in db.session.scalars(select(AuditEntry))} >= {"orders", "customer"}


def test_a_file_with_errors_is_refused_unless_the_user_skips_them(app, dealer, product, clerk):
    batch = stage(csv_bytes([row(number="IMP-1"), row(mobile="12345", number="IMP-2")]), dealer, clerk)
    with pytest.raises(ServiceError):
        imports.commit(batch, clerk, skip_errors=False)
    assert count(Order) == 0
    imports.commit(batch, clerk, skip_errors=True)
    assert db.session.scalars(select(Order.order_number)).all() == ["IMP-1"]


def test_a_failure_during_the_import_leaves_nothing(app, dealer, product, clerk, monkeypatch):
    rows = [row(mobile=f"139123{i:05d}", number=f"IMP-{i}") for i in range(imports.CHUNK + 10)]
    batch = stage(csv_bytes(rows), dealer, clerk)
    calls = []

    def fail_on_second_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(*args)

    original = imports._create_orders
    monkeypatch.setattr(imports, "_create_orders", fail_on_second_chunk)
    with pytest.raises(RuntimeError):
        imports.commit(batch, clerk, skip_errors=False)
    assert count(Order) == 0 and count(Customer) == 0
    db.session.refresh(batch)
    assert batch.status == "previewed"


def test_reimporting_the_same_file_adds_nothing(app, dealer, product, clerk):
    data = csv_bytes([row(number="IMP-1"), row(name="李四", mobile="13912340002", number="IMP-2")])
    imports.commit(stage(data, dealer, clerk), clerk, skip_errors=False)
    again = stage(data, dealer, clerk)
    assert outcomes(again) == ["already", "already"]
    with pytest.raises(ServiceError):
        imports.commit(again, clerk, skip_errors=False)
    assert (count(Order), count(Customer)) == (2, 2)


def test_an_imported_order_turns_a_potential_customer_into_an_actual_one(app, dealer, product, clerk):
    db.session.add(Customer(name="张三", mobile="+8613912340001", dealer=dealer, status="potential"))
    db.session.commit()
    batch = imports.commit(stage(csv_bytes([row()]), dealer, clerk), clerk, skip_errors=False)
    person = db.session.scalar(select(Customer))
    assert person.status == "actual"
    imports.undo(batch, clerk)
    db.session.refresh(person)
    assert person.status == "potential"


# Undo ----------------------------------------------------------------------------------------------
def test_undo_removes_the_imports_orders_and_new_customers(app, dealer, product, customer, clerk):
    rows = [row(mobile="13812345678", number="IMP-1"), row(name="李四", mobile="13912340002", number="IMP-2")]
    batch = imports.commit(stage(csv_bytes(rows), dealer, clerk), clerk, skip_errors=False)
    assert imports.undo(batch, clerk) == (2, 1, 0)
    assert count(Order) == 0 and db.session.scalars(select(Customer.id)).all() == [customer.id]
    assert batch.status == "undone"


def test_undo_keeps_a_new_customer_that_other_records_now_refer_to(app, dealer, product, clerk):
    batch = imports.commit(stage(csv_bytes([row()]), dealer, clerk), clerk, skip_errors=False)
    person = db.session.scalar(select(Customer))
    db.session.add(Visit(customer=person, channel="phone", purpose="follow_up", happened_at=date(2026, 3, 2)))
    db.session.commit()
    assert imports.undo(batch, clerk) == (1, 0, 1)
    assert count(Customer) == 1


def test_an_import_is_undone_only_once(app, dealer, product, clerk):
    batch = imports.commit(stage(csv_bytes([row()]), dealer, clerk), clerk, skip_errors=False)
    imports.undo(batch, clerk)
    with pytest.raises(ServiceError):
        imports.undo(batch, clerk)


# Hostile files ------------------------------------------------------------------------------------
def test_a_gbk_file_reads_like_a_utf8_one(app, dealer, product, clerk):
    batch = stage(csv_bytes([row(name="欧阳娜娜", address="珠江新城花城大道")], encoding="gbk"), dealer, clerk)
    assert db.session.scalar(select(ImportRow.values)).get("customer_name") == "欧阳娜娜"
    assert batch.new_rows == 1


def test_an_xlsx_file_with_excel_dates_and_numbers(app, dealer, product, clerk):
    cells = ["张三", 13912340001, "天河路1号", "SF-2031", 2, 9800.5, "IMP-1", date(2026, 3, 1), None]
    batch = stage(xlsx_bytes([cells]), dealer, clerk, "orders.xlsx")
    values = db.session.scalar(select(ImportRow.values))
    assert batch.new_rows == 1 and values["ordered_on"] == "2026-03-01" and values["amount"] == "9800.50"


def test_formulas_in_an_xlsx_are_refused_not_run(app, dealer, product, clerk):
    cells = ["=A1&\"x\"", "13912340001", "天河路1号", "SF-2031", 1, "=1+1", "IMP-1", "2026-03-01", None]
    stage(xlsx_bytes([cells]), dealer, clerk, "orders.xlsx")
    problems = db.session.scalar(select(ImportRow.errors))
    assert problems["customer_name"]["code"] == "formula" and problems["amount"]["code"] == "formula"


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    ("\ufeff\r\n".encode(), "The file is empty."),
    (csv_bytes([], headers=HEADERS), "The file has headers but no rows."),
    (csv_bytes([row()], headers=["name", "phone", "x"]), "The headers are not the template's"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file"),
    (b"PK\x03\x04broken zip", "This workbook cannot be opened"),
    (bytes(range(256)) * 10, "neither UTF-8 nor GBK"),
])
def test_hostile_files_are_refused_with_a_reason_and_nothing_kept(app, dealer, product, clerk, data, message):
    with force_locale("en"), pytest.raises(ServiceError) as refused:
        stage(data, dealer, clerk)
    assert message in str(refused.value.message)
    assert count(OrderImport) == 0 and count(ImportRow) == 0


def test_an_oversize_upload_is_refused_with_a_clear_message(clerk_client, app, dealer, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    response = clerk_client.post("/admin/order_import/upload/", headers=EN, content_type="multipart/form-data",
                                 data={"dealer": dealer.code, "file": (io.BytesIO(b"x" * 5000), "big.csv")})
    assert response.status_code == 413 and count(OrderImport) == 0


# Through the back office ---------------------------------------------------------------------------
def upload(client, data: bytes, name="orders.csv", **fields):
    return client.post("/admin/order_import/upload/", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data", headers=EN)


def test_a_clerk_uploads_for_a_dealer_and_sees_the_preview(clerk_client, dealer, product):
    page = upload(clerk_client, csv_bytes([row()]), dealer=dealer.code).get_data(as_text=True)
    batch = db.session.scalar(select(OrderImport))
    assert f'href="/admin/order_import/details/?id={batch.id}"' in page and 'class="alert alert-success"' in page
    assert batch.dealer_id == dealer.id


def test_wrong_headers_are_explained_on_the_upload_form(clerk_client, dealer, product):
    response = upload(clerk_client, csv_bytes([row()], headers=["a", "b"]), dealer=dealer.code)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "missing columns" in page and f'value="{dealer.code}"' in page


def test_an_unknown_dealer_code_is_refused(clerk_client, product):
    response = upload(clerk_client, csv_bytes([row()]), dealer="NOPE-1")
    assert response.status_code == 400 and "No dealer has the code NOPE-1" in response.get_data(as_text=True)


def test_a_dealer_imports_into_their_own_dealership_whatever_the_form_says(dealer_client, dealer, other_dealer,
                                                                          product):
    upload(dealer_client, csv_bytes([row()]), dealer=other_dealer.code)
    assert db.session.scalar(select(OrderImport.dealer_id)) == dealer.id


def test_a_dealer_cannot_open_another_dealerships_import(dealer_client, other_dealer, product):
    batch = stage(csv_bytes([row()]), other_dealer, make_user("clerk9", "clerk"))
    assert dealer_client.get(f"/admin/order_import/details/?id={batch.id}").status_code == 404
    assert dealer_client.post(f"/admin/order_import/commit/?id={batch.id}").status_code == 404


def test_import_and_undo_from_the_preview_page(clerk_client, dealer, product):
    upload(clerk_client, csv_bytes([row(), row(mobile="12345", number="IMP-2")]), dealer=dealer.code)
    batch = db.session.scalar(select(OrderImport))
    refused = clerk_client.post(f"/admin/order_import/commit/?id={batch.id}", headers=EN, follow_redirects=True)
    assert "1 rows have errors" in refused.get_data(as_text=True) and count(Order) == 0
    done = clerk_client.post(f"/admin/order_import/commit/?id={batch.id}", data={"skip_errors": "y"}, headers=EN)
    assert "Imported 1 orders and 1 new customers." in done.get_data(as_text=True) and count(Order) == 1
    clerk_client.post(f"/admin/order_import/undo/?id={batch.id}")
    assert count(Order) == 0


def big_csv(rows: int, prefix: str) -> io.BytesIO:
    header = ",".join(HEADERS) + "\n"
    body = "".join(f"客户{i},139{i:08d},路{i}号,SF-2031,1,100,{prefix}-{i},2026-03-01,\n" for i in range(rows))
    return io.BytesIO((header + body).encode())


def staging_peak(data: io.BytesIO, dealer, clerk) -> int:
    """Peak memory Python allocated while staging, beyond what it held before."""
    tracemalloc.start()
    try:
        imports.stage(imports.open_upload(data), "big.csv", dealer.id, clerk)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file(app, dealer, product, clerk):
    small = staging_peak(big_csv(2_000, "S"), dealer, clerk)
    large = staging_peak(big_csv(20_000, "L"), dealer, clerk)  # ten times the rows
    # Holding the rows would cost well over 1 KB each; only the order numbers seen (to find
    # duplicates within the file) may grow with it.
    assert (large - small) / 18_000 < 300


def test_a_file_of_100000_rows_imports_with_progress(app, dealer, product, clerk):
    rows = 100_000
    # A new archive: statistics that say the tables are empty, so the planner would scan
    # any table that grows inside the import's transaction.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    steps = imports.staging(imports.open_upload(big_csv(rows, "BIG")), "big.csv", dealer.id, clerk)
    reports = []
    while True:
        try:
            reports.append(next(steps))
        except StopIteration as done:
            batch = done.value
            break
    assert batch.new_rows == rows and len(reports) >= rows // imports.CHUNK - 1 and reports == sorted(reports)
    written = list(imports.committing(batch, clerk, skip_errors=False))
    assert written[-1] == rows and count(Order) == rows and count(Customer) == rows


def test_streamed_progress_reports_every_few_thousand_rows(clerk_client, dealer, product):
    rows = [row(mobile=f"139{i:08d}", number=f"IMP-{i}") for i in range(6000)]
    page = upload(clerk_client, csv_bytes(rows), dealer=dealer.code).get_data(as_text=True)
    assert re.search(r"<li>5,000 rows read</li>", page)


def test_a_choice_error_lists_the_choices_in_the_readers_language(app, dealer, product, clerk):
    headers = HEADERS + ["家庭阶段"]
    batch = stage(csv_bytes([row() + ["大家庭"]], headers=headers), dealer, clerk)
    problem = db.session.scalar(select(ImportRow.errors))["household_stage"]
    with force_locale("en"):
        assert "Single、Couple、" in order_sheet.describe(problem) and "young_family" not in order_sheet.describe(problem)
    assert batch.error_rows == 1


def test_an_order_entered_after_the_preview_stops_the_import(app, dealer, product, clerk):
    batch = stage(csv_bytes([row(number="IMP-1")]), dealer, clerk)
    db.session.add(Order(order_number="IMP-1", customer=Customer(name="甲", dealer=dealer), dealer=dealer,
                         ordered_on=date(2026, 1, 1)))
    db.session.commit()
    with force_locale("en"), pytest.raises(ServiceError, match="entered after the preview"):
        imports.commit(batch, clerk, skip_errors=False)
    assert count(Order) == 1


def test_a_matched_customer_deleted_after_the_preview_stops_the_import(app, dealer, product, customer, clerk):
    batch = stage(csv_bytes([row(mobile="13812345678")]), dealer, clerk)
    db.session.delete(customer)
    db.session.commit()
    with pytest.raises(ServiceError):
        imports.commit(batch, clerk, skip_errors=False)
    assert count(Order) == 0


def test_undo_is_refused_while_complaints_refer_to_the_imported_orders(app, dealer, product, clerk):
    from crm.clock import now
    from crm.models import Complaint

    batch = imports.commit(stage(csv_bytes([row()]), dealer, clerk), clerk, skip_errors=False)
    order = db.session.scalar(select(Order))
    db.session.add(Complaint(number="TS-1", customer_id=order.customer_id, order=order, category="delivery",
                             description="x", received_at=now()))
    db.session.commit()
    with pytest.raises(ServiceError):
        imports.undo(batch, clerk)
    assert count(Order) == 1 and batch.status == "committed"


def test_an_array_formula_in_an_xlsx_is_refused(app, dealer, product, clerk):
    from openpyxl.worksheet.formula import ArrayFormula

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(row())
    sheet["A2"] = ArrayFormula("A2", "=SUM(B2:B3)")
    buffer = io.BytesIO()
    workbook.save(buffer)
    stage(buffer.getvalue(), dealer, clerk, "orders.xlsx")
    assert db.session.scalar(select(ImportRow.errors))["customer_name"]["code"] == "formula"


def test_a_huge_page_number_shows_an_empty_page(clerk_client, dealer, product):
    batch = stage(csv_bytes([row()]), dealer, make_user("clerk8", "clerk"))
    assert clerk_client.get(f"/admin/order_import/details/?id={batch.id}&page={10**20}").status_code == 200
