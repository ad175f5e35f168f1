"""Public intake records in the back office: linking a feedback card to its customer."""
from flask_babel import gettext as _

from sqlalchemy import select

from crm import access
from crm.database import write_transaction
from crm.extensions import db
from crm.models import Customer, FeedbackCard
from crm.models.choices import CardStatus
from crm.phones import InvalidPhone, normalise_mobile
from crm.services.errors import ServiceError


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
