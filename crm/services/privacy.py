"""Customers' personal data under China's Personal Information Protection Law (PIPL):
everything held about one customer as a file (the right to access and copy it), and
anonymising a customer on request (the right to erasure) without losing the figures.

What anonymising erases and keeps, and why:
- Erased: what identifies, locates or reaches the person: the name (replaced by a neutral
  placeholder, the column may not be empty), both phone numbers, email, street address,
  postal code (a Chinese postal code can be a single residential compound or employer),
  birthday, employer, floor area (with the district it points at one flat), the
  customer's notes, who referred them (a relation between two people), and the consent
  to be contacted (nobody is left to contact). The copies on their feedback cards and
  hotline tickets go too (contact name, number, address), as does the place of each
  visit (usually their home), and the name, number and address columns of the order
  spreadsheet rows that created them.
- Kept: what the figures are made of and what identifies nobody on its own: province,
  city and district (the region figures: a district holds hundreds of thousands of
  people), gender, household stage and size, housing type, channel, status, dealer, the
  salesperson (a member of the dealer's staff, counted in the salesperson figures), price
  tier and terms; every order with its product, quantity, amount and dates; every visit,
  complaint and ticket with its category, severity, status, times, deadlines, escalation
  and satisfaction; every feedback card's ratings and NPS.
- Free text that is kept (complaint and ticket descriptions, resolutions, case notes,
  visit summaries, card comments, the customer's terms) is what a repeating defect is
  found by: it loses every occurrence of the customer's name, numbers, email and
  address instead of being erased.
- The audit trail keeps who changed what and when, but no longer the erased values: in
  the entries about this customer's records (and those of customers merged into them),
  a value of an erased or cleaned field that the record no longer holds is replaced by
  a mark, and a label that names the customer by the record's present one. Whether and
  when consent was given stays: it made the processing lawful. The anonymisation's own
  entry names the fields, never their values.

Everything happens in one transaction. The search index follows by itself (triggers on
the customer table): the old name and numbers find nothing afterwards."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select
from sqlalchemy.orm.exc import StaleDataError

from crm import access
from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import (
    AuditEntry,
    CaseNote,
    Complaint,
    Customer,
    FeedbackCard,
    HotlineTicket,
    ImportRow,
    Order,
    ThrottleEvent,
    Visit,
)
from crm.models.choices import AuditAction
from crm.phones import national_digits
from crm.services import audit
from crm.services.errors import ServiceError

FORMAT = "lifelong-personal-data/1"  # the export's format name; field names are stable within it
REMOVED = "***"  # what stands in the trail, and in kept free text, where an erased value was


PLACEHOLDER = object()  # stands for the anonymised customer's placeholder name (placeholder_name)
# The customer's columns, each decided: erased (to this value), cleaned of the customer's
# identifiers, or kept. tests/test_privacy.py fails when a new column is in none of them.
CUSTOMER_ERASED = {"name": PLACEHOLDER, "mobile": None, "other_phone": None, "email": None, "address": None,
                   "postal_code": None, "birthday": None, "employer": None, "floor_area": None, "notes": None,
                   "referred_by_id": None, "consent_to_contact": False, "consent_at": None}
CUSTOMER_CLEANED = ("discount_terms", "payment_terms")
CUSTOMER_KEPT = ("gender", "province", "city", "district", "housing_type", "household_stage", "household_size",
                 "channel", "status", "dealer_id", "salesperson", "price_tier", "import_id")
BOOKKEEPING = ("id", "created_at", "updated_at", "version")
# The linked records' copies of personal data: erased (to this value) or cleaned.
LINKED_ERASED = {
    FeedbackCard: {"contact_name": None, "mobile": None, "consent_to_contact": False, "consent_at": None},
    # A ticket's contact name and number may not be empty: the placeholder, and no number
    # (the status check by the number's last digits then finds nothing, as it should).
    HotlineTicket: {"contact_name": PLACEHOLDER, "mobile": "", "address": None},
    Visit: {"place": None},
}
LINKED_CLEANED = {
    FeedbackCard: ("comments",),
    HotlineTicket: ("description", "resolution", "close_reason"),
    Complaint: ("description", "resolution", "root_cause", "close_reason"),
    Visit: ("summary", "outcome"),
    CaseNote: ("body",),
}
# The columns of an order spreadsheet row (crm.services.order_sheet) that name the person.
IMPORT_ROW_ERASED = ("customer_name", "mobile", "address", "postal_code")
# Whether and when consent was given stays in the trail: it is what made the processing
# lawful, and it identifies nobody.
CONSENT = frozenset({"consent_to_contact", "consent_at"})


@dataclass
class Holdings:
    """Everything held about one customer."""

    customer: Customer
    orders: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    complaints: list = field(default_factory=list)
    tickets: list = field(default_factory=list)
    cards: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    import_rows: list = field(default_factory=list)
    merged_ids: set = field(default_factory=set)  # customers merged into this one (the trail still names them)

    def linked(self) -> dict[type, list]:
        return {FeedbackCard: self.cards, HotlineTicket: self.tickets, Complaint: self.complaints,
                Visit: self.visits, CaseNote: self.notes, ImportRow: self.import_rows, Order: self.orders}

    def counts(self) -> dict[str, int]:
        return {model.__tablename__: len(records) for model, records in self.linked().items()}


def numbers_of(customer: Customer) -> list[str]:
    return [number for number in (customer.mobile, customer.other_phone) if number]


def holdings(customer: Customer) -> Holdings:
    """The customer's orders, visits, complaints with their notes, hotline tickets with
    theirs, feedback cards and spreadsheet rows: those linked to the customer, and cards
    and tickets left unlinked that carry one of the customer's numbers."""
    def linked_or_same_number(model):
        numbers = numbers_of(customer)
        condition = model.customer_id == customer.id
        if numbers:
            condition = or_(condition, (model.customer_id.is_(None)) & model.mobile.in_(numbers))
        return _all(select(model).where(condition).order_by(model.id))

    held = Holdings(customer)
    held.orders = _all(select(Order).where(Order.customer_id == customer.id).order_by(Order.id))
    held.visits = _all(select(Visit).where(Visit.customer_id == customer.id).order_by(Visit.id))
    held.complaints = _all(select(Complaint).where(Complaint.customer_id == customer.id).order_by(Complaint.id))
    held.tickets = linked_or_same_number(HotlineTicket)
    held.cards = linked_or_same_number(FeedbackCard)
    cases = [CaseNote.complaint_id.in_([c.id for c in held.complaints]),
             CaseNote.ticket_id.in_([t.id for t in held.tickets])]
    held.notes = _all(select(CaseNote).where(or_(*cases)).order_by(CaseNote.id))
    held.import_rows = _all(select(ImportRow).where(ImportRow.customer_id == customer.id).order_by(ImportRow.id))
    held.merged_ids = _merged_into(customer.id)
    return held


def _all(statement) -> list:
    return list(db.session.scalars(statement))


def _merged_into(customer_id: int) -> set[int]:
    """The customers merged into this one (crm.services.duplicates names them in its entry),
    and those merged into them before, however far back."""
    merged, waiting = set(), [customer_id]
    while waiting:
        entries = db.session.scalars(select(AuditEntry.changes).where(
            AuditEntry.record_type == Customer.__tablename__, AuditEntry.record_id == waiting.pop()))
        for changes in entries:
            pair = (changes or {}).get("merged_from")
            if isinstance(pair, list) and pair and isinstance(pair[0], int) and pair[0] not in merged:
                merged.add(pair[0])
                waiting.append(pair[0])
    return merged


# The file ---------------------------------------------------------------------------------
CUSTOMER_FIELDS = ("id", "name", "gender", "birthday", "mobile", "other_phone", "email", "province", "city",
                   "district", "address", "postal_code", "housing_type", "floor_area", "household_stage",
                   "household_size", "employer", "status", "channel", "referred_by_id", "dealer", "salesperson",
                   "price_tier", "discount_terms", "payment_terms", "notes", "consent_to_contact", "consent_at",
                   "created_at", "updated_at")
ORDER_FIELDS = ("id", "order_number", "dealer", "product", "quantity", "amount", "ordered_on", "delivered_on",
                "installed_on", "salesperson")
VISIT_FIELDS = ("id", "happened_at", "dealer", "channel", "purpose", "place", "summary", "outcome", "satisfaction",
                "next_follow_up_on")
CASE_FIELDS = ("first_response_due_at", "first_response_at", "resolution_due_at", "resolved_at", "resolution",
               "satisfaction", "escalated_at", "closed_at", "close_reason")
COMPLAINT_FIELDS = ("id", "number", "received_at", "dealer", "product", "order", "channel", "category", "severity",
                    "status", "description", "root_cause", *CASE_FIELDS)
TICKET_FIELDS = ("id", "number", "received_at", "channel", "topic", "description", "contact_name", "mobile", "city",
                 "address", "dealer", "product", "purchase_date", "status", *CASE_FIELDS, "complaint")
CARD_FIELDS = ("id", "reference", "submitted_at", "dealer", "product", "purchase_date", "rating_quality",
               "rating_design", "rating_delivery", "rating_installation", "rating_service", "recommend_score",
               "comments", "contact_name", "mobile", "consent_to_contact", "consent_at", "status")
NOTE_FIELDS = ("created_at", "kind", "public", "body")
# Who on the staff did what is left out: their names are their own personal data.


@dataclass(frozen=True)
class PersonalDataFile:
    filename: str
    content: bytes
    mimetype: str = "application/json"


def personal_data_export(customer: Customer, actor=None) -> PersonalDataFile:
    """Everything held about the customer as one JSON file (UTF-8, Chinese as it is), for
    handing to them; the export is recorded in the audit trail (who, when, how much)."""
    _refuse_unless_allowed(actor, access.EXPORT_PERSONAL, customer)
    with write_transaction():
        held = holdings(customer)
        notes_of = _notes_by_case(held.notes)
        document = {
            "format": FORMAT,
            "exported_at": audit.plain(now()),
            "customer": _fields(customer, CUSTOMER_FIELDS),
            "orders": [_fields(order, ORDER_FIELDS) for order in held.orders],
            "visits": [_fields(visit, VISIT_FIELDS) for visit in held.visits],
            "complaints": [{**_fields(c, COMPLAINT_FIELDS), "notes": notes_of.get(("complaint", c.id), [])}
                           for c in held.complaints],
            "hotline_tickets": [{**_fields(t, TICKET_FIELDS), "notes": notes_of.get(("ticket", t.id), [])}
                                for t in held.tickets],
            "feedback_cards": [_fields(card, CARD_FIELDS) for card in held.cards],
            "order_spreadsheet_rows": [{"import_id": row.import_id, "row_number": row.row_number,
                                        "values": row.values} for row in held.import_rows],
            "customers_referred": db.session.scalar(
                select(db.func.count()).select_from(Customer).where(Customer.referred_by_id == customer.id)),
            "history": _history(customer, held),
        }
        records = 1 + sum(len(records) for records in held.linked().values())
        db.session.add(AuditEntry(**audit.entry(
            AuditAction.EXPORT, Customer.__tablename__, customer.id, str(customer),
            {"export_format": [None, "json"], "exported_records": [None, records]})))
        db.session.commit()
    content = json.dumps(document, ensure_ascii=False, indent=2, default=audit.plain).encode("utf-8")
    return PersonalDataFile(f"personal-data-customer-{customer.id}-{now():%Y%m%d}.json", content)


def _fields(record, names) -> dict:
    return {name: _shown(getattr(record, name)) for name in names}


def _shown(value):
    """A value as the file holds it: related records by their business key and name."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "__table__"):
        for key in ("code", "model_number", "order_number", "number"):
            if hasattr(value, key):
                named = {key: getattr(value, key)}
                if hasattr(value, "name") and key != "number":
                    named["name"] = value.name
                return named
        return str(value)
    return audit.plain(value)


def _notes_by_case(notes) -> dict:
    by_case: dict[tuple, list] = {}
    for note in notes:
        case = ("complaint", note.complaint_id) if note.complaint_id else ("ticket", note.ticket_id)
        by_case.setdefault(case, []).append(_fields(note, NOTE_FIELDS))
    return by_case


def _history(customer: Customer, held: Holdings) -> list[dict]:
    """The audit trail's entries about the customer's records: when, what, which record and
    what changed (the staff member's name and address are left out)."""
    return [{"at": audit.plain(entry.at), "action": entry.action, "record_type": entry.record_type,
             "record_id": entry.record_id,
             "changes": {key: values for key, values in (entry.changes or {}).items() if key != "version"}}
            for entry in _entries_about(customer, held)]


def _entries_about(customer: Customer, held: Holdings) -> list[AuditEntry]:
    wanted = [(Customer.__tablename__, {customer.id, *held.merged_ids})]
    wanted += [(model.__tablename__, {record.id for record in records})
               for model, records in held.linked().items() if records]
    condition = or_(*((AuditEntry.record_type == kind) & AuditEntry.record_id.in_(ids) for kind, ids in wanted))
    return _all(select(AuditEntry).where(condition).order_by(AuditEntry.id))


# Anonymising ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Anonymisation:
    placeholder: str
    linked: dict[str, int]  # records cleaned, by table
    entries_redacted: int


def anonymised_at(customer: Customer) -> datetime | None:
    """When the customer was last anonymised (the audit trail says), or None."""
    return db.session.scalar(select(AuditEntry.at).where(
        AuditEntry.record_type == Customer.__tablename__, AuditEntry.record_id == customer.id,
        AuditEntry.action == AuditAction.ANONYMISE.value).order_by(AuditEntry.id.desc()).limit(1))


def holds_personal_data(customer: Customer) -> bool:
    """Whether an erasable field of the customer holds something (a clerk may have typed a
    number into an anonymised record since)."""
    placeholder = placeholder_name(customer)
    return any(getattr(customer, name) not in (_erased(value, placeholder), None, "")
               for name, value in CUSTOMER_ERASED.items() if name not in CONSENT)


def _erased(value, placeholder: str):
    return placeholder if value is PLACEHOLDER else value


def placeholder_name(customer: Customer) -> str:
    """The name an anonymised customer carries, in the archive's own language (the stored
    text must not depend on the language of whoever pressed the button)."""
    language = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN") if has_app_context() else "zh_CN"
    with force_locale(language):
        return _("Anonymised customer #%(id)s", id=customer.id)


def anonymise_customer(customer: Customer, actor=None) -> Anonymisation:
    """Erase the customer's personal fields and their copies, clean kept free text of the
    customer's identifiers and the audit trail of the erased values, and record it: one
    transaction. Refused when the customer was anonymised before and holds nothing
    personal since."""
    _refuse_unless_allowed(actor, access.ANONYMISE, customer)
    with write_transaction():
        done = anonymised_at(customer)
        if done is not None and not holds_personal_data(customer):
            raise ServiceError(_("This customer was already anonymised on %(day)s; nothing personal is left to "
                                 "erase.", day=done.strftime("%Y-%m-%d")))
        held = holdings(customer)
        placeholder = placeholder_name(customer)
        clean = _cleaner(customer, held, placeholder)
        numbers = [*numbers_of(customer), *(card.mobile for card in held.cards if card.mobile),
                   *(ticket.mobile for ticket in held.tickets if ticket.mobile)]
        erased = [name for name, value in CUSTOMER_ERASED.items()
                  if getattr(customer, name) not in (_erased(value, placeholder), None, "")]
        for name, value in CUSTOMER_ERASED.items():
            setattr(customer, name, _erased(value, placeholder))
        for name in CUSTOMER_CLEANED:
            setattr(customer, name, clean(getattr(customer, name)))
        for model, records in held.linked().items():
            for record in records:
                for name, value in LINKED_ERASED.get(model, {}).items():
                    setattr(record, name, _erased(value, placeholder))
                for name in LINKED_CLEANED.get(model, ()):
                    setattr(record, name, clean(getattr(record, name)))
        for row in held.import_rows:
            row.values = {key: None if key in IMPORT_ROW_ERASED else value for key, value in (row.values or {}).items()}
        try:
            db.session.flush()  # writes the customary entries of each change, old values included...
        except StaleDataError:  # someone saved one of these records in the meantime
            db.session.rollback()
            raise ServiceError(_("Someone changed this customer's records at the same moment; nothing was "
                                 "erased. Please try again.")) from None
        if numbers:  # the public forms' limits count per number for a while; forget them now
            db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.key.in_(set(numbers))))
        redacted = _redact_trail(customer, held, clean)  # ...which leave the trail here, before anything is committed
        linked = {kind: count for kind, count in held.counts().items() if count and kind != Order.__tablename__}
        db.session.add(AuditEntry(**audit.entry(
            AuditAction.ANONYMISE, Customer.__tablename__, customer.id, placeholder,
            {"anonymised_fields": [None, ", ".join(erased)],
             "linked_records_cleaned": [None, ", ".join(f"{kind}: {count}" for kind, count in linked.items())],
             "audit_entries_redacted": [None, redacted]})))
        db.session.commit()
    return Anonymisation(placeholder, linked, redacted)


def _refuse_unless_allowed(actor, action: str, customer: Customer) -> None:
    if actor is not None and not (access.can(actor, action, "customer") and access.may_see(actor, customer)):
        raise ServiceError(_("You may not do this with this customer's personal data."))


def _cleaner(customer: Customer, held: Holdings, placeholder: str):
    """A function that removes the customer's identifiers from a text: names (of two
    characters or more: one character is a surname shared by millions), phone numbers
    however written, email addresses and street addresses."""
    names = {customer.name, *(card.contact_name for card in held.cards), *(t.contact_name for t in held.tickets)}
    names.discard(placeholder)  # anonymised before, with personal data typed in since
    texts = {customer.email, customer.address, *(t.address for t in held.tickets)}
    texts |= {re.sub(r"\s+", "", name) for name in names if name}
    texts |= names
    literals = sorted({text.strip() for text in texts if text and len(text.strip()) >= 2}, key=len, reverse=True)
    numbers = {national_digits(number) for number in
               [*numbers_of(customer), *(c.mobile for c in held.cards), *(t.mobile for t in held.tickets)] if number}
    patterns = [re.escape(text) for text in literals]
    # 138 1234 5678, 138-1234-5678, +86 13812345678, 020-12345678: digits with any separators.
    patterns += [r"(?<!\d)(?:(?:\+|00)\s*86[\s-]*)?(?:0[\s-]*)?" + r"[\s-]*".join(digits) + r"(?!\d)"
                 for digits in numbers if len(digits) >= 5]
    if not patterns:
        return lambda text: text
    finder = re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)
    return lambda text: finder.sub(REMOVED, text) if text else text


def _personal_fields(model) -> set[str]:
    """The fields whose old values leave the trail."""
    if model is Customer:
        return {*CUSTOMER_ERASED, *CUSTOMER_CLEANED} - CONSENT
    if model is ImportRow:
        return {"values"}
    return {*LINKED_ERASED.get(model, {}), *LINKED_CLEANED.get(model, ())} - CONSENT


def _redact_trail(customer: Customer, held: Holdings, clean) -> int:
    """Replace, in the entries about the customer's records, every value of a personal field
    that the record no longer holds by REMOVED, and a label that names the customer by the
    record's present one. Entries are otherwise never changed; this is the one erasure the
    law asks of them. Returns how many entries changed."""
    current = {(Customer.__tablename__, customer.id): customer}
    current.update({(Customer.__tablename__, merged_id): customer for merged_id in held.merged_ids})
    for records in held.linked().values():
        current.update({(record.__table__.name, record.id): record for record in records})
    changed = 0
    for entry in _entries_about(customer, held):
        if entry.actor == "public" and entry.address:
            entry.address = None  # the address the customer's own form came from
            changed += 1
        record = current.get((entry.record_type, entry.record_id))
        if record is None:
            continue
        personal = _personal_fields(type(record))
        changes = {key: [_redacted(values[0], record, key), _redacted(values[1], record, key)]
                   if key in personal and isinstance(values, list) and len(values) == 2 else values
                   for key, values in (entry.changes or {}).items()}
        label = entry.record_label
        if label and clean(label) != label:
            label = _label(record)
        if changes != entry.changes or label != entry.record_label:
            entry.changes = changes
            entry.record_label = label
            changed += 1
    return changed + _redact_deleted_records(customer, held, clean)


def _redact_deleted_records(customer: Customer, held: Holdings, clean) -> int:
    """The entries of the customer's cards, tickets, visits and complaints deleted before:
    they keep what those records held (the trail's whole point), personal fields included."""
    owners = {customer.id, *held.merged_ids}
    models = {model.__tablename__: model for model in (*LINKED_ERASED, *LINKED_CLEANED)}
    changed = 0
    for entry in _all(select(AuditEntry).where(AuditEntry.action == AuditAction.DELETE.value,
                                                AuditEntry.record_type.in_(models))):
        owner = (entry.changes or {}).get("customer_id") or [None]
        if owner[0] not in owners:
            continue
        personal = _personal_fields(models[entry.record_type])
        entry.changes = {key: [REMOVED if value not in (None, "") else value for value in values]
                         if key in personal and isinstance(values, list) else values
                         for key, values in entry.changes.items()}
        entry.record_label = clean(entry.record_label or "")
        entry.address = None if entry.actor == "public" else entry.address
        changed += 1
    return changed


def _redacted(value, record, key: str):
    """The value, if the record still holds it (the placeholder, a cleaned text); else REMOVED."""
    if value is None or value == "":
        return value
    return value if value == audit.plain(getattr(record, key, None)) else REMOVED


def _label(record) -> str:
    try:
        return str(record)[:120]
    except Exception:  # a label must never stop the erasure
        return ""
