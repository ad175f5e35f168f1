"""A clerk answers a customer's erasure request in a real browser: the customer's page says
what will be erased and kept, one more click anonymises, the page says so; both the open
confirmation and the result pass axe-core."""
from crm.extensions import db
from crm.models import Customer
from tests.conftest import make_user
from tests.e2e.conftest import serious_violations, sign_in


def test_clerk_anonymises_a_customer_from_their_page(live_server, desktop_page, app, customer):
    make_user("clerk", "clerk")
    page = desktop_page
    sign_in(page, live_server, "clerk")
    page.goto(f"{live_server}/admin/customer/details/?id={customer.id}")
    assert page.get_by_role("button", name="导出个人信息").is_visible()
    page.locator("summary", has_text="匿名化该客户").click()
    confirmation = page.locator(".anonymise-customer form")
    assert "将删除" in confirmation.inner_text() and "保留（用于统计）" in confirmation.inner_text()
    assert serious_violations(page) == []
    with page.expect_navigation():
        confirmation.get_by_role("button", name="匿名化", exact=True).click()
    assert "个人信息已删除" in page.locator(".alert-success").inner_text()
    assert "该客户已于" in page.locator(".personal-data").inner_text()
    assert page.locator(".anonymise-customer").count() == 0
    assert serious_violations(page) == []
    db.session.rollback()  # end the test's read snapshot: the server committed since
    person = db.session.get(Customer, customer.id)
    assert person.name == f"已匿名客户 #{customer.id}" and person.mobile is None


def test_a_customers_page_with_the_personal_data_steps_fits_a_phone(live_server, phone_page, app, customer):
    make_user("clerk", "clerk")
    sign_in(phone_page, live_server, "clerk")
    phone_page.goto(f"{live_server}/admin/customer/details/?id={customer.id}")
    phone_page.locator("summary", has_text="匿名化该客户").click()
    assert phone_page.get_by_role("button", name="匿名化", exact=True).is_visible()
    assert serious_violations(phone_page) == []
