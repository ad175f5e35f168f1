"""Rules applied whenever a record is saved, whoever saves it (back office, seed, portal)."""
from flask_babel import gettext as _
from sqlalchemy import inspect, select

from crm.clock import now
from crm.extensions import db
from crm.models import Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Order, Visit
from crm.models.choices import AcquisitionChannel, CustomerStatus, Severity
from crm.services import numbering, sla


def prepare_customer(customer: Customer) -> None:
    """Consent carries the moment it was given; withdrawing it clears that moment."""
    if customer.consent_to_contact and customer.consent_at is None:
        customer.consent_at = now()
    elif not customer.consent_to_contact:
        customer.consent_at = None


def _changed(record, *names) -> bool:
    state = inspect(record)
    return state.persistent and any(state.attrs[name].history.has_changes() for name in names)


def _inherit_dealer(record, source) -> None:
    """Give `record` the dealer of `source` (its customer) when it has none of its own.
    Either side may be new and known only by its dealer_id, so both forms are checked."""
    if source is None or record.dealer is not None:
        return
    cleared_in_form = bool(inspect(record).attrs.dealer.history.deleted)
    if record.dealer_id is not None and not cleared_in_form:
        return
    if source.dealer is not None:
        record.dealer = source.dealer
    elif source.dealer_id is not None:
        record.dealer_id = source.dealer_id


def prepare_order(order: Order) -> None:
    """An order belongs to the customer's dealer unless told otherwise, and makes a
    potential customer an actual one (实际顾客)."""
    customer = order.customer
    if customer is None:
        return
    _inherit_dealer(order, customer)
    if customer.status == CustomerStatus.POTENTIAL.value:
        customer.status = CustomerStatus.ACTUAL.value


def prepare_visit(visit: Visit) -> None:
    _inherit_dealer(visit, visit.customer)
    if visit.happened_at is None:
        visit.happened_at = now()


def prepare_complaint(complaint: Complaint) -> None:
    if not complaint.number:
        complaint.number = numbering.complaint_number()
    if complaint.received_at is None:
        complaint.received_at = now()
    _inherit_dealer(complaint, complaint.customer)
    if complaint.product is None and complaint.order is not None:
        complaint.product = complaint.order.product
    if complaint.first_response_due_at is None or _changed(complaint, "severity", "received_at"):
        due = sla.deadlines(complaint.received_at, complaint.severity or "normal")
        complaint.first_response_due_at, complaint.resolution_due_at = due.first_response, due.resolution


def customer_for_phone(mobile: str, name: str | None, channel: str, dealer_id: int | None = None,
                       city: str | None = None, address: str | None = None, consent: bool = False) -> Customer:
    """Phone-first linking: the customer with this mobile number, or a new potential
    customer when there is none, so that no card or ticket with a number is left floating."""
    customer = db.session.scalars(select(Customer).where(Customer.mobile == mobile).order_by(Customer.id)).first()
    if customer is None:
        customer = Customer(name=name or _("Customer ending %(digits)s", digits=mobile[-4:]), mobile=mobile,
                            status=CustomerStatus.POTENTIAL.value, channel=channel, dealer_id=dealer_id, city=city,
                            address=address)
        db.session.add(customer)
    if consent and not customer.consent_to_contact:
        customer.consent_to_contact = True
    prepare_customer(customer)
    return customer


def prepare_ticket(ticket: HotlineTicket) -> None:
    if not ticket.number:
        ticket.number = numbering.ticket_number()
    if ticket.received_at is None:
        ticket.received_at = now()
    if ticket.first_response_due_at is None or _changed(ticket, "received_at"):
        due = sla.deadlines(ticket.received_at, Severity.NORMAL.value)
        ticket.first_response_due_at, ticket.resolution_due_at = due.first_response, due.resolution
    if ticket.customer is None and ticket.mobile:
        ticket.customer = customer_for_phone(ticket.mobile, ticket.contact_name, AcquisitionChannel.HOTLINE.value,
                                             ticket.dealer_id, ticket.city, ticket.address)
    _inherit_dealer(ticket, ticket.customer)


def prepare_card(card: FeedbackCard) -> None:
    if not card.reference:
        card.reference = numbering.card_reference()
    if card.submitted_at is None:
        card.submitted_at = now()
    if card.consent_to_contact and card.consent_at is None:
        card.consent_at = card.submitted_at
    if card.customer is None and card.mobile:
        card.customer = customer_for_phone(card.mobile, card.contact_name, AcquisitionChannel.WEB.value,
                                           card.dealer_id, consent=card.consent_to_contact)
    _inherit_dealer(card, card.customer)


PREPARERS = {
    Customer: prepare_customer,
    Order: prepare_order,
    Visit: prepare_visit,
    Complaint: prepare_complaint,
    HotlineTicket: prepare_ticket,
    FeedbackCard: prepare_card,
}


def prepare(record, owner_dealer_id: int | None = None) -> None:
    """Apply the save rules of the record's type. `owner_dealer_id`, when given, is the
    dealership the record must belong to whatever the form said (a dealer's own login).
    The record may already be in the session, half filled: loading related rows must not
    flush it early."""
    with db.session.no_autoflush:
        if owner_dealer_id is not None and hasattr(record, "dealer"):
            record.dealer = db.session.get(Dealer, owner_dealer_id)
        preparer = PREPARERS.get(type(record))
        if preparer is not None:
            preparer(record)
