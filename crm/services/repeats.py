"""Repeating problems: complaints about the same product and category piling up, to be
treated at scale rather than one by one."""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from crm import access
from crm.clock import now
from crm.extensions import db
from crm.models import Complaint, Product

WINDOWS = (30, 90)
DEFAULT_THRESHOLD = 3


@dataclass(frozen=True)
class RepeatGroup:
    days: int
    product_id: int
    model_number: str
    product_name: str
    category: str
    count: int


def threshold() -> int:
    return int(current_app.config.get("REPEAT_COMPLAINT_THRESHOLD", DEFAULT_THRESHOLD))


def repeating_problems(user, days: int, minimum: int | None = None) -> list[RepeatGroup]:
    """Groups of at least `minimum` complaints about one product and category in the last `days` days."""
    minimum = threshold() if minimum is None else minimum
    since = now() - timedelta(days=days)
    complaints = access.scope(select(Complaint.id, Complaint.product_id, Complaint.category), Complaint, user)
    complaints = complaints.where(Complaint.received_at >= since, Complaint.product_id.is_not(None)).subquery()
    rows = db.session.execute(
        select(complaints.c.product_id, Product.model_number, Product.name, complaints.c.category,
               func.count().label("n"))
        .join(Product, Product.id == complaints.c.product_id)
        .group_by(complaints.c.product_id, Product.model_number, Product.name, complaints.c.category)
        .having(func.count() >= minimum)
        .order_by(func.count().desc(), Product.model_number)
    ).all()
    return [RepeatGroup(days, row.product_id, row.model_number, row.name, row.category, row.n) for row in rows]
