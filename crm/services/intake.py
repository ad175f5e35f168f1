"""What customers send in (feedback cards, hotline tickets) and what clerks do with it:
printing card batches, attributing answers to dealers, linking by phone, turning a
complaint ticket into a Complaint."""
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from crm import access
from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import CardBatch, CardOpening, CaseNote, Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Product
from crm.models.choices import CardStatus, ComplaintChannel, ComplaintStatus, NoteKind, TicketChannel, TicketStatus, TicketTopic
from crm.phones import InvalidPhone, normalise_mobile
from crm.services import records, throttle
from crm.services.errors import ServiceError

CARD_TOKEN_SALT = "feedback-card"
MAX_BATCH_SIZE = 500


# Card batches and their QR tokens ---------------------------------------------------------
def _card_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CARD_TOKEN_SALT)


def card_token(batch: CardBatch, serial: int) -> str:
    """The signed token a printed card's QR code carries: batch (so dealer and product) and serial."""
    return _card_signer().dumps([batch.id, serial])


def card_from_token(token: str | None) -> tuple[CardBatch, int] | None:
    """The batch and serial a token names; None for a missing, tampered or unknown token."""
    if not token:
        return None
    try:
        batch_id, serial = _card_signer().loads(token)
    except (BadData, TypeError, ValueError):
        return None
    batch = db.session.get(CardBatch, batch_id) if isinstance(batch_id, int) else None
    if batch is None or not isinstance(serial, int) or not 1 <= serial <= batch.size:
        return None
    return batch, serial


def create_batch(dealer: Dealer, product: Product | None, size: int, user) -> CardBatch:
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ServiceError(_("Print between 1 and %(n)d cards at a time.", n=MAX_BATCH_SIZE))
    with write_transaction():
        same_day = db.session.scalar(select(func.count()).select_from(CardBatch).where(
            CardBatch.dealer_id == dealer.id, CardBatch.created_at >= now().replace(hour=0, minute=0, second=0)))
        batch = CardBatch(code=f"{dealer.code}-{now():%y%m%d}-{same_day + 1}", dealer=dealer, product=product,
                          size=size, created_by_id=getattr(user, "id", None))
        db.session.add(batch)
        db.session.commit()
    return batch


def record_opening(batch: CardBatch, serial: int) -> None:
    """Count a card as opened the first time its QR code is used; later openings change nothing."""
    with write_transaction():
        exists = db.session.scalar(select(CardOpening.id).where(CardOpening.batch_id == batch.id,
                                                                CardOpening.serial == serial))
        if exists is None:
            try:
                db.session.execute(insert(CardOpening).values(batch_id=batch.id, serial=serial, at=now()))
                db.session.commit()
            except IntegrityError:  # opened at the same moment elsewhere: already counted
                db.session.rollback()
                return
        else:
            db.session.rollback()


# Public submissions (feedback cards: crm/services/public_feedback.py) ----------------------
@dataclass
class TicketRequest:
    submission: str
    topic: str
    description: str
    contact_name: str
    mobile: str
    city: str | None
    address: str | None
    product_id: int | None
    purchase_date: date | None


def submit_ticket(request: TicketRequest, counted=()) -> str:
    """One ticket per submitted form; returns its number (a repeated submission returns the first's)."""
    ticket = HotlineTicket(
        submission_token=request.submission, channel=TicketChannel.WEB.value, topic=request.topic,
        description=request.description, contact_name=request.contact_name, mobile=request.mobile,
        city=request.city, address=request.address, product_id=request.product_id,
        purchase_date=request.purchase_date)
    return _save_submission(ticket, "number", counted)


def _by_submission(model, token: str):
    return db.session.scalar(select(model).where(model.submission_token == token)) if token else None


def _save_submission(record, key: str, counted) -> str:
    """Store a public submission once, with its throttle events, in one short write
    transaction; the save rules link it to its customer by phone. Returns the record's
    `key` (its reference or number), read before the commit expires it."""
    model = type(record)
    with write_transaction():
        existing = _by_submission(model, record.submission_token)
        if existing is not None:
            return getattr(existing, key)
        try:
            records.prepare(record)
            db.session.add(record)
            throttle.add(*counted)
            db.session.flush()
            value = getattr(record, key)
            db.session.commit()
        except IntegrityError:
            # The same form arrived twice at once: the other request stored it.
            db.session.rollback()
            existing = _by_submission(model, record.submission_token)
            if existing is None:
                raise
            return getattr(existing, key)
    return value


# Ticket status ----------------------------------------------------------------------------
def find_ticket(number: str, last_digits: str) -> HotlineTicket | None:
    """The ticket with this number whose mobile ends in these digits; None otherwise, the
    same answer for a wrong number as for wrong digits."""
    ticket = db.session.scalar(select(HotlineTicket).where(HotlineTicket.number == (number or "").strip().upper()))
    if ticket is None or not ticket.mobile or not ticket.mobile.endswith(last_digits or "-"):
        return None
    return ticket


@dataclass(frozen=True)
class TimelineEntry:
    code: str
    at: object
    text: str | None = None


def public_timeline(ticket: HotlineTicket) -> list[TimelineEntry]:
    """What the customer may see: received, assigned, each public reply, resolved."""
    steps = [TimelineEntry("received", ticket.received_at)]
    if ticket.assigned_to_id is not None or ticket.status != TicketStatus.NEW.value:
        steps.append(TimelineEntry("assigned", None))
    steps += [TimelineEntry("answered", note.created_at, note.body) for note in ticket.notes if note.public]
    if ticket.status in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
        steps.append(TimelineEntry("resolved", ticket.resolved_at))
    return steps


# Back-office actions ----------------------------------------------------------------------
def find_customer_by_mobile(typed: str, user, region: str = "CN") -> Customer:
    """The customer with this mobile number among those the user may see."""
    try:
        mobile = normalise_mobile(typed, region)
    except InvalidPhone:
        raise ServiceError(_("Enter a valid mobile number, for example 13812345678.")) from None
    query = access.scope(select(Customer).where(Customer.mobile == mobile), Customer, user)
    customer = db.session.scalars(query.order_by(Customer.id)).first()
    if customer is None:
        raise ServiceError(_("No customer has the mobile number %(mobile)s.", mobile=typed.strip()))
    return customer


def link_card(card: FeedbackCard, customer: Customer) -> None:
    with write_transaction():
        card.customer = customer
        card.status = CardStatus.LINKED.value
        if card.dealer_id is None:
            card.dealer_id = customer.dealer_id
        db.session.commit()


def complaint_from_ticket(ticket: HotlineTicket, user=None) -> Complaint:
    """Turn a complaint ticket into a Complaint in one step; each then points to the other."""
    if ticket.topic != TicketTopic.COMPLAINT.value:
        raise ServiceError(_("Only a ticket about a complaint can become a complaint."))
    if ticket.complaint is not None:
        raise ServiceError(_("This ticket is already complaint %(number)s.", number=ticket.complaint.number))
    if ticket.customer is None:
        raise ServiceError(_("Link the ticket to a customer first."))
    with write_transaction():
        complaint = Complaint(
            customer=ticket.customer, dealer_id=ticket.dealer_id, product_id=ticket.product_id,
            channel=ComplaintChannel.WEB.value if ticket.channel == TicketChannel.WEB.value
            else ComplaintChannel.HOTLINE.value,
            category="other", severity="normal", status=ComplaintStatus.NEW.value,
            description=ticket.description, received_at=ticket.received_at,
            # What already happened on the ticket counts for the complaint: an answer given,
            # an escalation made, the person responsible.
            first_response_at=ticket.first_response_at, escalated_at=ticket.escalated_at,
            assigned_to_id=ticket.assigned_to_id)
        records.prepare(complaint)
        ticket.complaint = complaint
        if ticket.status in (TicketStatus.NEW.value, TicketStatus.ACKNOWLEDGED.value, TicketStatus.REOPENED.value):
            ticket.status = TicketStatus.IN_PROGRESS.value
        db.session.add(complaint)
        db.session.flush()
        ticket.notes.append(CaseNote(kind=NoteKind.PROGRESS.value, public=False, author_id=user.id if user else None,
                                     body=_("Opened as complaint %(number)s.", number=complaint.number)))
        db.session.commit()
    return complaint
