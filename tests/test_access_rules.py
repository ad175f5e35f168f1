"""Dealer scoping and role rules beyond the status codes of the generated matrix: what
each role actually sees and changes."""
import csv
import io

import pytest
from sqlalchemy import func, select

from crm.clock import now
from crm.extensions import db
from crm.models import CaseNote, Complaint, Customer, Dealer, FeedbackCard
from tests.conftest import logged_in_client
from tests.test_admin_crud import form_errors

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def two_shops(app, dealer, other_dealer):
    mine = Customer(name="本店客户", mobile="+8613800000001", dealer=dealer, status="actual", city="佛山市")
    theirs = Customer(name="别家客户", mobile="+8613900000002", dealer=other_dealer, status="actual",
                      city="上海市")
    db.session.add_all([mine, theirs])
    db.session.commit()
    return mine, theirs


def test_dealer_list_shows_only_their_own_customers(dealer_client, two_shops):
    page = dealer_client.get("/admin/customer/").get_data(as_text=True)
    assert "本店客户" in page and "别家客户" not in page
    assert "列表 (1)" in page or "List (1)" in page


def test_dealer_search_and_filters_stay_inside_the_dealership(dealer_client, two_shops):
    assert "别家客户" not in dealer_client.get("/admin/customer/?search=别家").get_data(as_text=True)
    assert "别家客户" not in dealer_client.get("/admin/customer/?search=13900000002").get_data(as_text=True)


def test_dealer_export_contains_only_their_own_rows(dealer_client, two_shops):
    response = dealer_client.get("/admin/customer/export/csv/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "本店客户" in text and "别家客户" not in text


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_export_neutralises_cells_that_spreadsheets_would_run(admin_client, dealer, name):
    db.session.add(Customer(name=name, dealer=dealer, status="actual"))
    db.session.commit()
    text = admin_client.get("/admin/customer/export/csv/").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + name in cells
    assert name not in cells


def test_dealer_ajax_lookup_offers_only_their_own_customers(dealer_client, two_shops):
    rows = dealer_client.get("/admin/order/ajax/lookup/?name=customer&query=客户").json
    assert [row[1] for row in rows] == [f"{two_shops[0].name} 138****0001"]  # masked, as in their lists


def test_clerk_ajax_lookup_offers_every_customer(clerk_client, two_shops):
    rows = clerk_client.get("/admin/order/ajax/lookup/?name=customer&query=客户").json
    assert len(rows) == 2


def test_dealer_cannot_choose_the_dealer_of_a_record(dealer_client, two_shops, dealer, other_dealer):
    response = dealer_client.post("/admin/customer/new/", data={
        "name": "新客户", "gender": "female", "status": "potential", "dealer": str(other_dealer.id)})
    assert response.status_code == 302
    created = db.session.scalar(select(Customer).where(Customer.name == "新客户"))
    assert created.dealer_id == dealer.id


def test_dealer_form_has_no_dealer_field(dealer_client, two_shops):
    page = dealer_client.get("/admin/customer/new/").get_data(as_text=True)
    assert 'name="dealer"' not in page


def test_a_forged_customer_id_is_refused_with_a_message(dealer_client, two_shops, product):
    response = dealer_client.post("/admin/order/new/", headers=ZH, data={
        "order_number": "SO-X", "customer": str(two_shops[1].id), "product": str(product.id), "quantity": "1",
        "ordered_on": "2026-01-10"})
    assert response.status_code == 200
    assert any("customer" in error for error in form_errors(response))
    assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.name == "SO-X")) == 0


def test_a_forged_optional_reference_is_refused_not_dropped(dealer_client, two_shops):
    response = dealer_client.post("/admin/customer/new/", data={
        "name": "新客户", "gender": "female", "status": "potential", "referred_by": str(two_shops[1].id)})
    assert response.status_code == 200
    assert any(error.startswith("referred_by:") for error in form_errors(response))


def test_another_dealers_row_is_404_like_a_missing_one(dealer_client, two_shops):
    theirs = dealer_client.get(f"/admin/customer/details/?id={two_shops[1].id}")
    missing = dealer_client.get("/admin/customer/details/?id=999999")
    assert theirs.status_code == missing.status_code == 404


def test_dealer_sees_only_their_own_figures_on_the_dashboard(dealer_client, two_shops):
    page = dealer_client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'figure-value d-block">1</span>\n        <span class="figure-label d-block">Customers' in page


def test_dealer_menu_shows_only_what_they_may_open(dealer_client):
    page = dealer_client.get("/admin/").get_data(as_text=True)
    assert "/admin/customer/" in page
    assert "/admin/user/" not in page and "/admin/audit/" not in page


def test_buttons_for_forbidden_actions_are_not_shown(dealer_client, two_shops):
    page = dealer_client.get("/admin/customer/").get_data(as_text=True)
    assert "/admin/customer/delete/" not in page
    complaints = dealer_client.get("/admin/complaint/").get_data(as_text=True)
    assert "/admin/complaint/new/" not in complaints


def test_clerk_changes_only_the_contact_fields_of_a_dealer(clerk_client, dealer):
    response = clerk_client.post(f"/admin/dealer/edit/?id={dealer.id}", data={
        "code": "HACKED", "name": "改名", "contact_person": "新联系人", "phone": "020-12345678", "address": "新地址",
        "version": dealer.version})
    assert response.status_code == 302
    db.session.refresh(dealer)
    assert (dealer.code, dealer.name) == ("GD-FS-001", "佛山顺德旗舰店")
    assert (dealer.contact_person, dealer.address) == ("新联系人", "新地址")


@pytest.fixture
def complaints(two_shops, dealer, other_dealer):
    mine = Complaint(number="TS-1", customer=two_shops[0], dealer=dealer, category="delivery",
                     description="送货慢", received_at=now())
    theirs = Complaint(number="TS-2", customer=two_shops[1], dealer=other_dealer, category="delivery",
                       description="送货慢", received_at=now())
    db.session.add_all([mine, theirs])
    db.session.commit()
    return mine, theirs


def test_dealer_adds_a_response_to_their_own_complaint(dealer_client, complaints):
    response = dealer_client.post(f"/admin/complaint/note/?id={complaints[0].id}",
                                  data={"kind": "response", "body": "已安排师傅明天上门"})
    assert response.status_code == 302
    note = db.session.scalar(select(CaseNote))
    assert (note.complaint_id, note.public, note.body) == (complaints[0].id, True, "已安排师傅明天上门")
    page = dealer_client.get(f"/admin/complaint/details/?id={complaints[0].id}").get_data(as_text=True)
    assert "已安排师傅明天上门" in page


def test_an_empty_note_is_refused_with_a_message(dealer_client, complaints):
    response = dealer_client.post(f"/admin/complaint/note/?id={complaints[0].id}", headers=ZH,
                                  data={"kind": "progress", "body": "  "}, follow_redirects=True)
    assert "请先填写答复或记录内容" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CaseNote)) == 0


def test_dealer_cannot_close_reassign_or_edit_a_complaint(dealer_client, complaints):
    response = dealer_client.post(f"/admin/complaint/edit/?id={complaints[0].id}",
                                  data={"status": "closed", "description": "x"})
    assert response.status_code == 403
    db.session.refresh(complaints[0])
    assert complaints[0].status == "new"


def test_clerk_links_a_feedback_card_to_a_customer_by_mobile(clerk_client, two_shops, dealer):
    card = FeedbackCard(reference="FK-1", dealer=dealer, submitted_at=now(), mobile="+8613800000001")
    db.session.add(card)
    db.session.commit()
    response = clerk_client.post(f"/admin/feedback_card/link/?id={card.id}", data={"mobile": "138 0000 0001"})
    assert response.status_code == 302
    db.session.refresh(card)
    assert (card.customer_id, card.status) == (two_shops[0].id, "linked")


def test_linking_to_an_unknown_mobile_says_so_and_changes_nothing(clerk_client, dealer):
    card = FeedbackCard(reference="FK-1", dealer=dealer, submitted_at=now())
    db.session.add(card)
    db.session.commit()
    response = clerk_client.post(f"/admin/feedback_card/link/?id={card.id}", data={"mobile": "13711112222"},
                                 headers=ZH, follow_redirects=True)
    assert "没有手机号码为 13711112222 的客户" in response.get_data(as_text=True)
    db.session.refresh(card)
    assert card.customer_id is None


def test_a_dealer_user_without_a_dealership_cannot_open_the_back_office(app):
    client = logged_in_client(app, "orphan", "dealer")
    assert client.get("/admin/").status_code == 403


def test_dealer_sees_their_own_dealership_only(dealer_client, dealer, other_dealer):
    page = dealer_client.get("/admin/dealer/").get_data(as_text=True)
    assert "GD-FS-001" in page and "SH-PD-001" not in page
    assert dealer_client.get(f"/admin/dealer/details/?id={other_dealer.id}").status_code == 404
    assert db.session.get(Dealer, other_dealer.id) is not None


def test_a_shared_customers_page_shows_each_dealer_only_their_own_orders(dealer_client, two_shops, other_dealer,
                                                                         product):
    from crm.models import Order

    mine = two_shops[0]
    db.session.add_all([
        Order(order_number="SO-MINE", customer=mine, dealer=mine.dealer, product=product, ordered_on=now().date()),
        Order(order_number="SO-THEIRS", customer=mine, dealer=other_dealer, product=product,
              ordered_on=now().date()),
    ])
    db.session.commit()
    page = dealer_client.get(f"/admin/customer/details/?id={mine.id}").get_data(as_text=True)
    assert "SO-MINE" in page and "SO-THEIRS" not in page


def test_a_referrer_from_another_dealership_is_not_shown(dealer_client, two_shops):
    mine, theirs = two_shops
    mine.referred_by = theirs
    db.session.commit()
    page = dealer_client.get(f"/admin/customer/details/?id={mine.id}").get_data(as_text=True)
    assert "别家客户" not in page and "13900000002" not in page


def test_may_see_agrees_with_scope_for_every_kind_and_role(app, two_shops, dealer):
    from crm import access
    from crm.models import AuditEntry, Product, User
    from tests.conftest import make_user

    make_user("dealer1", "dealer", dealer=dealer)
    make_user("clerk", "clerk")
    make_user("admin", "admin")
    for username in ("dealer1", "clerk", "admin"):
        user = db.session.scalar(select(User).where(User.username == username))
        for model in (Customer, Dealer, Product, User, AuditEntry):
            visible = set(db.session.scalars(access.scope(select(model.id), model, user)))
            for record in db.session.scalars(select(model)):
                assert access.may_see(user, record) == (record.id in visible), (username, model.__name__)


@pytest.mark.parametrize("raw_id", ["abc", "1 OR 1=1", "-1", "9" * 30])
def test_a_malformed_id_is_404(clerk_client, two_shops, raw_id):
    assert clerk_client.get("/admin/customer/details/", query_string={"id": raw_id}).status_code == 404
