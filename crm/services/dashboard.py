"""The figures on the back office's front page."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from crm import access
from crm.clock import today
from crm.extensions import db
from crm.models import Complaint, Customer, FeedbackCard, HotlineTicket
from crm.models.choices import OPEN_COMPLAINT_STATUSES, CustomerStatus


@dataclass(frozen=True)
class HeadlineFigures:
    customers: int
    actual_customers: int
    open_complaints: int
    tickets_today: int
    cards_this_week: int


def headline_figures(user) -> HeadlineFigures:
    """The figures the user may see: a dealer's count only their own dealership."""
    start_of_today = datetime.combine(today(), time.min)
    start_of_week = start_of_today - timedelta(days=today().weekday())
    return HeadlineFigures(
        customers=_count(user, Customer),
        actual_customers=_count(user, Customer, Customer.status == CustomerStatus.ACTUAL.value),
        open_complaints=_count(user, Complaint, Complaint.status.in_(OPEN_COMPLAINT_STATUSES)),
        tickets_today=_count(user, HotlineTicket, HotlineTicket.received_at >= start_of_today),
        cards_this_week=_count(user, FeedbackCard, FeedbackCard.submitted_at >= start_of_week),
    )


def _count(user, model, *conditions) -> int:
    query = access.scope(select(func.count()).select_from(model).where(*conditions), model, user)
    return db.session.scalar(query) or 0
