"""Personal data (PIPL): a clerk exports everything held about one customer and anonymises a
customer on request (personal fields erased, figures kept, audited); lists mask phone
numbers for the roles that do not need them in full."""
import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_login import login_user
from sqlalchemy import func, inspect, select, update

from admin_views import formatters
from crm.clock import now
from crm.extensions import db
from crm.models import (AuditEntry, CaseNote, Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, ImportRow,
                        Order, OrderImport, Product, User, Visit)
from crm.phones import mask_phone
from crm.services import dashboard, duplicates, privacy, reports
from tests.conftest import PASSWORD, make_user
from tests.test_login_security import _csrf_token

NAME, MOBILE, SHOWN, MASKED = "王秀英", "+8613812345678", "13812345678", "138****5678"
OTHER, EMAIL, ADDRESS = "+862087654321", "wxy@example.cn", "天河路385号太古汇2座1201"


@pytest.fixture
def held(app, dealer):
    """A customer with something of every kind that refers to them."""
    product = Product(model_number="SF-2031", name="云栖三人位真皮沙发", series="云栖", category="sofa")
    person = Customer(name=NAME, mobile=MOBILE, other_phone=OTHER, email=EMAIL, gender="female",
                      province="广东省", city="广州市", district="天河区", address=ADDRESS, postal_code="510620",
                      housing_type="apartment", floor_area=Decimal("128.5"), household_stage="young_family",
                      household_size=3, employer="广州地铁集团", birthday=date(1980, 5, 17), channel="store_promotion",
                      status="actual", dealer=dealer, salesperson="刘敏", price_tier="premium",
                      discount_terms=f"{NAME}老客户九折", payment_terms="分期12期", notes="喜欢浅色，周末在家",
                      consent_to_contact=True, consent_at=datetime(2024, 3, 1, 10, 0))
    order = Order(order_number="GZ-2024-0001", customer=person, dealer=dealer, product=product, quantity=1,
                  amount=Decimal("12800.00"), ordered_on=date.today() - timedelta(days=30), salesperson="刘敏")
    visit = Visit(customer=person, dealer=dealer, channel="home_visit", purpose="maintenance", happened_at=now(),
                  place=ADDRESS, summary=f"给{NAME}的沙发打蜡", outcome="客户满意")
    complaint = Complaint(number="TS-1", customer=person, dealer=dealer, product=product, category="product_quality",
                          severity="normal", description=f"扶手开裂，请回电 138 1234 5678（{NAME}）", received_at=now())
    ticket = HotlineTicket(number="RX-1", topic="repair", description="沙发扶手开裂", contact_name=NAME,
                           mobile=MOBILE, city="广州市", address=ADDRESS, customer=person, dealer=dealer,
                           received_at=now())
    card = FeedbackCard(reference="FK-1", customer=person, dealer=dealer, product=product, rating_quality=4,
                        rating_service=5, recommend_score=9, comments=f"很好，我是{NAME}", contact_name=NAME,
                        mobile=MOBILE, consent_to_contact=True, submitted_at=now())
    unlinked = FeedbackCard(reference="FK-2", dealer=dealer, recommend_score=7, contact_name="王女士", mobile=MOBILE,
                            submitted_at=now())
    db.session.add_all([product, person, order, visit, complaint, ticket, card, unlinked])
    db.session.flush()
    db.session.add_all([CaseNote(complaint_id=complaint.id, kind="progress", body=f"已联系{NAME}，电话13812345678"),
                        CaseNote(ticket_id=ticket.id, kind="response", public=True, body="已安排上门")])
    db.session.commit()
    return person


def export(client, customer):
    return client.post("/admin/customer/personal-data/", data={"id": str(customer.id)})


def anonymise(client, customer):
    return client.post("/admin/customer/anonymise/", data={"id": str(customer.id)}, follow_redirects=True)


def everything_in_the_trail() -> str:
    entries = db.session.scalars(select(AuditEntry)).all()
    return json.dumps([[entry.record_label, entry.changes] for entry in entries], ensure_ascii=False)


def fresh(customer) -> Customer:
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


# Export ---------------------------------------------------------------------------------
def test_the_export_is_a_json_file_holding_every_record_about_the_customer(clerk_client, held):
    response = export(clerk_client, held)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert NAME.encode("utf-8") in response.data  # Chinese kept readable, not \u escapes
    document = json.loads(response.data.decode("utf-8"))
    assert document["format"] == privacy.FORMAT
    assert document["customer"]["name"] == NAME and document["customer"]["mobile"] == MOBILE
    assert document["customer"]["dealer"] == {"code": "GD-FS-001", "name": "佛山顺德旗舰店"}
    assert [order["order_number"] for order in document["orders"]] == ["GZ-2024-0001"]
    assert document["orders"][0]["amount"] == "12800.00"
    assert [visit["place"] for visit in document["visits"]] == [ADDRESS]
    assert [c["number"] for c in document["complaints"]] == ["TS-1"]
    assert [note["body"] for note in document["complaints"][0]["notes"]] == [f"已联系{NAME}，电话13812345678"]
    assert [t["number"] for t in document["hotline_tickets"]] == ["RX-1"]
    assert [note["body"] for note in document["hotline_tickets"][0]["notes"]] == ["已安排上门"]
    # The card linked to them, and the one that carries their number without being linked.
    assert sorted(card["reference"] for card in document["feedback_cards"]) == ["FK-1", "FK-2"]
    assert {entry["record_type"] for entry in document["history"]} >= {"customer", "orders", "complaint"}


def test_the_export_leaves_out_the_staffs_names_and_addresses(clerk_client, held):
    document = json.loads(export(clerk_client, held).data)
    assert all(set(entry) == {"at", "action", "record_type", "record_id", "changes"} for entry in document["history"])


def test_the_export_is_audited_with_who_and_whose_data(clerk_client, held):
    export(clerk_client, held)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry.actor == "clerk" and entry.record_type == "customer" and entry.record_id == held.id
    assert entry.changes["exported_records"][1] == 9  # customer, order, visit, complaint, ticket, 2 cards, 2 notes


def test_administrators_may_export_too(admin_client, held):
    assert export(admin_client, held).status_code == 200


def test_dealers_may_not_export_personal_data(dealer_client, held):
    assert export(dealer_client, held).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")) == 0


def test_dealers_may_not_anonymise(dealer_client, held):
    assert anonymise(dealer_client, held).status_code == 403
    assert fresh(held).name == NAME


def test_dealers_are_not_offered_the_personal_data_steps(dealer_client, held):
    page = dealer_client.get(f"/admin/customer/details/?id={held.id}").get_data(as_text=True)
    assert "/admin/customer/personal-data/" not in page and "/admin/customer/anonymise/" not in page


def test_a_clerk_is_offered_export_and_anonymise_on_the_customers_page(clerk_client, held):
    page = clerk_client.get(f"/admin/customer/details/?id={held.id}",
                            headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/admin/customer/personal-data/" in page and "/admin/customer/anonymise/" in page
    assert "Export personal data" in page and "Anonymise this customer" in page
    assert "Kept, for the figures" in page and "Hotline tickets: 1" in page


def test_export_and_anonymise_are_refused_without_the_forms_csrf_token(csrf_app, app, held):
    make_user("clerk", "clerk")
    client = csrf_app.test_client()
    client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": _csrf_token(client, "/login")})
    assert client.post("/admin/customer/anonymise/", data={"id": str(held.id)}).status_code == 400
    assert client.post("/admin/customer/personal-data/", data={"id": str(held.id)}).status_code == 400
    assert fresh(held).name == NAME


# Anonymising ------------------------------------------------------------------------------
def test_every_customer_column_is_decided_erased_cleaned_or_kept():
    columns = {attribute.key for attribute in inspect(Customer).column_attrs}
    decided = {*privacy.CUSTOMER_ERASED, *privacy.CUSTOMER_CLEANED, *privacy.CUSTOMER_KEPT, *privacy.BOOKKEEPING}
    assert columns - decided == set(), "decide whether anonymising erases or keeps these"


def test_anonymising_erases_each_personal_field(clerk_client, held):
    page = anonymise(clerk_client, held).get_data(as_text=True)
    person = fresh(held)
    assert person.name == f"已匿名客户 #{held.id}"
    for name, erased in privacy.CUSTOMER_ERASED.items():
        if name != "name":
            assert getattr(person, name) == erased, name  # the name: the placeholder, above
    assert "alert-success" in page


def test_anonymising_keeps_what_the_figures_need(clerk_client, held, dealer):
    anonymise(clerk_client, held)
    person = fresh(held)
    assert (person.gender, person.province, person.city, person.district) == ("female", "广东省", "广州市", "天河区")
    assert (person.household_stage, person.household_size, person.housing_type) == ("young_family", 3, "apartment")
    assert (person.status, person.channel, person.dealer_id, person.salesperson) == (
        "actual", "store_promotion", dealer.id, "刘敏")
    assert person.discount_terms == "***老客户九折" and person.payment_terms == "分期12期"
    order = db.session.scalar(select(Order))
    assert (order.customer_id, order.amount, order.quantity, order.product.model_number) == (
        person.id, Decimal("12800.00"), 1, "SF-2031")
    complaint = db.session.scalar(select(Complaint))
    assert (complaint.customer_id, complaint.category, complaint.severity) == (person.id, "product_quality", "normal")
    card = db.session.scalar(select(FeedbackCard).where(FeedbackCard.reference == "FK-1"))
    assert (card.customer_id, card.rating_quality, card.recommend_score) == (person.id, 4, 9)


def test_anonymising_leaves_the_reports_and_the_dashboard_counting_the_same(clerk_client, held):
    user = db.session.scalar(select(User).where(User.username == "clerk"))
    period = reports.Period.last_year()
    keys = [report.key for report in reports.REPORTS if report.key != "customers_postal_code"]

    def figures():
        db.session.expire_all()
        return ({key: reports.build(key, user, period).rows for key in keys},
                dashboard.headline_figures(user), dashboard.dealer_scorecard(user, dashboard.period_start(365)))

    before = figures()
    anonymise(clerk_client, held)
    assert figures() == before


def test_anonymising_erases_the_copies_on_cards_and_tickets(clerk_client, held):
    anonymise(clerk_client, held)
    db.session.expire_all()
    for card in db.session.scalars(select(FeedbackCard)):
        assert (card.contact_name, card.mobile, card.consent_to_contact) == (None, None, False)
    ticket = db.session.scalar(select(HotlineTicket))
    assert (ticket.contact_name, ticket.mobile, ticket.address) == (f"已匿名客户 #{held.id}", "", None)
    assert ticket.city == "广州市" and ticket.description == "沙发扶手开裂"
    visit = db.session.scalar(select(Visit))
    assert visit.place is None and visit.summary == "给***的沙发打蜡" and visit.outcome == "客户满意"


def test_anonymising_removes_the_name_and_number_from_descriptions_and_notes(clerk_client, held):
    anonymise(clerk_client, held)
    db.session.expire_all()
    assert db.session.scalar(select(Complaint.description)) == "扶手开裂，请回电 ***（***）"
    assert db.session.scalar(select(FeedbackCard.comments).where(FeedbackCard.reference == "FK-1")) == "很好，我是***"
    bodies = sorted(db.session.scalars(select(CaseNote.body)))
    assert bodies == ["已安排上门", "已联系***，电话***"]


def test_the_anonymisation_is_audited_without_the_erased_values(clerk_client, held):
    anonymise(clerk_client, held)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "anonymise"))
    assert entry.actor == "clerk" and entry.record_id == held.id
    assert "mobile" in entry.changes["anonymised_fields"][1]
    trail = everything_in_the_trail()
    for erased in (NAME, SHOWN, MOBILE, OTHER, EMAIL, ADDRESS, "510620", "1980-05-17", "广州地铁集团", "喜欢浅色"):
        assert erased not in trail, erased


def test_the_customers_history_still_says_who_changed_what_and_when(admin_client, held):
    anonymise(admin_client, held)
    created = db.session.scalar(select(AuditEntry).where(AuditEntry.record_type == "customer",
                                                         AuditEntry.action == "create"))
    assert created.changes["name"] == [None, privacy.REMOVED]
    assert created.changes["city"] == [None, "广州市"]  # kept fields keep their history
    assert created.record_label == f"已匿名客户 #{held.id}"


def test_a_customer_merged_into_them_leaves_no_erased_value_in_the_trail(clerk_client, held, dealer):
    twin = Customer(name="王 秀英", mobile=MOBILE, email="twin@example.cn", dealer=dealer, status="potential")
    db.session.add(twin)
    db.session.commit()
    duplicates.merge(fresh(held), twin)
    assert "twin@example.cn" in everything_in_the_trail()
    anonymise(clerk_client, held)
    trail = everything_in_the_trail()
    assert "twin@example.cn" not in trail and "王 秀英" not in trail and SHOWN not in trail


def test_customers_merged_before_a_merge_leave_no_erased_value_in_the_trail(clerk_client, held, dealer):
    older = Customer(name="王 秀英老", mobile=MOBILE, email="older@example.cn", dealer=dealer, status="potential")
    twin = Customer(name="王 秀英", mobile=MOBILE, email="twin@example.cn", dealer=dealer, status="potential")
    db.session.add_all([older, twin])
    db.session.commit()
    duplicates.merge(twin, older)  # older into twin, then twin into held
    duplicates.merge(fresh(held), db.session.get(Customer, twin.id))
    anonymise(clerk_client, held)
    assert "older@example.cn" not in everything_in_the_trail()


def test_the_order_spreadsheet_rows_that_named_them_lose_the_name_and_number(clerk_client, held, dealer):
    upload = OrderImport(dealer_id=dealer.id, filename="orders.xlsx")
    db.session.add(upload)
    db.session.flush()
    db.session.add(ImportRow(import_id=upload.id, row_number=2, outcome="existing", customer_id=held.id,
                             values={"customer_name": NAME, "mobile": MOBILE, "address": ADDRESS, "city": "广州市",
                                     "order_number": "GZ-2024-0001"}))
    db.session.commit()
    anonymise(clerk_client, held)
    db.session.expire_all()
    values = db.session.scalar(select(ImportRow.values))
    assert values == {"customer_name": None, "mobile": None, "address": None, "city": "广州市",
                      "order_number": "GZ-2024-0001"}
    assert NAME not in everything_in_the_trail()


def test_the_old_name_and_number_find_nothing_afterwards(clerk_client, held):
    for term in (NAME, SHOWN, "138 1234 5678", "020 8765 4321", EMAIL, "太古汇"):
        assert NAME in clerk_client.get(f"/admin/customer/?search={term}").get_data(as_text=True), term
    anonymise(clerk_client, held)
    for term in (NAME, "秀英", SHOWN, "138 1234 5678", "020 8765 4321", EMAIL, "太古汇"):
        page = clerk_client.get(f"/admin/customer/?search={term}").get_data(as_text=True)
        assert f"已匿名客户 #{held.id}" not in page, term


def test_a_second_anonymisation_is_refused_with_a_clear_message(clerk_client, held):
    anonymise(clerk_client, held)
    page = anonymise(clerk_client, held).get_data(as_text=True)
    assert "该客户已于" in page and "没有可删除的个人信息" in page
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "anonymise")) == 1


def test_an_anonymised_customers_page_says_so_and_offers_no_second_anonymisation(clerk_client, held):
    anonymise(clerk_client, held)
    page = clerk_client.get(f"/admin/customer/details/?id={held.id}",
                            headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This customer was anonymised on" in page
    assert "/admin/customer/anonymise/" not in page and "/admin/customer/personal-data/" in page


def test_the_placeholder_is_in_the_archives_language_whoever_presses_the_button(clerk_client, held):
    clerk_client.post("/language", data={"language": "en"})
    page = anonymise(clerk_client, held).get_data(as_text=True)
    assert "personal data was erased" in page  # the clerk reads English
    assert fresh(held).name == f"已匿名客户 #{held.id}"


def test_a_number_typed_into_an_anonymised_customer_can_be_erased_again(clerk_client, held):
    anonymise(clerk_client, held)
    person = fresh(held)
    person.mobile = "+8613900001111"
    db.session.commit()
    anonymise(clerk_client, held)
    assert fresh(held).mobile is None


def test_an_unknown_customer_is_not_found(clerk_client, held):
    client = clerk_client
    assert client.post("/admin/customer/anonymise/", data={"id": "999999"}).status_code == 404
    assert client.post("/admin/customer/personal-data/", data={"id": "abc"}).status_code == 404


# Masked numbers -----------------------------------------------------------------------------
def test_a_mobile_number_is_masked_keeping_the_last_four_digits():
    assert mask_phone(MOBILE) == MASKED
    assert mask_phone("+862012345678") == "020 **** 5678"
    assert mask_phone(None) == "" and mask_phone("") == ""


@pytest.mark.parametrize("endpoint", ["customer", "feedback_card", "hotline_ticket"])
def test_dealers_see_masked_numbers_in_their_lists(dealer_client, held, endpoint):
    page = dealer_client.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert MASKED in page and SHOWN not in page


@pytest.mark.parametrize("endpoint", ["customer", "feedback_card", "hotline_ticket"])
def test_administrators_see_masked_numbers_in_lists(admin_client, held, endpoint):
    page = admin_client.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert MASKED in page and SHOWN not in page


@pytest.mark.parametrize("endpoint", ["customer", "feedback_card", "hotline_ticket"])
def test_clerks_see_numbers_in_full_in_lists(clerk_client, held, endpoint):
    page = clerk_client.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert SHOWN in page and MASKED not in page


@pytest.mark.parametrize("endpoint", ["customer", "feedback_card", "hotline_ticket"])
def test_a_records_own_page_shows_the_number_in_full_to_a_dealer(dealer_client, held, endpoint):
    model = {"customer": Customer, "feedback_card": FeedbackCard, "hotline_ticket": HotlineTicket}[endpoint]
    record_id = db.session.scalar(select(model.id).order_by(model.id).limit(1))
    page = dealer_client.get(f"/admin/{endpoint}/details/?id={record_id}").get_data(as_text=True)
    assert SHOWN in page


def test_searching_by_the_full_number_still_finds_the_customer_for_a_dealer(dealer_client, held):
    page = dealer_client.get("/admin/customer/?search=138-1234-5678").get_data(as_text=True)
    assert NAME in page and MASKED in page and SHOWN not in page


def test_a_dealers_business_phone_is_never_masked(admin_client, dealer):
    dealer.phone = "+862012345678"
    db.session.commit()
    page = admin_client.get("/admin/dealer/").get_data(as_text=True)
    assert "020 1234 5678" in page


def test_list_exports_mask_numbers_as_the_list_does(dealer_client, clerk_client, held):
    def numbers(client):
        text = client.get("/admin/customer/export/csv/").get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text[1:])))
        return rows[1][rows[0].index("手机号码")]

    assert numbers(dealer_client) == MASKED
    assert numbers(clerk_client) == SHOWN


def test_a_related_customer_is_named_with_the_number_masked_as_the_list_masks_it(app, held):
    order = db.session.scalar(select(Order))
    for role, expected in (("dealer", f"{NAME} {MASKED}"), ("clerk", f"{NAME} {SHOWN}")):
        user = make_user(f"someone-{role}", role, dealer=db.session.scalar(select(Dealer)) if role == "dealer" else None)
        with app.test_request_context("/admin/order/"):
            login_user(db.session.get(User, user.id))
            assert formatters.customer(None, None, order, "customer") == expected


@pytest.fixture
def orders_name_customers_masked(app, monkeypatch):
    """The order list with formatters.customer on its customer column (as the order, visit
    and complaint lists are meant to have it), its cached readers dropped."""
    view = next(view for view in app.extensions["admin"][0]._views if getattr(view, "endpoint", "") == "order")
    caches = ("_list_row_reader", "_translated_by_language")
    kept = {name: view.__dict__.pop(name) for name in caches if name in view.__dict__}
    monkeypatch.setitem(view.column_formatters, "customer", formatters.customer)
    monkeypatch.setattr(view, "column_formatters_export", view.column_formatters)
    yield view
    for name in caches:  # built with the formatter: gone, and the list's own back
        view.__dict__.pop(name, None)
    view.__dict__.update(kept)


def test_a_related_customers_number_is_masked_in_lists_and_exports_that_use_the_formatter(
        orders_name_customers_masked, dealer_client, clerk_client, held):
    assert f"{NAME} {MASKED}" in dealer_client.get("/admin/order/").get_data(as_text=True)
    assert f"{NAME} {MASKED}" in dealer_client.get("/admin/order/export/csv/").get_data(as_text=True)
    assert f"{NAME} {SHOWN}" in clerk_client.get("/admin/order/export/csv/").get_data(as_text=True)


def test_the_customer_picker_masks_numbers_for_dealers_and_gives_at_most_a_page(dealer_client, dealer):
    for index in range(15):
        db.session.add(Customer(name=f"客户{index}", mobile=f"+86138000000{index:02d}", dealer=dealer,
                                gender="unspecified", status="actual"))
    db.session.commit()
    found = dealer_client.get("/admin/visit/ajax/lookup/?name=customer&query=&limit=100000").get_json()
    assert len(found) == 10
    assert all("****" in label for _id, label in found)


def test_a_dealers_form_does_not_describe_another_dealerships_referrer(dealer_client, dealer, other_dealer):
    referrer = Customer(name="李秘密", mobile="+8613999998888", dealer=other_dealer, gender="unspecified",
                        status="actual")
    mine = Customer(name="王小明", mobile="+8613700001111", dealer=dealer, gender="unspecified", status="actual",
                    referred_by=referrer)
    db.session.add_all([referrer, mine])
    db.session.commit()
    page = dealer_client.get(f"/admin/customer/edit/?id={mine.id}").get_data(as_text=True)
    assert "李秘密" not in page and "\\u674e\\u79d8\\u5bc6" not in page and "9999" not in page


def test_anonymising_clears_the_address_the_customers_own_forms_came_from(app, customer):
    card = FeedbackCard(reference="FK-IP-1", customer=customer, mobile=customer.mobile, submitted_at=datetime.now())
    db.session.add(card)
    db.session.commit()
    db.session.execute(update(AuditEntry).where(AuditEntry.record_type == "feedback_card")
                       .values(actor="public", address="198.51.100.23"))
    db.session.commit()
    privacy.anonymise_customer(customer)
    assert db.session.scalars(select(AuditEntry.address).where(AuditEntry.actor == "public")).all() == [None]


def test_anonymising_erases_what_the_trail_kept_of_the_customers_deleted_visits(clerk_client, customer):
    visit = Visit(customer=customer, dealer=customer.dealer, channel="home", purpose="repair",
                  place="碧桂园5栋1201", happened_at=datetime(2026, 3, 1, 10, 0))
    db.session.add(visit)
    db.session.commit()
    db.session.delete(visit)
    db.session.commit()
    privacy.anonymise_customer(db.session.get(Customer, customer.id))
    deleted = db.session.scalars(select(AuditEntry).where(AuditEntry.record_type == "visit",
                                                          AuditEntry.action == "delete")).one()
    assert deleted.changes["place"] == ["***", None]
