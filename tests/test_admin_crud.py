"""Create, edit and delete every kind of record through the back office, over HTTP."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Order, Product, User, Visit


def form_errors(response) -> list[str]:
    """The error messages a re-rendered form shows, to explain a failed save."""
    page = response.get_data(as_text=True)
    blocks = re.findall(r'id="([^"]+)"[^>]*>\s*<div class="invalid-feedback">(.*?)</div>', page, re.S)
    alerts = re.findall(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', page, re.S)
    clean = lambda html: re.sub(r"<[^>]+>|\s+", " ", html).strip()  # noqa: E731
    return [f"{field}: {clean(text)}" for field, text in blocks] + [clean(text) for text in alerts]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def latest(model):
    return db.session.scalars(select(model).order_by(model.id.desc())).first()


@pytest.fixture
def valid_forms(dealer, product, customer):
    """A valid create form per back-office endpoint, pointing at existing records."""
    return {
        "dealer": (Dealer, {"code": "ZJ-HZ-001", "name": "杭州西湖店", "level": "standard", "province": "浙江省",
                            "city": "杭州市", "phone": "0571-87654321", "active": "y", "joined_on": "2020-03-01"}),
        "product": (Product, {"model_number": "BD-3001", "name": "檀韵1.8米实木床", "category": "bed",
                              "series": "檀韵", "warranty_months": "60", "maintenance_interval_months": "12",
                              "active": "y"}),
        "customer": (Customer, {"name": "李娜", "gender": "female", "status": "potential", "mobile": "139 0000 1111",
                                "province": "广东省", "city": "广州市", "district": "天河区", "postal_code": "510000",
                                "household_stage": "couple", "household_size": "2", "dealer": str(dealer.id),
                                "channel": "web", "birthday": "1990-05-20", "consent_to_contact": "y"}),
        "order": (Order, {"order_number": "SO-NEW-1", "customer": str(customer.id), "product": str(product.id),
                          "quantity": "2", "amount": "12800.00", "ordered_on": "2026-01-10",
                          "delivered_on": "2026-01-20"}),
        "visit": (Visit, {"customer": str(customer.id), "channel": "home_visit", "purpose": "maintenance",
                          "happened_at": "2026-02-01 10:30:00", "summary": "上门打蜡", "satisfaction": "5"}),
        "complaint": (Complaint, {"customer": str(customer.id), "channel": "hotline", "category": "product_quality",
                                  "severity": "high", "status": "new", "description": "沙发坐垫塌陷"}),
        "hotline_ticket": (HotlineTicket, {"channel": "phone", "topic": "repair", "description": "扶手松动",
                                           "contact_name": "王芳", "mobile": "13700001111"}),
        "feedback_card": (FeedbackCard, {"dealer": str(dealer.id), "product": str(product.id),
                                         "rating_quality": "5", "rating_service": "4", "recommend_score": "9",
                                         "contact_name": "赵敏", "mobile": "13600002222",
                                         "consent_to_contact": "y", "status": "new"}),
        "user": (User, {"username": "clerk2", "role": "clerk", "active": "y", "password": "long-enough-1"}),
    }


ENDPOINTS = ("dealer", "product", "customer", "order", "visit", "complaint", "hotline_ticket", "feedback_card",
             "user")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_create_saves_a_record(admin_client, valid_forms, endpoint):
    model, form = valid_forms[endpoint]
    before = count(model)
    response = admin_client.post(f"/admin/{endpoint}/new/", data=form)
    assert response.status_code == 302, form_errors(response)
    assert count(model) == before + 1


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_edit_changes_a_record(admin_client, valid_forms, endpoint):
    model, form = valid_forms[endpoint]
    admin_client.post(f"/admin/{endpoint}/new/", data=form)
    record = latest(model)
    changed_field, new_value = _change_for(endpoint)
    response = admin_client.post(f"/admin/{endpoint}/edit/?id={record.id}", data={**form, changed_field: new_value, "version": getattr(record, "version", "")})
    assert response.status_code == 302, form_errors(response)
    db.session.refresh(record)
    assert str(getattr(record, changed_field)) == new_value


def _change_for(endpoint: str) -> tuple[str, str]:
    return {
        "dealer": ("name", "杭州西湖旗舰店"),
        "product": ("name", "檀韵1.8米胡桃木床"),
        "customer": ("address", "天河路100号"),
        "order": ("quantity", "3"),
        "visit": ("outcome", "客户满意"),
        "complaint": ("severity", "critical"),
        "hotline_ticket": ("city", "苏州"),
        "feedback_card": ("status", "reviewed"),
        "user": ("role", "admin"),
    }[endpoint]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_delete_removes_a_record(admin_client, valid_forms, endpoint):
    model, form = valid_forms[endpoint]
    admin_client.post(f"/admin/{endpoint}/new/", data=form)
    record_id = latest(model).id
    before = count(model)
    response = admin_client.post(f"/admin/{endpoint}/delete/", data={"id": str(record_id)})
    assert response.status_code == 302
    assert count(model) == before - 1
    assert db.session.get(model, record_id) is None


def test_new_customer_mobile_is_stored_in_one_canonical_form(admin_client, valid_forms):
    admin_client.post("/admin/customer/new/", data=valid_forms["customer"][1])
    assert latest(Customer).mobile == "+8613900001111"


def test_consent_is_stamped_with_its_time(admin_client, valid_forms):
    admin_client.post("/admin/customer/new/", data=valid_forms["customer"][1])
    assert latest(Customer).consent_at is not None


def test_withdrawn_consent_clears_its_time(admin_client, valid_forms):
    form = valid_forms["customer"][1]
    admin_client.post("/admin/customer/new/", data=form)
    record = latest(Customer)
    without_consent = {k: v for k, v in form.items() if k != "consent_to_contact"}
    admin_client.post(f"/admin/customer/edit/?id={record.id}", data={**without_consent, "version": record.version})
    db.session.refresh(record)
    assert record.consent_to_contact is False and record.consent_at is None


def test_new_complaint_gets_a_number_receipt_time_and_the_customers_dealer(admin_client, valid_forms, dealer):
    admin_client.post("/admin/complaint/new/", data=valid_forms["complaint"][1])
    complaint = latest(Complaint)
    assert complaint.number.startswith("TS") and len(complaint.number) == 13
    assert complaint.received_at is not None
    assert complaint.dealer_id == dealer.id


def test_new_ticket_gets_a_number(admin_client, valid_forms):
    admin_client.post("/admin/hotline_ticket/new/", data=valid_forms["hotline_ticket"][1])
    assert latest(HotlineTicket).number.startswith("RX")


def test_order_takes_the_customers_dealer_and_makes_a_potential_customer_actual(admin_client, valid_forms,
                                                                                  customer, dealer):
    customer.status = "potential"
    db.session.commit()
    admin_client.post("/admin/order/new/", data=valid_forms["order"][1])
    order = latest(Order)
    assert order.dealer_id == dealer.id
    db.session.refresh(customer)
    assert customer.status == "actual"


def test_new_user_password_is_hashed(admin_client, valid_forms):
    admin_client.post("/admin/user/new/", data=valid_forms["user"][1])
    user = latest(User)
    assert user.check_password("long-enough-1")
    assert "long-enough-1" not in user.password_hash


def test_editing_a_user_without_a_password_keeps_the_old_one(admin_client, valid_forms):
    form = valid_forms["user"][1]
    admin_client.post("/admin/user/new/", data=form)
    user = latest(User)
    admin_client.post(f"/admin/user/edit/?id={user.id}", data={**form, "password": ""})
    db.session.refresh(user)
    assert user.check_password("long-enough-1")


def test_deleting_a_customer_removes_their_orders_visits_and_complaints(admin_client, valid_forms, customer):
    for endpoint in ("order", "visit", "complaint"):
        admin_client.post(f"/admin/{endpoint}/new/", data=valid_forms[endpoint][1])
    admin_client.post("/admin/customer/delete/", data={"id": str(customer.id)})
    assert (count(Order), count(Visit), count(Complaint)) == (0, 0, 0)


def test_a_dealer_with_customers_cannot_be_deleted_and_keeps_them(admin_client, dealer, customer):
    response = admin_client.post("/admin/dealer/delete/", data={"id": str(dealer.id)},
                                 headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "cannot be deleted" in response.get_data(as_text=True)
    assert db.session.get(Dealer, dealer.id) is not None
    db.session.refresh(customer)
    assert customer.dealer_id == dealer.id


def test_orders_ordered_on_is_kept_as_a_date(admin_client, valid_forms):
    admin_client.post("/admin/order/new/", data=valid_forms["order"][1])
    assert latest(Order).ordered_on == date(2026, 1, 10)


def test_clearing_an_orders_dealer_gives_it_the_customers_dealer_again(admin_client, valid_forms, other_dealer,
                                                                        dealer):
    form = {**valid_forms["order"][1], "dealer": str(other_dealer.id)}
    admin_client.post("/admin/order/new/", data=form)
    order = latest(Order)
    assert order.dealer_id == other_dealer.id
    admin_client.post(f"/admin/order/edit/?id={order.id}", data={**form, "dealer": "", "version": order.version})
    db.session.refresh(order)
    assert order.dealer_id == dealer.id


def test_a_record_is_deleted_from_its_details_page_not_from_a_button_on_each_list_row(clerk_client, customer):
    listing = clerk_client.get("/admin/customer/").get_data(as_text=True)
    details = clerk_client.get(f"/admin/customer/details/?id={customer.id}").get_data(as_text=True)
    assert 'action="/admin/customer/delete/"' not in listing
    assert 'action="/admin/customer/delete/"' in details and f'name="id" value="{customer.id}"' in details
    response = clerk_client.post("/admin/customer/delete/", data={"id": str(customer.id), "url": "/admin/customer/"})
    assert response.status_code == 302 and count(Customer) == 0


def test_who_may_not_delete_gets_no_delete_form_on_the_details_page(dealer_client, customer):
    details = dealer_client.get(f"/admin/customer/details/?id={customer.id}").get_data(as_text=True)
    assert "/admin/customer/delete/" not in details


def test_selected_customers_are_deleted_from_the_bulk_menu(admin_client, dealer):
    keep, drop = Customer(name="留下", dealer=dealer), Customer(name="删除", dealer=dealer)
    db.session.add_all([keep, drop])
    db.session.commit()
    drop_id = drop.id
    response = admin_client.post("/admin/customer/action/", data={"action": "delete", "rowid": str(drop_id),
                                                                  "url": "/admin/customer/"}, follow_redirects=True)
    assert "alert-danger" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, drop_id) is None and db.session.get(Customer, keep.id) is not None
