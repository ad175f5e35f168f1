"""Duplicate customers: finding likely pairs, and merging one into the other with
everything that refers to it, traceably."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from crm import access
from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import AuditEntry, Complaint, Customer, FeedbackCard, HotlineTicket, ImportRow, Order, Visit
from crm.models.choices import CustomerStatus
from crm.services import audit
from crm.services.errors import ServiceError

MAX_PAIRS = 200
# A number or address shared by more customers than this is a placeholder (a shop's own
# phone, "门店自提"), not one person entered twice.
MAX_GROUP = 20
# What moves to the kept customer, by the column that points at the customer.
REFERRING = ((Order.customer_id, _l("Orders")), (Visit.customer_id, _l("Service visits")),
             (Complaint.customer_id, _l("Complaints")), (HotlineTicket.customer_id, _l("Hotline tickets")),
             (FeedbackCard.customer_id, _l("Feedback cards")), (Customer.referred_by_id, _l("Customers referred")),
             (ImportRow.customer_id, _l("Imported rows")))
# Fields the kept customer takes from the other one when it has none of its own.
FILLABLE = ("gender", "mobile", "other_phone", "email", "province", "city", "district", "address", "postal_code",
            "housing_type", "floor_area", "household_stage", "household_size", "employer", "birthday", "channel",
            "referred_by_id", "dealer_id", "salesperson", "price_tier", "discount_terms", "payment_terms", "notes")
REASONS = {"phone": _l("Same mobile number"), "name_address": _l("Similar name at the same address")}


@dataclass(frozen=True)
class Pair:
    keep: Customer  # the older record, suggested to keep
    other: Customer
    reason: str


def likely_duplicates(user, limit: int = MAX_PAIRS) -> list[Pair]:
    """Same normalised mobile number; or the same address with a similar name."""
    pairs: list[Pair] = []
    seen: set[tuple[int, int]] = set()
    for group in _groups(user, Customer.mobile, limit):
        _add_pairs(pairs, seen, group, "phone", lambda a, b: True)
    for group in _groups(user, func.replace(Customer.address, " ", ""), limit):
        if len(pairs) >= limit:
            break
        _add_pairs(pairs, seen, group, "name_address", similar_names)
    return pairs[:limit]


def _groups(user, key, limit: int) -> list[list[Customer]]:
    """Customers of one dealership sharing `key`; a merge never crosses dealerships."""
    size = func.count()
    shared = access.scope(select(key, Customer.dealer_id).where(key.is_not(None), key != "")
                          .group_by(key, Customer.dealer_id).having(size > 1, size <= MAX_GROUP)
                          .order_by(size.desc()).limit(limit), Customer, user)
    found = db.session.execute(shared).all()
    if not found:
        return []
    members = db.session.scalars(access.scope(
        select(Customer).where(key.in_({value for value, _dealer in found})).order_by(Customer.id),
        Customer, user)).all()
    wanted = set(found)
    groups: dict[tuple, list[Customer]] = {}
    for customer in members:
        group = (_value_of(key, customer), customer.dealer_id)
        if group in wanted:
            groups.setdefault(group, []).append(customer)
    return [group for group in groups.values() if len(group) > 1]


def _value_of(key, customer: Customer) -> str:
    return customer.mobile if key is Customer.mobile else (customer.address or "").replace(" ", "")


def _add_pairs(pairs: list[Pair], seen: set, group: list[Customer], reason: str, alike) -> None:
    for index, first in enumerate(group):
        for second in group[index + 1:]:
            ids = (first.id, second.id)
            if ids not in seen and alike(first.name, second.name):
                seen.add(ids)
                pairs.append(Pair(first, second, reason))


def similar_names(first: str | None, second: str | None) -> bool:
    """The same name written differently: spaces, or one character apart (a typo, or
    王芳 / 王 芳 / 汪芳) for names of the same length."""
    a, b = (re.sub(r"\s+", "", name or "").lower() for name in (first, second))
    if not a or not b:
        return False
    if a == b:
        return True
    return len(a) == len(b) >= 2 and sum(x != y for x, y in zip(a, b)) == 1


@dataclass(frozen=True)
class MergePreview:
    keep: Customer
    other: Customer
    fields: list[tuple[str, object, object, object]]  # name, kept value, other value, value after the merge
    moving: list[tuple[str, int]]  # what moves to the kept customer: (kind, how many)


def preview(keep: Customer, other: Customer) -> MergePreview:
    _refuse_same(keep, other)
    fields = []
    for name in ("name", *FILLABLE, "status", "consent_to_contact"):
        kept_value, other_value = getattr(keep, name), getattr(other, name)
        fields.append((name, kept_value, other_value, _merged_value(name, kept_value, other_value)))
    moving = [(str(label), db.session.scalar(select(func.count()).select_from(column.class_)
                                             .where(column == other.id))) for column, label in REFERRING]
    return MergePreview(keep, other, fields, moving)


def _merged_value(name: str, kept, other):
    if name == "status":
        return CustomerStatus.ACTUAL.value if CustomerStatus.ACTUAL.value in (kept, other) else kept
    if name == "consent_to_contact":
        return bool(kept or other)
    return kept if kept not in (None, "") else other


def _refuse_same(keep: Customer, other: Customer) -> None:
    if keep.id == other.id:
        raise ServiceError(_("Choose two different customers."))
    if keep.dealer_id != other.dealer_id:
        raise ServiceError(_("These customers belong to different dealers; only customers of the same dealer can "
                             "be merged."))


def merge(keep: Customer, other: Customer) -> dict[str, int]:
    """Move everything of `other` to `keep`, fill `keep`'s empty fields from `other`, delete
    `other`; one transaction, every change in the audit trail plus one entry naming both."""
    _refuse_same(keep, other)
    plan = preview(keep, other)
    with write_transaction():
        moved = {}
        for column, _label in REFERRING:
            rows = db.session.scalars(select(column.class_).where(column == other.id)).all()
            for row in rows:
                setattr(row, column.key, keep.id)
            moved[column.class_.__tablename__] = len(rows)
        for name, _kept, _other, merged in plan.fields:
            if name != "name":
                setattr(keep, name, merged)
        if keep.consent_to_contact and keep.consent_at is None:
            keep.consent_at = other.consent_at or now()
        if keep.referred_by_id in (other.id, keep.id):
            keep.referred_by_id = None  # nobody refers themselves
        snapshot = {"merged_from": [other.id, keep.id], "name": [other.name, keep.name],
                    "mobile": [other.mobile, keep.mobile]}
        db.session.flush()
        db.session.delete(other)
        entry = audit.record_bulk("customer", 1, f"merge #{other.id} into #{keep.id}", audit.AuditAction.UPDATE)
        entry.update(record_id=keep.id, changes={**snapshot, **{kind: [count, None] for kind, count in moved.items()
                                                                 if count}})
        db.session.execute(insert(AuditEntry), [entry])
        db.session.commit()
    return moved
