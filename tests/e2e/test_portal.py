"""A customer on a phone: feedback from a card's QR code, a hotline ticket and its status;
then a clerk finds what they sent."""
from sqlalchemy import select

from crm.extensions import db
from crm.models import CardBatch, FeedbackCard, HotlineTicket
from crm.services import intake, spam
from tests.conftest import make_user
from tests.e2e.conftest import serious_violations, sign_in

HUMAN_PAUSE_MS = (spam.MIN_FILL_SECONDS + 0.5) * 1000


def test_a_customer_leaves_feedback_from_a_card_and_a_clerk_finds_it(live_server, app, browser, phone_page,
                                                                     desktop_page, dealer, product):
    batch = CardBatch(code="GD-FS-001-261125-1", dealer=dealer, product=product, size=8)
    db.session.add(batch)
    db.session.commit()
    with app.test_request_context():
        token = intake.card_token(batch, 5)
    page = phone_page
    page.goto(f"{live_server}/feedback?t={token}")
    assert page.get_by_text("佛山顺德旗舰店").first.is_visible()
    page.get_by_role("group", name="产品质量").get_by_text("5", exact=True).click()
    page.get_by_role("group", name="服务").get_by_text("4", exact=True).click()
    page.get_by_label("意见").fill("沙发坐着很舒服，安装师傅很专业")
    page.get_by_label("手机号码（选填）").fill("13912345678")
    page.get_by_label("我同意厂家就本次反馈及家具保养与我联系。").check()
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    page.get_by_role("button", name="提交反馈").click()
    page.wait_for_url(f"{live_server}/feedback/thanks/**")
    reference = page.locator("#reference").inner_text()
    assert reference.startswith("FK")

    db.session.rollback()
    card = db.session.scalar(select(FeedbackCard).where(FeedbackCard.reference == reference))
    assert (card.dealer_id, card.batch_id, card.serial, card.rating_quality) == (dealer.id, batch.id, 5, 5)

    db.session.rollback()
    make_user("clerk", "clerk")
    sign_in(desktop_page, live_server, "clerk")
    desktop_page.goto(f"{live_server}/admin/feedback_card/?search={reference}")
    assert desktop_page.get_by_text(reference).is_visible()


def test_a_customer_raises_a_ticket_and_checks_its_status(live_server, app, phone_page, desktop_page):
    page = phone_page
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="报修、投诉或咨询").click()
    page.get_by_label("维修或保养申请").check()
    page.get_by_label("请描述问题或咨询内容").fill("衣柜门合页松了，关不上")
    page.get_by_label("您的姓名").fill("王芳")
    page.get_by_label("手机号码", exact=True).fill("137 0000 1111")
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"{live_server}/ticket/created/**")
    number = page.locator("#reference").inner_text()
    db.session.rollback()
    assert db.session.scalar(select(HotlineTicket).where(HotlineTicket.number == number)) is not None

    page.get_by_role("link", name="查询工单").click()
    page.get_by_label("工单号").fill(number)
    page.get_by_label("手机号码后四位").fill("1111")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_role("heading", name=f"工单 {number}").is_visible()
    assert page.get_by_text("已受理").first.is_visible()

    db.session.rollback()  # end the test's read snapshot before writing beside the live server
    make_user("clerk", "clerk")
    sign_in(desktop_page, live_server, "clerk")
    desktop_page.goto(f"{live_server}/admin/hotline_ticket/?search={number}")
    assert desktop_page.get_by_text(number).is_visible()
    assert desktop_page.get_by_text("王芳").is_visible()


def test_a_mistake_is_shown_next_to_the_field_and_nothing_typed_is_lost(live_server, app, phone_page):
    page = phone_page
    page.goto(f"{live_server}/ticket/new")
    page.get_by_label("请描述问题或咨询内容").fill("床垫塌陷")
    page.get_by_label("您的姓名").fill("李娜")
    page.get_by_label("手机号码", exact=True).fill("12345")
    page.get_by_role("button", name="提交").click()
    assert "请输入有效的手机号码" in page.locator("#mobile-error").inner_text()
    assert page.get_by_label("请描述问题或咨询内容").input_value() == "床垫塌陷"
    assert page.get_by_label("您的姓名").input_value() == "李娜"


def test_public_pages_have_no_serious_violations_on_a_phone(live_server, app, phone_page, dealer, product):
    batch = CardBatch(code="B-1", dealer=dealer, product=product, size=2)
    db.session.add(batch)
    db.session.commit()
    with app.test_request_context():
        token = intake.card_token(batch, 1)
    problems = {}
    for path in ("/feedback", f"/feedback?t={token}", "/ticket/new", "/ticket/status", "/feedback/thanks/FK261125-ABCD",
                 "/ticket/created/RX261125-ABCD"):
        phone_page.goto(live_server + path)
        found = serious_violations(phone_page)
        if found:
            problems[path] = found
    phone_page.goto(f"{live_server}/ticket/new")
    phone_page.get_by_role("button", name="提交").click()
    problems_with_errors = serious_violations(phone_page)
    assert problems == {} and problems_with_errors == []
