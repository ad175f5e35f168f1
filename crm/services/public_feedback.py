"""Receiving a feedback card from the public form: one statement reads everything the
card needs, one short write transaction stores it.

A QR-code campaign brings cards in bursts, so this path is kept lean: the ORM's unit of
work, a query per check and a second query to find a free reference cost five times what
storing the card does. What the save rules say (crm/services/records.py) holds here too:
the card joins the customer with its mobile number (a new number becomes a potential
customer, through the ORM, as everywhere else), takes that customer's dealer when it
names none, carries the moment consent was given and passes the consent on to the
customer; every row written has its audit entry in the same transaction.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, bindparam, insert, literal, select, true, update
from sqlalchemy.exc import IntegrityError

from crm.clock import now
from crm.database import reading_first, write_transaction
from crm.extensions import db
from crm.models import Customer, Dealer, FeedbackCard, Product
from crm.models.choices import AcquisitionChannel, AuditAction, CardStatus
from crm.services import audit, numbering, records, spam, throttle

# A day has 31**4 = 923,521 card references (numbering.py). A busy QR-code day with 150,000
# cards already stored draws a taken one about one time in six; ten draws all taken happen
# about once in 60 million cards. (Three, as before, failed a card in 200 at that volume.)
ATTEMPTS = 10


@dataclass
class FeedbackAnswer:
    submission: str
    product_id: int | None
    dealer_id: int | None
    purchase_date: object
    ratings: dict
    recommend_score: int | None
    comments: str | None
    contact_name: str | None
    mobile: str | None
    consent: bool
    card: "PrintedCard | None"  # when the form came from a printed card's QR code


@dataclass(frozen=True)
class PrintedCard:
    """What the card's batch says, as plain values: read while checking the form, it must
    not be loaded again once the write lock is held."""
    batch_id: int
    dealer_id: int
    product_id: int | None
    serial: int

    @classmethod
    def of(cls, card: tuple | None) -> "PrintedCard | None":
        """From intake.card_from_token's (CardBatch, serial)."""
        if card is None:
            return None
        batch, serial = card
        return cls(batch.id, batch.dealer_id, batch.product_id, serial)


@dataclass(frozen=True)
class Reception:
    reference: str | None = None  # the card's (or, for a blocked form, a decoy never stored)
    unknown_product: bool = False
    unknown_store: bool = False


def _facts_statement(with_counts: tuple[str, ...]):
    """Everything a card needs to know, in one statement (built once per set of limits):
    whether its product and store are offered, the customer with its mobile number, and
    the submissions counted against its limits. A form sent twice and a reference drawn
    twice are left to the unique keys: they are rare, and checking cost every card."""
    mobile, since = bindparam("mobile", type_=String), bindparam("since", type_=DateTime)
    customer = select(Customer.id, Customer.dealer_id, Customer.consent_to_contact, Customer.name) \
        .where(Customer.mobile == mobile).order_by(Customer.id).limit(1).subquery()
    counts = spam.recent_submissions(bindparam("address", type_=String), mobile, since)
    one_row = select(literal(1).label("one")).subquery("one_row")
    return select(
        select(Product.id).where(Product.id == bindparam("product", type_=Integer), Product.active.is_(True))
        .scalar_subquery().label("product"),
        select(Dealer.id).where(Dealer.id == bindparam("dealer", type_=Integer), Dealer.active.is_(True))
        .scalar_subquery().label("dealer"),
        *(counts[name].label(name) for name in with_counts),
        customer.c.id.label("customer_id"), customer.c.dealer_id.label("customer_dealer_id"),
        customer.c.consent_to_contact.label("customer_consent_to_contact"), customer.c.name.label("customer_name"),
    ).select_from(one_row.outerjoin(customer, true()))


_statements: dict = {}


def _facts(answer: FeedbackAnswer, address: str, moment: datetime):
    counts = spam.limits_that_count(bool(answer.mobile))
    statement = _statements.get(counts)
    if statement is None:
        statement = _statements[counts] = _facts_statement(counts)
    return db.session.connection().execute(statement, {
        "product": answer.product_id, "dealer": answer.dealer_id, "mobile": answer.mobile, "address": address,
        "since": moment - spam.WINDOW}).one()


def receive(answer: FeedbackAnswer, address: str, honeypot: str | None, started: str | None) -> Reception:
    """Check and store one submitted card; a form sent again returns the first card's reference."""
    if spam.shows_robot_signs(honeypot, started):
        return Reception(numbering.random_number(numbering.CARD_PREFIX))  # looks accepted, stored nowhere
    for _attempt in range(ATTEMPTS):
        moment = now()
        with reading_first():
            facts = _facts(answer, address, moment)
        if answer.product_id is not None and facts.product is None:
            return Reception(unknown_product=True)
        if answer.dealer_id is not None and facts.dealer is None:
            return Reception(unknown_store=True)
        if spam.over_limits(getattr(facts, "by_address", None), getattr(facts, "by_phone", None)):
            return Reception(numbering.random_number(numbering.CARD_PREFIX))  # as a robot's: stored nowhere
        try:
            return Reception(_store(answer, facts, address, numbering.random_number(numbering.CARD_PREFIX), moment))
        except IntegrityError:
            db.session.rollback()
            existing = db.session.scalar(select(FeedbackCard.reference)
                                         .where(FeedbackCard.submission_token == answer.submission))
            db.session.rollback()
            if existing:  # the same form was stored before, or at the same moment by another request
                return Reception(existing)
            # Else the reference drawn was taken, or what the checks read changed since (a
            # product or store withdrawn, a customer merged away): check again, draw again.
    raise RuntimeError("no free card reference after several attempts")


def _store(answer: FeedbackAnswer, facts, address: str, reference: str, moment: datetime) -> str:
    card = answer.card
    entries = []
    with write_transaction():
        customer_id, customer_dealer_id = facts.customer_id, facts.customer_dealer_id
        card_dealer_id = card.dealer_id if card else answer.dealer_id
        if answer.mobile and customer_id is None:
            customer = records.customer_for_phone(answer.mobile, answer.contact_name, AcquisitionChannel.WEB.value,
                                                  card_dealer_id, consent=answer.consent)
            db.session.flush()  # the new customer (and its audit entry), for its id
            customer_id, customer_dealer_id = customer.id, customer.dealer_id
        elif customer_id is not None and answer.consent and not facts.customer_consent_to_contact:
            entries.append(_give_consent(customer_id, facts.customer_name, answer.mobile, moment))
        values = {
            "reference": reference, "submission_token": answer.submission, "customer_id": customer_id,
            "dealer_id": card_dealer_id if card_dealer_id is not None else customer_dealer_id,
            "product_id": (card.product_id if card and card.product_id else answer.product_id),
            "batch_id": card.batch_id if card else None, "serial": card.serial if card else None,
            "purchase_date": answer.purchase_date,
            **answer.ratings, "recommend_score": answer.recommend_score, "comments": answer.comments,
            "contact_name": answer.contact_name, "mobile": answer.mobile, "consent_to_contact": answer.consent,
            "consent_at": moment if answer.consent else None, "status": CardStatus.NEW.value,
            "submitted_at": moment, "created_at": moment, "updated_at": moment}
        connection = db.session.connection()
        card_id = connection.execute(_INSERT_CARD, values).scalar_one()
        entries.append(audit.entry(AuditAction.CREATE, FeedbackCard.__tablename__, card_id, reference,
                                              audit.created_changes({"id": card_id, **values})))
        throttle.add(*spam.submission_events(address, answer.mobile))
        audit.write(connection, entries)
        db.session.commit()
    return reference


_INSERT_CARD = insert(FeedbackCard.__table__).returning(FeedbackCard.__table__.c.id)


def _give_consent(customer_id: int, name: str | None, mobile: str, moment: datetime) -> dict:
    """The customer agreed on the card to be contacted: so they have (records.prepare_customer's rule)."""
    table = Customer.__table__
    version = db.session.execute(update(table).where(table.c.id == customer_id)
                                 .values(consent_to_contact=True, consent_at=moment, updated_at=moment,
                                         version=table.c.version + 1).returning(table.c.version)).scalar_one()
    return audit.entry(AuditAction.UPDATE, Customer.__tablename__, customer_id, str(Customer(name=name, mobile=mobile)),
                       {"consent_to_contact": audit.changed(False, True, "consent_to_contact"),
                        "consent_at": audit.changed(None, moment, "consent_at"), "version": [version - 1, version]})


