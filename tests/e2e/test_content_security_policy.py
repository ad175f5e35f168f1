"""The Content-Security-Policy in a real browser: it refuses script a page did not come with,
and the pages' own menus still work under it (every browser test fails on a refusal:
tests/e2e/conftest.py)."""
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Customer
from tests.conftest import make_user
from tests.e2e.conftest import sign_in


def test_the_policy_refuses_an_inline_handler_slipped_into_a_page(live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(f"{live_server}/ticket/status")
    page.evaluate("""() => document.body.insertAdjacentHTML(
        'beforeend', '<img src="data:," onerror="window.ran = true"><a id="js" href="javascript:window.ran = true">x</a>')""")
    page.locator("#js").click()
    page.wait_for_timeout(300)
    ran = page.evaluate("() => window.ran === true")
    context.close()
    assert not ran
    refusals = [text for text in refused if "Content Security Policy" in text]
    assert any("inline event handler" in text for text in refusals), refused
    assert any("JavaScript URL" in text for text in refusals), refused


def test_a_list_filter_is_added_from_its_menu_without_leaving_the_page(live_server, desktop_page, app, customer):
    make_user("clerk", "clerk")
    sign_in(desktop_page, live_server, "clerk")
    desktop_page.goto(f"{live_server}/admin/customer/")
    desktop_page.get_by_role("button", name="添加筛选器").click()
    desktop_page.locator(".field-filters a.filter").first.click()
    assert desktop_page.locator("table.filters tr").count() == 1
    assert "#" not in desktop_page.url


def test_selected_records_are_deleted_from_the_bulk_menu_after_confirming(live_server, desktop_page, app, dealer):
    db.session.add_all([Customer(name="甲", dealer=dealer), Customer(name="乙", dealer=dealer)])
    db.session.commit()
    make_user("admin", "admin")
    sign_in(desktop_page, live_server, "admin")
    desktop_page.goto(f"{live_server}/admin/customer/")
    desktop_page.locator("input[name=rowid]").first.check()
    desktop_page.get_by_role("button", name="选中的").click()
    desktop_page.once("dialog", lambda dialog: dialog.accept())
    desktop_page.locator("a[data-action=delete]").click()
    desktop_page.wait_for_selector(".alert")
    assert desktop_page.locator(".alert-success").count() == 1, desktop_page.locator(".alert").all_inner_texts()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
