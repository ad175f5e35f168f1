"""Reference numbers that customers read out on the phone: short, dated, unambiguous."""
import secrets

from sqlalchemy import exists, select

from crm.clock import today
from crm.extensions import db
from crm.models import Complaint, FeedbackCard, HotlineTicket

# No 0/O, 1/I/L: a customer reads these aloud or types them on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_PART = 4


def new_number(prefix: str, column) -> str:
    """A number such as TS261125-7K3Q that `column` does not hold yet."""
    stamp = today().strftime("%y%m%d")
    while True:
        candidate = f"{prefix}{stamp}-" + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_PART))
        with db.session.no_autoflush:  # the record being numbered may already sit in the session
            taken = db.session.scalar(select(exists().where(column == candidate)))
        if not taken:
            return candidate


def complaint_number() -> str:
    return new_number("TS", Complaint.number)


def ticket_number() -> str:
    return new_number("RX", HotlineTicket.number)


def card_reference() -> str:
    return new_number("FK", FeedbackCard.reference)
