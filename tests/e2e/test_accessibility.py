"""Every page, public and back office, passes axe-core's WCAG 2.1 AA checks at phone and desktop widths."""
from datetime import timedelta

import pytest

from crm.clock import now
from crm.extensions import db
from crm.models import CardBatch, Customer, Complaint, FeedbackCard, HotlineTicket, ImportRow, Order, OrderImport, Visit
from tests.conftest import make_user
from tests.e2e.conftest import serious_violations, sign_in

PUBLIC_PAGES = ["/", "/login", "/no-such-page"]
ENDPOINTS = ["customer", "order", "complaint", "visit", "hotline_ticket", "feedback_card", "card_batch", "dealer",
             "product", "user"]


@pytest.fixture
def archive(app, customer, product, dealer):
    """One record of every kind, so that lists, details and edit forms have content."""
    order = Order(order_number="SO-1", customer=customer, product=product, quantity=1, amount=9800,
                  ordered_on=now().date() - timedelta(days=200), delivered_on=now().date() - timedelta(days=190))
    customer.birthday = (now() + timedelta(days=3)).date().replace(year=1985)
    db.session.add_all([
        order,
        Visit(customer=customer, dealer=dealer, channel="home_visit", purpose="maintenance", happened_at=now(),
              summary="上门打蜡", satisfaction=5),
        Complaint(number="TS261125-ABCD", customer=customer, dealer=dealer, category="delivery", severity="high",
                  description="送货延误", received_at=now()),
        HotlineTicket(number="RX261125-ABCD", topic="repair", description="扶手松动", contact_name="王芳",
                      mobile="+8613700001111", received_at=now()),
        FeedbackCard(reference="FK261125-ABCD", dealer=dealer, product=product, rating_quality=5,
                     recommend_score=9, submitted_at=now()),
        CardBatch(code="GD-FS-001-261125-1", dealer=dealer, product=product, size=2),
        OrderImport(dealer=dealer, filename="orders.csv", status="previewed", total_rows=2, new_rows=1,
                    error_rows=1),
    ])
    db.session.flush()
    db.session.add_all([
        ImportRow(import_id=1, row_number=2, outcome="new", values={"customer_name": "王芳", "order_number": "SO-9"},
                  errors={}),
        ImportRow(import_id=1, row_number=3, outcome="error", values={"customer_name": "李娜"},
                  errors={"mobile": {"code": "bad_phone"}}),
    ])
    db.session.commit()
    db.session.add(Customer(name="张伟", mobile=customer.mobile, dealer=dealer))  # a likely duplicate
    db.session.commit()
    make_user("admin", "admin")


def back_office_pages() -> list[str]:
    pages = ["/admin/", "/admin/audit/", "/admin/audit/details/?id=1", "/account/password",
             "/admin/card_batch/print/?id=1", "/admin/complaint/repeating/", "/admin/care/",
             "/admin/care/?list=birthdays&days=30", "/admin/care/?list=holiday", "/admin/order_import/",
             "/admin/order_import/upload/", "/admin/order_import/details/?id=1", "/admin/duplicates/",
             "/admin/duplicates/compare/?keep=1&other=2", "/admin/reports/",
             "/admin/reports/?report=purchases_category"]
    for endpoint in ENDPOINTS:
        pages += [f"/admin/{endpoint}/", f"/admin/{endpoint}/new/", f"/admin/{endpoint}/details/?id=1",
                  f"/admin/{endpoint}/edit/?id=1"]
    return pages


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_serious_violations_on_a_phone(live_server, phone_page, path, app):
    phone_page.goto(live_server + path)
    assert serious_violations(phone_page) == []


@pytest.mark.parametrize("viewport", ["phone_page", "desktop_page"])
def test_back_office_pages_have_no_serious_violations(live_server, archive, request, viewport):
    page = request.getfixturevalue(viewport)
    sign_in(page, live_server, "admin")
    problems = {}
    for path in back_office_pages():
        page.goto(live_server + path)
        found = serious_violations(page)
        if found:
            problems[path] = found
    assert problems == {}


def test_a_form_with_errors_has_no_serious_violations(live_server, archive, desktop_page):
    sign_in(desktop_page, live_server, "admin")
    desktop_page.goto(live_server + "/admin/customer/new/")
    desktop_page.get_by_label("姓名").fill("李娜")
    desktop_page.get_by_label("手机号码").fill("12345")
    desktop_page.get_by_role("button", name="保存", exact=True).click()
    assert desktop_page.locator(".invalid-feedback").count() >= 1
    assert serious_violations(desktop_page) == []
