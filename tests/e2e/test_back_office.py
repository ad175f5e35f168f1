"""What a clerk does in a real browser: sign in, look up, type, save, switch language, sign out."""
from sqlalchemy import select

from crm.extensions import db
from crm.models import Customer
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import serious_violations, sign_in


def test_clerk_signs_in_and_sees_the_dashboard(live_server, phone_page, app, customer):
    make_user("clerk", "clerk")
    sign_in(phone_page, live_server, "clerk")
    assert phone_page.get_by_role("heading", name="首页概览").is_visible()
    assert phone_page.locator(".figure-tile").first.inner_text().startswith("1")


def test_clerk_creates_a_customer_picking_the_dealer_by_typing(live_server, desktop_page, app, dealer):
    make_user("clerk", "clerk")
    page = desktop_page
    sign_in(page, live_server, "clerk")
    page.goto(f"{live_server}/admin/customer/new/")
    page.get_by_label("姓名").fill("陈静")
    page.get_by_label("手机号码").fill("139 1234 0000")
    page.locator("#s2id_dealer .select2-choice").click()
    page.locator(".select2-drop-active input.select2-input").fill("佛山")
    page.locator(".select2-result-label", has_text="GD-FS-001").click()
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"{live_server}/admin/customer/")
    assert page.locator(".alert-success").count() == 1
    person = db.session.scalar(select(Customer).where(Customer.name == "陈静"))
    assert person.mobile == "+8613912340000"
    assert person.dealer_id == dealer.id


def test_a_bad_mobile_number_is_shown_next_to_the_field_and_nothing_typed_is_lost(live_server, desktop_page, app):
    make_user("clerk", "clerk")
    page = desktop_page
    sign_in(page, live_server, "clerk")
    page.goto(f"{live_server}/admin/customer/new/")
    page.get_by_label("姓名").fill("陈静")
    page.get_by_label("手机号码").fill("12345")
    page.get_by_label("详细地址").fill("天河路1号")
    page.get_by_role("button", name="保存", exact=True).click()
    assert "请输入有效的手机号码" in page.locator("#mobile ~ .invalid-feedback").inner_text()
    assert page.get_by_label("姓名").input_value() == "陈静"
    assert page.get_by_label("详细地址").input_value() == "天河路1号"


def test_the_language_switch_turns_the_back_office_english(live_server, phone_page, app):
    make_user("clerk", "clerk")
    page = phone_page
    sign_in(page, live_server, "clerk")
    page.locator(".navbar-toggler").click()
    # Bootstrap marks the menu .show once it has finished opening: a tap while it is
    # still sliding open can land on the page beneath.
    page.locator("#admin-navbar-collapse.show").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="语言: English").click()
    assert page.locator("html").get_attribute("lang") == "en", page.url
    assert page.get_by_role("heading", name="Dashboard").is_visible(), page.locator("h1").all_inner_texts()


def test_sign_out_returns_to_the_login_page(live_server, desktop_page, app):
    make_user("clerk", "clerk")
    page = desktop_page
    sign_in(page, live_server, "clerk")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/admin/")
    assert page.url.startswith(f"{live_server}/login")


def test_clerk_deletes_a_record_from_its_page_after_opening_the_delete_step(live_server, desktop_page, app,
                                                                            customer):
    customer_id = customer.id
    make_user("clerk", "clerk")
    page = desktop_page
    sign_in(page, live_server, "clerk")
    page.goto(f"{live_server}/admin/customer/")
    assert page.locator("form.icon button").count() == 0  # no delete button on each row
    page.goto(f"{live_server}/admin/customer/details/?id={customer_id}")
    page.locator("details.delete-record summary").click()
    page.locator("details.delete-record button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".alert-success").count() == 1
    db.session.rollback()
    assert db.session.get(Customer, customer_id) is None


def test_a_user_can_sign_out_from_the_403_page(live_server, phone_page, app, dealer):
    make_user("dealer1", "dealer", dealer=dealer)
    page = phone_page
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("dealer1")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.form").get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/admin/")
    page.goto(f"{live_server}/admin/user/")
    assert page.get_by_role("heading", name="您没有权限打开此页面").is_visible()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{live_server}/login")


def test_the_dashboard_draws_the_weekly_chart_without_script_errors(live_server, desktop_page, app, customer):
    from crm.clock import now
    from crm.models import Complaint

    db.session.add(Complaint(number="TS-CHART", customer=customer, category="delivery", description="x",
                             received_at=now()))
    db.session.commit()
    make_user("clerk", "clerk")
    errors = []
    desktop_page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(desktop_page, live_server, "clerk")
    desktop_page.wait_for_function("window.Chart && Chart.getChart('weekly-chart') !== undefined")
    drawn = desktop_page.evaluate("Chart.getChart('weekly-chart').data.datasets.map(d => [d.label, d.data.at(-1)])")
    assert drawn == [["送货", 1]] and errors == []


def test_a_dealer_records_a_birthday_greeting_from_the_service_calendar(live_server, phone_page, app, dealer):
    from datetime import timedelta

    from crm.clock import today
    from crm.models import Visit

    person = Customer(name="周洁", mobile="+8613900001234", dealer=dealer, status="actual", consent_to_contact=True,
                      birthday=(today() + timedelta(days=2)).replace(year=1988))
    db.session.add(person)
    db.session.commit()
    make_user("dealer1", "dealer", dealer=dealer)
    page = phone_page
    sign_in(page, live_server, "dealer1")
    page.goto(f"{live_server}/admin/care/?list=birthdays&days=7")
    page.get_by_role("link", name="记录回访 · 周洁").click()
    page.get_by_label("摘要").fill("电话祝福生日")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"{live_server}/admin/care/?list=birthdays&days=7")
    db.session.rollback()
    visit = db.session.scalar(select(Visit).where(Visit.customer_id == person.id))
    assert (visit.purpose, visit.channel, visit.summary) == ("birthday", "phone", "电话祝福生日")


def test_a_dealer_uploads_an_order_list_sees_the_preview_and_imports_it(live_server, phone_page, app, dealer,
                                                                        product, tmp_path):
    from crm.models import Order

    make_user("dealer1", "dealer", dealer=dealer)
    spreadsheet = tmp_path / "订单.csv"
    spreadsheet.write_text("客户姓名,手机号码,产品型号,订单号,下单日期\n"
                           "王芳,13912340001,SF-2031,SO-E2E-1,2026-03-01\n"
                           "李娜,12345,SF-2031,SO-E2E-2,2026-03-01\n", encoding="gbk")
    page = phone_page
    sign_in(page, live_server, "dealer1")
    page.goto(f"{live_server}/admin/order_import/upload/")
    page.get_by_label("文件").set_input_files(str(spreadsheet))
    page.get_by_role("button", name="检查文件").click()
    page.get_by_role("link", name="继续").click()  # the progress page ends with a link to the preview
    page.wait_for_url("**/admin/order_import/details/**")
    assert page.locator("tr.table-danger").inner_text().count("手机号码格式不正确") == 1
    page.get_by_label("跳过 1 行有错误的数据").check()
    page.get_by_role("button", name="导入", exact=True).click()
    assert "已导入 1 条订单" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="继续").click()
    page.wait_for_url("**/admin/order_import/details/**")
    db.session.rollback()
    assert db.session.scalars(select(Order.order_number)).all() == ["SO-E2E-1"]


def test_a_clerk_whose_save_comes_second_sees_what_changed_and_applies_theirs_by_saving_again(
        live_server, browser, desktop_page, app, customer):
    make_user("wang", "clerk")
    make_user("li", "clerk")
    first, second = desktop_page, browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    edit_page = f"{live_server}/admin/customer/edit/?id={customer.id}"
    for page, name in ((first, "wang"), (second, "li")):
        sign_in(page, live_server, name)
        page.goto(edit_page)
    first.get_by_label("城市").fill("广州市")
    first.get_by_role("button", name="保存", exact=True).click()
    first.wait_for_url(f"{live_server}/admin/customer/")
    second.get_by_label("详细地址").fill("天河路1号")
    second.get_by_role("button", name="保存", exact=True).click()
    assert "wang" in second.locator(".alert-danger").inner_text()
    assert second.get_by_label("城市").input_value() == "广州市"  # theirs, shown
    assert second.get_by_label("详细地址").input_value() == "天河路1号"  # mine, kept
    assert serious_violations(second) == []
    second.get_by_role("button", name="保存", exact=True).click()
    second.wait_for_url(f"{live_server}/admin/customer/")
    db.session.rollback()
    stored = db.session.get(Customer, customer.id)
    assert (stored.city, stored.address) == ("广州市", "天河路1号")
    second.context.close()
