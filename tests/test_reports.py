"""The reports' figures against values computed by hand on a small archive, for a clerk
and for a dealer, and their exports."""
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.extensions import db
from crm.models import Complaint, Customer, Order, Product
from crm.services import reports
from tests.conftest import make_user

PERIOD = reports.Period(date(2026, 1, 1), date(2026, 6, 30))
EN = {"Accept-Language": "en"}


@pytest.fixture
def archive(app, dealer, other_dealer):
    sofa = Product(model_number="SF-1", name="沙发", series="云栖", category="sofa")
    bed = Product(model_number="BD-1", name="床", series="檀韵", category="bed")
    in_period, before = datetime(2026, 3, 1, 10), datetime(2025, 6, 1, 10)

    def person(name, dealer_, status, channel, province, created=in_period, **fields):
        return Customer(name=name, dealer=dealer_, status=status, channel=channel, province=province,
                        created_at=created, **fields)

    own_1 = person("王芳", dealer, "actual", "referral", "广东省", salesperson="李明", household_stage="couple",
                   postal_code="528300")
    own_2 = person("李娜", dealer, "potential", "referral", "广东省", salesperson="李明")
    own_3 = person("陈静", dealer, "actual", "web", "广西壮族自治区", salesperson="赵强")
    own_old = person("老客户", dealer, "actual", "web", "广东省", created=before)
    other_1 = person("周洁", other_dealer, "actual", "referral", "上海市")
    db.session.add_all([sofa, bed, own_1, own_2, own_3, own_old, other_1])

    def order(number, customer, product, amount, ordered_on, quantity=1):
        db.session.add(Order(order_number=number, customer=customer, dealer=customer.dealer, product=product,
                             amount=Decimal(amount), quantity=quantity, ordered_on=ordered_on))

    order("O1", own_1, sofa, "10000", date(2026, 2, 1))
    order("O2", own_1, bed, "6000", date(2026, 3, 1), quantity=2)
    order("O3", own_3, sofa, "8000", date(2026, 4, 1))
    order("O4", own_old, sofa, "9000", date(2026, 5, 1))
    order("O5", own_old, bed, "5000", date(2025, 12, 1))  # before the period
    order("O6", other_1, sofa, "12000", date(2026, 2, 15))

    def complaint(number, customer, product, received):
        db.session.add(Complaint(number=number, customer=customer, dealer=customer.dealer, product=product,
                                 category="product_quality", description="x", received_at=received))

    complaint("C1", own_1, sofa, datetime(2026, 2, 10, 9))
    complaint("C2", own_3, sofa, datetime(2026, 4, 10, 9))
    complaint("C3", other_1, sofa, datetime(2026, 3, 10, 9))
    complaint("C4", own_1, bed, datetime(2026, 7, 10, 9))  # after the period
    db.session.commit()
    return {"clerk": make_user("clerk9", "clerk"), "dealer": make_user("dealer9", "dealer", dealer=dealer)}


def rows(key, user, dealer_id=None):
    return reports.build(key, user, PERIOD, dealer_id).rows


def test_customers_by_region_count_those_recorded_in_the_period(archive):
    assert rows("customers_region", archive["clerk"]) == [("广东省", 2), ("上海市", 1), ("广西壮族自治区", 1)]
    assert rows("customers_region", archive["dealer"]) == [("广东省", 2), ("广西壮族自治区", 1)]


def test_customers_by_dealer_and_salesperson(archive, dealer, other_dealer):
    assert rows("customers_dealer", archive["clerk"]) == [(f"{dealer.code} {dealer.name}", 3),
                                                          (f"{other_dealer.code} {other_dealer.name}", 1)]
    assert rows("customers_salesperson", archive["dealer"]) == [("李明", 2), ("赵强", 1)]


def test_customers_by_postal_code_stage_and_channel_name_missing_values(archive):
    with app_locale("en"):
        assert rows("customers_postal_code", archive["dealer"]) == [("Not recorded", 2), ("528300", 1)]
        assert rows("customers_stage", archive["dealer"]) == [("Not recorded", 2), ("Couple", 1)]
        assert rows("customers_channel", archive["clerk"]) == [("Customer referral", 3), ("Web", 1)]


def test_purchases_by_category_with_frequency_and_value(archive):
    with app_locale("en"):
        table = reports.build("purchases_category", archive["clerk"], PERIOD)
    # Sofas: O1, O3, O4, O6 = 4 orders by 4 buyers, 39,000; beds: O2 = 1 order, 2 pieces, 6,000.
    assert table.rows == [("Sofa", 4, 4, 1.0, 4, Decimal("39000.00"), Decimal("9750.00")),
                          ("Bed", 1, 1, 1.0, 2, Decimal("6000.00"), Decimal("6000.00"))]


def test_purchases_by_series_for_the_dealer(archive):
    assert rows("purchases_series", archive["dealer"]) == [
        ("云栖", 3, 3, 1.0, 3, Decimal("27000.00"), Decimal("9000.00")),
        ("檀韵", 1, 1, 1.0, 2, Decimal("6000.00"), Decimal("6000.00"))]


def test_conversion_by_channel_and_dealer(archive, dealer, other_dealer):
    with app_locale("en"):
        # Recorded in the period: referral 王芳 (actual), 李娜 (potential), 周洁 (actual); web 陈静 (actual).
        assert rows("conversion_channel", archive["clerk"]) == [("Web", 1, 1, 100.0),
                                                                ("Customer referral", 3, 2, 66.7)]
    assert rows("conversion_dealer", archive["clerk"]) == [(f"{other_dealer.code} {other_dealer.name}", 1, 1, 100.0),
                                                           (f"{dealer.code} {dealer.name}", 3, 2, 66.7)]


def test_complaints_per_100_orders_by_dealer_and_product(archive, dealer, other_dealer):
    # Own dealer: O1, O2, O3, O4 = 4 orders, C1 and C2 = 2 complaints; other: 1 order, 1 complaint.
    assert rows("complaints_dealer", archive["clerk"]) == [(f"{other_dealer.code} {other_dealer.name}", 1, 1, 100.0),
                                                           (f"{dealer.code} {dealer.name}", 4, 2, 50.0)]
    # Sofas: 4 orders (O1, O3, O4, O6), 3 complaints; beds: 1 order, none in the period.
    assert rows("complaints_product", archive["clerk"]) == [("SF-1 沙发", 4, 3, 75.0), ("BD-1 床", 1, 0, 0.0)]
    assert rows("complaints_product", archive["dealer"]) == [("SF-1 沙发", 3, 2, 66.7), ("BD-1 床", 1, 0, 0.0)]


def test_the_dealer_picker_narrows_a_clerks_report(archive, other_dealer):
    assert rows("customers_region", archive["clerk"], other_dealer.id) == [("上海市", 1)]


# The page and its exports -------------------------------------------------------------------
def test_the_page_shows_a_table_and_a_chart(clerk_client, archive):
    page = clerk_client.get("/admin/reports/?report=complaints_dealer&start=2026-01-01&end=2026-06-30",
                            headers=EN).get_data(as_text=True)
    assert "Complaints per 100 orders by dealer" in page and 'id="report-chart-data"' in page and ">50<" in page


def test_a_dealer_sees_only_their_own_figures(app, archive, other_dealer):
    from tests.conftest import log_in

    client = app.test_client()
    log_in(client, "dealer9")
    page = client.get(f"/admin/reports/?report=customers_dealer&start=2026-01-01&end=2026-06-30"
                      f"&dealer={other_dealer.code}").get_data(as_text=True)
    assert other_dealer.name not in page and 'name="dealer"' not in page


def test_reports_export_as_csv_and_xlsx(clerk_client, archive):
    query = "report=customers_region&start=2026-01-01&end=2026-06-30"
    text = clerk_client.get(f"/admin/reports/export.csv?{query}", headers=EN).get_data(as_text=True)
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [["Province", "Customers"], ["广东省", "2"],
                                                                    ["上海市", "1"], ["广西壮族自治区", "1"]]
    data = clerk_client.get(f"/admin/reports/export.xlsx?{query}", headers=EN).data
    sheet = load_workbook(io.BytesIO(data)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)][1] == ["广东省", 2]


def test_a_period_that_ends_before_it_starts_is_explained(clerk_client, archive):
    page = clerk_client.get("/admin/reports/?start=2026-06-30&end=2026-01-01", headers=EN).get_data(as_text=True)
    assert "start is after its end" in page


def test_anonymous_visitors_are_sent_to_login(client):
    assert client.get("/admin/reports/").status_code == 302
    assert client.get("/admin/reports/export.csv").status_code == 302


def app_locale(locale):
    from flask_babel import force_locale

    return force_locale(locale)


def test_customers_created_by_an_order_import_are_not_conversions(archive, dealer):
    from crm.models import OrderImport

    batch = OrderImport(dealer=dealer, filename="x.csv", status="committed")
    db.session.add(batch)
    db.session.flush()
    db.session.add(Customer(name="导入客户", dealer=dealer, status="actual", channel="web", import_id=batch.id,
                            created_at=datetime(2026, 3, 1)))
    db.session.commit()
    with app_locale("en"):
        assert ("Web", 1, 1, 100.0) in rows("conversion_channel", archive["clerk"])


def test_dates_beyond_any_sensible_period_fall_back_to_the_default(clerk_client, archive):
    response = clerk_client.get("/admin/reports/?end=9999-12-31", headers=EN)
    assert response.status_code == 200 and "9999-12-31 is not a date" in response.get_data(as_text=True)
