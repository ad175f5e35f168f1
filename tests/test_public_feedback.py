"""A feedback card is stored by a lean path (crm/services/public_feedback.py): one statement
reads what the card needs, one write transaction stores it. It must keep every save rule
and audit entry the ORM path gives other records."""
import time

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import AuditEntry, Customer, FeedbackCard, Product
from crm.services import numbering, public_feedback, spam
from tests.conftest import recorded_statements
from tests.test_portal import batch, count, feedback, token_for  # noqa: F401 (batch: a fixture)


@pytest.fixture
def started(app):
    with app.test_request_context():
        return spam.start_token(time.time() - 10)


def entries(record_type: str, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.record_type == record_type).order_by(AuditEntry.id)
    return db.session.scalars(query if action is None else query.where(AuditEntry.action == action)).all()


def test_the_card_is_audited_with_every_value_it_was_stored_with(client, started, product, dealer):
    feedback(client, started, product=str(product.id), dealer=str(dealer.id), comments="很好", rating_service="4")
    card = db.session.scalar(select(FeedbackCard))
    entry, = entries("feedback_card")
    assert (entry.action, entry.actor, entry.record_id, entry.record_label) == ("create", "public", card.id,
                                                                                 card.reference)
    assert entry.changes["product_id"] == [None, product.id] and entry.changes["dealer_id"] == [None, dealer.id]
    assert entry.changes["comments"] == [None, "很好"] and entry.changes["rating_service"] == [None, 4]
    assert entry.changes["submitted_at"] == [None, card.submitted_at.isoformat()]
    assert "created_at" not in entry.changes and "purchase_date" not in entry.changes


def test_consent_on_the_card_is_passed_to_the_customer_and_audited(client, started, customer):
    assert not customer.consent_to_contact
    feedback(client, started, mobile="13812345678", consent="y")
    db.session.refresh(customer)
    card = db.session.scalar(select(FeedbackCard))
    assert customer.consent_to_contact and customer.consent_at == card.consent_at == card.submitted_at
    update, = entries("customer", "update")
    assert update.record_id == customer.id
    assert update.changes == {"consent_to_contact": [False, True], "consent_at": [None, card.consent_at.isoformat()],
                              "version": [1, 2]}
    assert update.record_label == str(customer)


def test_a_customer_who_already_agreed_is_left_as_they_are(client, started, customer):
    customer.consent_to_contact, customer.consent_at = True, customer.created_at
    db.session.commit()
    updates = len(entries("customer", "update"))
    feedback(client, started, mobile="13812345678", consent="y")
    db.session.refresh(customer)
    assert customer.consent_at == customer.created_at and len(entries("customer", "update")) == updates


def test_a_card_without_a_store_takes_the_customers_dealer(client, started, customer, dealer):
    feedback(client, started, mobile="13812345678", consent="y")
    assert db.session.scalar(select(FeedbackCard)).dealer_id == dealer.id


def test_a_store_named_on_the_card_wins_over_the_customers_dealer(client, started, customer, other_dealer):
    feedback(client, started, mobile="13812345678", consent="y", dealer=str(other_dealer.id))
    assert db.session.scalar(select(FeedbackCard)).dealer_id == other_dealer.id


def test_a_new_phone_number_makes_one_audited_potential_customer(client, started):
    feedback(client, started, mobile="13900001111", consent="y")
    created, = entries("customer", "create")
    assert created.record_id == db.session.scalar(select(Customer.id)) and count(Customer) == 1


def test_a_reference_drawn_twice_is_drawn_again(client, started, monkeypatch):
    feedback(client, started, submission="first")
    taken = db.session.scalar(select(FeedbackCard.reference))
    draws = iter([taken, taken, "FK261206-XYZW"])
    monkeypatch.setattr(numbering, "random_number", lambda prefix: next(draws))
    feedback(client, started, submission="second")
    assert sorted(db.session.scalars(select(FeedbackCard.reference))) == sorted([taken, "FK261206-XYZW"])


def test_a_busy_day_with_many_taken_references_still_stores_the_card(client, started, monkeypatch):
    feedback(client, started, submission="first")
    taken = db.session.scalar(select(FeedbackCard.reference))
    draws = iter([taken] * 9 + ["FK261206-XYZW"])
    monkeypatch.setattr(numbering, "random_number", lambda prefix: next(draws))
    assert feedback(client, started, submission="second").status_code == 302
    assert count(FeedbackCard) == 2


def test_a_product_withdrawn_while_the_card_was_stored_is_checked_again(client, started, product, monkeypatch):
    store = public_feedback._store

    def withdrawn_meanwhile(*args, **kwargs):
        monkeypatch.setattr(public_feedback, "_store", store)
        with db.engine.begin() as other_request:
            other_request.execute(update(Product).where(Product.id == product.id).values(active=False))
        raise IntegrityError("INSERT INTO feedback_card", {}, Exception("FOREIGN KEY constraint failed"))

    monkeypatch.setattr(public_feedback, "_store", withdrawn_meanwhile)
    response = feedback(client, started, product=str(product.id))
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert count(FeedbackCard) == 0


def test_a_card_from_a_qr_code_takes_the_write_lock_only_to_store_it(app, client, started, batch):
    with recorded_statements(db.engine) as statements:
        assert feedback(client, started, card=token_for(app, batch, 2)).status_code == 302
    after_lock = statements[statements.index("BEGIN IMMEDIATE") + 1:] if "BEGIN IMMEDIATE" in statements else []
    if db.engine.dialect.name == "sqlite":
        assert statements.count("BEGIN IMMEDIATE") == 1
        assert after_lock[0].lstrip().startswith("INSERT INTO feedback_card")
    assert db.session.scalar(select(FeedbackCard.batch_id)) == batch.id


def test_a_form_sent_again_after_it_was_stored_shows_the_same_reference(client, started):
    first = feedback(client, started, submission="same")
    second = feedback(client, started, submission="same")
    assert first.location == second.location and count(FeedbackCard) == 1


def test_storing_a_card_takes_a_handful_of_statements(app, client, started, customer, product, dealer):
    customer.consent_to_contact, customer.consent_at = True, customer.created_at
    db.session.commit()
    form = {"product": str(product.id), "dealer": str(dealer.id), "mobile": "13812345678", "consent": "y"}
    with recorded_statements(db.engine) as statements:
        feedback(client, started, **form)
    work = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"))]
    assert count(FeedbackCard) == 1
    assert len(work) <= 4, "\n".join(s[:90] for s in work)  # the facts, the card, its limit events, its audit entry


def test_an_unknown_product_is_refused_next_to_the_field(client, started):
    response = feedback(client, started, product="424242")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert count(FeedbackCard) == 0


def test_a_blocked_form_looks_accepted_and_stores_nothing(client, app, started, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_SUBMITS_PER_PHONE", 1)
    feedback(client, started, submission="one", mobile="13812345678", consent="y")
    response = feedback(client, started, submission="two", mobile="13812345678", consent="y")
    assert response.status_code == 302 and "/feedback/thanks/FK" in response.location
    assert count(FeedbackCard) == 1 and db.session.scalar(select(func.count()).select_from(Customer)) == 1


def test_consent_from_a_card_is_not_undone_by_a_customer_form_opened_before(client, started, customer, clerk_client):
    """The card writes the customer without the ORM; it raises the version all the same, so
    a clerk's form opened before the card arrived cannot silently withdraw the consent."""
    opened = {"name": customer.name, "gender": customer.gender, "status": customer.status, "mobile": "13812345678",
              "version": str(customer.version)}
    feedback(client, started, mobile="13812345678", consent="y")
    response = clerk_client.post(f"/admin/customer/edit/?id={customer.id}", data=opened)
    assert response.status_code == 200
    db.session.refresh(customer)
    assert customer.consent_to_contact
