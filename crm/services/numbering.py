"""Reference numbers that customers read out on the phone: short, dated, unambiguous."""
import secrets

from sqlalchemy import exists, select

from crm.clock import today
from crm.extensions import db
from crm.models import Complaint, FeedbackCard, HotlineTicket

# No 0/O, 1/I/L: a customer reads these aloud or types them on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_PART = 4


CARD_PREFIX, COMPLAINT_PREFIX, TICKET_PREFIX = "FK", "TS", "RX"


def random_number(prefix: str) -> str:
    """A number such as TS261125-7K3Q, not checked against those given out (see new_number)."""
    return f"{prefix}{today():%y%m%d}-" + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_PART))


def new_number(prefix: str, column) -> str:
    """A number such as TS261125-7K3Q that `column` does not hold yet."""
    while True:
        candidate = random_number(prefix)
        with db.session.no_autoflush:  # the record being numbered may already sit in the session
            taken = db.session.scalar(select(exists().where(column == candidate)))
        if not taken:
            return candidate


def complaint_number() -> str:
    return new_number(COMPLAINT_PREFIX, Complaint.number)


def ticket_number() -> str:
    return new_number(TICKET_PREFIX, HotlineTicket.number)


def card_reference() -> str:
    return new_number(CARD_PREFIX, FeedbackCard.reference)
