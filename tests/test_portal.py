"""The public portal: feedback cards, hotline tickets, ticket status, and what protects them."""
import re
import time

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import CardBatch, CardOpening, CaseNote, Complaint, Customer, FeedbackCard, HotlineTicket
from crm.services import intake, spam

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def started(app):
    """A form shown ten seconds ago, as a person would have it."""
    with app.test_request_context():
        return spam.start_token(time.time() - 10)


@pytest.fixture
def batch(app, dealer, product):
    item = CardBatch(code="GD-FS-001-261125-1", dealer=dealer, product=product, size=8)
    db.session.add(item)
    db.session.commit()
    return item


def token_for(app, batch, serial=1):
    with app.test_request_context():
        return intake.card_token(batch, serial)


def feedback(client, started, **fields):
    data = {"submission": fields.pop("submission", "sub-1"), "started": started, "rating_quality": "5", **fields}
    return client.post("/feedback", data=data, headers=fields.pop("headers", EN))


def test_the_welcome_page_offers_the_two_paths_and_the_status_check(client):
    page = client.get("/", headers=ZH).get_data(as_text=True)
    for path in ("/feedback", "/ticket/new", "/ticket/status"):
        assert f'href="{path}"' in page


def test_feedback_page_lets_the_customer_pick_product_and_store(client, product, dealer):
    page = client.get("/feedback").get_data(as_text=True)
    assert "SF-2031" in page and "佛山顺德旗舰店" in page


def test_feedback_is_stored_and_the_thank_you_page_shows_its_reference(client, started, product):
    response = feedback(client, started, product=str(product.id), comments="很满意")
    assert response.status_code == 302
    card = db.session.scalar(select(FeedbackCard))
    assert response.location == f"/feedback/thanks/{card.reference}"
    assert card.rating_quality == 5 and card.product_id == product.id and card.comments == "很满意"
    assert card.reference in client.get(response.location).get_data(as_text=True)


def test_a_card_from_a_qr_code_is_credited_to_its_dealer_product_and_batch(client, app, started, batch, dealer,
                                                                            product):
    page = client.get(f"/feedback?t={token_for(app, batch, 3)}").get_data(as_text=True)
    assert "佛山顺德旗舰店" in page and 'name="product"' not in page
    feedback(client, started, card=token_for(app, batch, 3))
    card = db.session.scalar(select(FeedbackCard))
    assert (card.dealer_id, card.product_id, card.batch_id, card.serial) == (dealer.id, product.id, batch.id, 3)


def test_an_edited_token_still_takes_feedback_but_credits_nobody(client, app, started, batch, other_dealer):
    token = token_for(app, batch, 3)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    feedback(client, started, card=forged, dealer=str(other_dealer.id))
    card = db.session.scalar(select(FeedbackCard))
    assert card.batch_id is None and card.dealer_id == other_dealer.id


def test_a_token_for_a_serial_outside_the_batch_credits_nobody(client, app, started, batch):
    feedback(client, started, card=token_for(app, batch, 99))
    assert db.session.scalar(select(FeedbackCard)).batch_id is None


def test_a_double_submit_stores_one_card(client, started, product):
    first = feedback(client, started, submission="same-form")
    second = feedback(client, started, submission="same-form")
    assert first.location == second.location
    assert count(FeedbackCard) == 1


def test_feedback_with_a_known_phone_is_linked_to_that_customer_and_dealer(client, started, customer, dealer):
    feedback(client, started, mobile="138 1234 5678", consent="y")
    card = db.session.scalar(select(FeedbackCard))
    assert card.customer_id == customer.id and card.dealer_id == dealer.id
    assert count(Customer) == 1


def test_feedback_with_a_new_phone_creates_a_potential_web_customer(client, started):
    feedback(client, started, mobile="13900001111", consent="y", contact_name="赵敏")
    person = db.session.scalar(select(Customer))
    assert (person.name, person.mobile, person.status, person.channel) == (
        "赵敏", "+8613900001111", "potential", "web")
    assert person.consent_to_contact and person.consent_at is not None
    assert db.session.scalar(select(FeedbackCard)).customer_id == person.id


def test_a_phone_number_without_consent_is_refused_and_the_input_kept(client, started):
    response = feedback(client, started, mobile="13900001111", comments="沙发很好")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please agree to be contacted" in page
    assert 'value="13900001111"' in page and "沙发很好" in page
    assert count(FeedbackCard) == 0


def test_feedback_needs_a_rating_or_a_comment(client, started):
    response = client.post("/feedback", data={"submission": "s", "started": started}, headers=EN)
    assert response.status_code == 400
    assert "Give at least one rating or write a comment." in response.get_data(as_text=True)


@pytest.mark.parametrize("field,value", [
    ("rating_quality", "6"), ("recommend_score", "11"), ("product", "abc"), ("product", "999999"),
    ("purchase_date", "2999-01-01"), ("purchase_date", "not-a-date"), ("comments", "字" * 2001),
    ("mobile", "12345"), ("contact_name", "名" * 61),
])
def test_bad_feedback_values_get_400_and_store_nothing(client, started, product, field, value):
    response = feedback(client, started, **{field: value, "consent": "y"})
    assert response.status_code == 400
    assert count(FeedbackCard) == 0


def ticket(client, started, **fields):
    data = {"submission": fields.pop("submission", "t-1"), "started": started, "topic": "repair",
            "description": "沙发扶手松动", "contact_name": "王芳", "mobile": "13700001111", **fields}
    return client.post("/ticket/new", data=data, headers=EN)


def test_a_ticket_gets_a_number_and_a_customer(client, started):
    response = ticket(client, started, city="佛山市")
    record = db.session.scalar(select(HotlineTicket))
    assert response.location == f"/ticket/created/{record.number}"
    assert record.channel == "web" and record.status == "new"
    person = db.session.get(Customer, record.customer_id)
    assert (person.status, person.channel, person.city) == ("potential", "hotline", "佛山市")


def test_a_ticket_double_submit_stores_one_ticket(client, started):
    ticket(client, started, submission="same")
    ticket(client, started, submission="same")
    assert count(HotlineTicket) == 1


@pytest.mark.parametrize("field,value,message", [
    ("mobile", "", "Enter your mobile number."),
    ("mobile", "020-12345678", "Enter a valid mobile number"),
    ("description", "", "Tell us what happened."),
    ("contact_name", "", "Enter your name."),
    ("topic", "lottery", "Not a valid choice"),
])
def test_bad_ticket_values_are_refused_next_to_the_field(client, started, field, value, message):
    response = ticket(client, started, **{field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(HotlineTicket) == 0


@pytest.fixture
def answered_ticket(client, started, app):
    ticket(client, started)
    record = db.session.scalar(select(HotlineTicket))
    record.notes.append(CaseNote(kind="response", public=True, body="师傅明天上门"))
    record.notes.append(CaseNote(kind="progress", public=False, body="内部：配件缺货"))
    db.session.commit()
    return record


def test_status_shows_the_public_timeline_only(client, answered_ticket):
    response = client.post("/ticket/status", data={"number": answered_ticket.number.lower(), "last_digits": "1111"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "师傅明天上门" in page and "配件缺货" not in page


def test_a_wrong_number_and_wrong_digits_get_the_same_answer(client, answered_ticket):
    wrong_digits = client.post("/ticket/status", data={"number": answered_ticket.number, "last_digits": "9999"})
    wrong_number = client.post("/ticket/status", data={"number": "RX000000-XXXX", "last_digits": "1111"})
    assert wrong_digits.status_code == wrong_number.status_code == 404
    for response in (wrong_digits, wrong_number):
        page = response.get_data(as_text=True)
        assert "We found no ticket with this number and these digits." in page or "没有找到" in page
        assert answered_ticket.description not in page


def test_status_lookups_are_rate_limited(client, answered_ticket):
    for _ in range(10):
        client.post("/ticket/status", data={"number": "RX000000-XXXX", "last_digits": "1111"})
    response = client.post("/ticket/status", data={"number": answered_ticket.number, "last_digits": "1111"})
    assert response.status_code == 429


def test_a_filled_honeypot_looks_accepted_and_stores_nothing(client, started):
    response = feedback(client, started, website="http://spam.example")
    assert response.status_code == 302 and response.location.startswith("/feedback/thanks/FK")
    assert count(FeedbackCard) == 0


def test_a_form_sent_faster_than_a_person_can_fill_it_stores_nothing(client, app):
    with app.test_request_context():
        just_now = spam.start_token()
    response = ticket(client, just_now)
    assert response.status_code == 302
    assert count(HotlineTicket) == 0


def test_a_form_without_a_signed_start_time_stores_nothing(client):
    ticket(client, "forged-start")
    assert count(HotlineTicket) == 0


def test_one_phone_number_may_send_only_a_few_forms_an_hour(app, client, started):
    for n in range(app.config["PUBLIC_SUBMITS_PER_PHONE"] + 2):
        ticket(client, started, submission=f"s{n}")
    assert count(HotlineTicket) == app.config["PUBLIC_SUBMITS_PER_PHONE"]


def test_one_address_may_send_only_so_many_forms_an_hour(app, client, started):
    for n in range(app.config["PUBLIC_SUBMITS_PER_ADDRESS"] + 2):
        feedback(client, started, submission=f"s{n}")
    assert count(FeedbackCard) == app.config["PUBLIC_SUBMITS_PER_ADDRESS"]


def test_an_expired_session_keeps_what_was_typed(app, _schema, started):
    from crm.app import create_app
    from crm.config import TEST_SETTINGS

    csrf_app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": _schema, "WTF_CSRF_ENABLED": True})
    client = csrf_app.test_client()
    with csrf_app.app_context():
        response = client.post("/ticket/new", headers=EN, data={
            "csrf_token": "expired", "submission": "t-9", "started": started, "topic": "repair",
            "description": "衣柜门板开裂", "contact_name": "王芳", "mobile": "13700001111"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "This page was open for a long time" in page
        assert "衣柜门板开裂" in page and 'value="13700001111"' in page
        fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        again = client.post("/ticket/new", data={
            "csrf_token": fresh, "submission": "t-9", "started": started, "topic": "repair",
            "description": "衣柜门板开裂", "contact_name": "王芳", "mobile": "13700001111"})
        assert again.status_code == 302
        db.session.remove()
    assert count(HotlineTicket) == 1


def test_what_customers_type_is_shown_escaped_in_the_back_office(client, started, clerk_client):
    feedback(client, started, comments='<script>alert("x")</script>')
    card = db.session.scalar(select(FeedbackCard))
    page = clerk_client.get(f"/admin/feedback_card/details/?id={card.id}").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_opening_a_card_is_counted_once(client, app, batch):
    token = token_for(app, batch, 2)
    assert client.post("/feedback/opened", data={"t": token}).status_code == 204
    client.post("/feedback/opened", data={"t": token})
    client.post("/feedback/opened", data={"t": "forged"})
    assert count(CardOpening) == 1


def test_the_batch_list_shows_printed_opened_and_answered(clerk_client, client, app, started, batch):
    client.post("/feedback/opened", data={"t": token_for(app, batch, 1)})
    client.post("/feedback/opened", data={"t": token_for(app, batch, 2)})
    feedback(client, started, card=token_for(app, batch, 2))
    db.session.refresh(batch)
    assert (batch.size, batch.opened, batch.answered) == (8, 2, 1)
    page = clerk_client.get("/admin/card_batch/").get_data(as_text=True)
    assert "GD-FS-001-261125-1" in page


def test_clerks_print_a_batch_with_one_code_per_card(clerk_client, app, dealer, product):
    response = clerk_client.post("/admin/card_batch/new/", data={"dealer": str(dealer.id), "product": str(product.id),
                                                                 "size": "8"})
    assert response.status_code == 302
    batch = db.session.scalar(select(CardBatch))
    assert batch.code.startswith("GD-FS-001-") and batch.size == 8
    page = clerk_client.get(f"/admin/card_batch/print/?id={batch.id}").get_data(as_text=True)
    assert page.count("<svg") == 8


def test_a_batch_of_more_than_500_cards_is_refused(clerk_client, dealer):
    response = clerk_client.post("/admin/card_batch/new/", data={"dealer": str(dealer.id), "size": "501"})
    assert response.status_code == 200
    assert count(CardBatch) == 0


def test_a_complaint_ticket_becomes_a_complaint_in_one_action(clerk_client, client, started):
    ticket(client, started, topic="complaint", description="送货师傅态度很差")
    record = db.session.scalar(select(HotlineTicket))
    response = clerk_client.post(f"/admin/hotline_ticket/to-complaint/?id={record.id}")
    complaint = db.session.scalar(select(Complaint))
    assert response.location == f"/admin/complaint/details/?id={complaint.id}"
    db.session.refresh(record)
    assert record.complaint_id == complaint.id and complaint.ticket.id == record.id
    assert complaint.description == "送货师傅态度很差" and complaint.customer_id == record.customer_id


def test_only_a_complaint_ticket_becomes_a_complaint(clerk_client, client, started):
    ticket(client, started, topic="repair")
    record = db.session.scalar(select(HotlineTicket))
    assert clerk_client.post(f"/admin/hotline_ticket/to-complaint/?id={record.id}").status_code == 403
    assert count(Complaint) == 0


def test_a_phone_ticket_entered_by_a_clerk_is_linked_by_phone_too(clerk_client, customer, dealer):
    clerk_client.post("/admin/hotline_ticket/new/", data={"channel": "phone", "topic": "repair", "description": "扶手松动",
                                                          "contact_name": "张伟", "mobile": "13812345678",
                                                          })
    record = db.session.scalar(select(HotlineTicket))
    assert (record.customer_id, record.dealer_id) == (customer.id, dealer.id)


def test_printed_codes_point_to_the_public_address(clerk_client, app, batch, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://fankui.example.cn")
    captured = []
    monkeypatch.setattr("admin_views.cards.segno.make", lambda link, **_: captured.append(link) or _FakeCode())
    clerk_client.get(f"/admin/card_batch/print/?id={batch.id}")
    assert len(captured) == 8
    assert all(link.startswith("https://fankui.example.cn/feedback?t=") for link in captured)
    with app.test_request_context():
        serials = sorted(intake.card_from_token(link.split("t=", 1)[1])[1] for link in captured)
    assert serials == list(range(1, 9))


class _FakeCode:
    def svg_inline(self, **_):
        return "<svg></svg>"


def test_no_hourly_limit_per_address_when_it_is_set_to_zero(app, client, started, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_SUBMITS_PER_ADDRESS", 0)
    for n in range(25):
        feedback(client, started, submission=f"s{n}")
    assert count(FeedbackCard) == 25


def test_a_submission_and_its_count_against_the_limits_are_stored_together(app, client, started):
    from crm.models import ThrottleEvent

    feedback(client, started, mobile="13812345678", consent="y")
    assert count(FeedbackCard) == 1 and count(ThrottleEvent) == 2


def test_a_feedback_submission_holds_the_write_lock_only_to_write(app, client, started, product, dealer):
    """Checking the form only reads: on SQLite its transaction is a plain BEGIN, and one
    BEGIN IMMEDIATE follows for the insert, so simultaneous forms queue only while writing."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    from tests.conftest import recorded_statements

    form = {"product": str(product.id), "dealer": str(dealer.id), "mobile": "13812345678", "consent": "y"}
    with recorded_statements(db.engine) as statements:
        feedback(client, started, **form)
    begins = [statement for statement in statements if statement.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"] and count(FeedbackCard) == 1


def test_a_store_that_is_not_offered_is_refused_and_the_form_lists_every_store_again(client, started, dealer,
                                                                                     other_dealer):
    other_dealer.active = False
    db.session.commit()
    response = feedback(client, started, dealer=str(other_dealer.id))
    assert response.status_code == 400 and count(FeedbackCard) == 0
    assert dealer.name in response.get_data(as_text=True)


@pytest.mark.parametrize(("headers", "message"), [(ZH, "不是有效的选择"), (EN, "Not a valid choice")])
def test_wtforms_own_messages_are_in_the_readers_language(client, started, headers, message):
    response = feedback(client, started, product="999999", headers=headers)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
