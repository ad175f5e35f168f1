"""How values look in lists and detail pages."""
from datetime import date
from types import SimpleNamespace

from flask import has_request_context, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from sqlalchemy import inspect as sqlalchemy_inspect

from crm import access
from crm.models import Customer
from crm.models.choices import (
    AcquisitionChannel,
    AuditAction,
    ComplaintCategory,
    ComplaintStatus,
    HouseholdStage,
    ImportOutcome,
    NoteKind,
    Severity,
    TicketStatus,
    TimelineStep,
    VisitChannel,
    VisitPurpose,
)
from crm.phones import display_phone, mask_phone

# Columns that hold a person's number (a customer's, or one typed on a feedback card or a
# hotline ticket). A dealer's `phone` is the shop's business number: never masked.
PERSONAL_NUMBERS = frozenset({"mobile", "other_phone"})
NUMBERS_IN_FULL = "lifelong.numbers_in_full"


def numbers_in_full() -> bool:
    """Whether this request's lists and exports show people's numbers in full (crm.access
    decides); asked once per request (kept in its environ), not once per cell. Outside a
    request: masked."""
    if not has_request_context():
        return False
    environ = request.environ
    shown = environ.get(NUMBERS_IN_FULL)
    if shown is None:
        shown = environ[NUMBERS_IN_FULL] = access.sees_full_numbers_in_lists(current_user._get_current_object())
    return shown


def listed_number(stored: str | None) -> str:
    """A person's number as lists and exports show it to this user: in full, or 138****5678."""
    return display_phone(stored) if numbers_in_full() else mask_phone(stored)


def phone(_view, _context, model, name):
    """A number in a list or an export: a person's masked for users who do not need it in full."""
    value = getattr(model, name)
    return listed_number(value) if name in PERSONAL_NUMBERS else display_phone(value)


def customer(_view, _context, model, name):
    """A related customer in a list or an export (an order's, a visit's, a complaint's): its
    name and mobile number as the customer list would show them (Customer.__str__ shows
    the number in full)."""
    person = getattr(model, name)
    if person is None:
        return ""
    return f"{person.name} {listed_number(person.mobile)}".strip()


def record_label(record) -> str:
    """How a related record is named in pickers: a customer with their number as the
    customer list shows it, anything else as it prints."""
    if isinstance(record, Customer):
        return f"{record.name} {listed_number(record.mobile)}".strip()
    return str(record)


class NumbersInFullOnDetails:
    """A record's own page shows its numbers in full to whoever may open it (a dealer calls
    their customer about a visit from there); lists and exports mask them (`phone`)."""

    @pass_context
    def get_detail_value(self, context, model, name):
        if name in PERSONAL_NUMBERS:
            return display_phone(getattr(model, name))
        return super().get_detail_value(context, model, name)


def money(_view, _context, model, name):
    value = getattr(model, name)
    return "" if value is None else "¥" + format_decimal(value, format="#,##0.00")


def day(_view, _context, model, name):
    value = getattr(model, name)
    return "" if value is None else date.isoformat(value)  # 2026-12-06 (exports run this a million times)


def moment(_view, _context, model, name):
    value = getattr(model, name)
    # Stored in business time already (crm.clock): format without shifting zones. 2026-12-06 09:30
    return "" if value is None else value.isoformat(" ", "minutes")


# Formatters that read only the column they format (lists and exports read just those columns).
READS_OWN_COLUMN = (day, moment, phone, money, customer)  # customer: the related record the list reads anyway


def reads_own_columns(column_formatters: dict | None, names) -> bool:
    """Whether the cells of these columns each read only their own column."""
    return all(formatter in READS_OWN_COLUMN for name, formatter in (column_formatters or {}).items()
               if name in names)


def columns_read(model, names, column_formatters: dict, foreign_keys: dict) -> list[str]:
    """The columns of `model` that cells of these columns read: only those columns (and the
    foreign keys of the relations among them) when every formatter is one of the standard
    ones (reads_own_columns); every column when a view formats a cell from others (a
    complaint's time left reads its deadlines and status). `foreign_keys`: relation name ->
    its foreign key column."""
    mapper = sqlalchemy_inspect(model)
    every = [attribute.key for attribute in mapper.column_attrs]
    if not reads_own_columns(column_formatters, names):
        return every
    key = mapper.get_property_by_column(mapper.primary_key[0]).key
    wanted = {key, *names, *(foreign_keys[name] for name in names if name in foreign_keys)}
    return [column for column in every if column in wanted]

# Translated labels of stored codes, for templates that show related records.
code_labels = SimpleNamespace(
    visit_channel=VisitChannel.label_for,
    household_stage=HouseholdStage.label_for,
    import_outcome=ImportOutcome.label_for,
    acquisition_channel=AcquisitionChannel.label_for,
    visit_purpose=VisitPurpose.label_for,
    complaint_category=ComplaintCategory.label_for,
    complaint_status=ComplaintStatus.label_for,
    severity=Severity.label_for,
    note_kind=NoteKind.label_for,
    audit_action=AuditAction.label_for,
    ticket_status=TicketStatus.label_for,
    timeline_step=TimelineStep.label_for,
    timeline_kind={"order": _l("Order"), "visit": _l("Service visit"), "complaint": _l("Complaint"),
                   "hotline_ticket": _l("Hotline ticket"), "feedback_card": _l("Feedback card")}.get,
    step_button={"acknowledge": _l("Acknowledge"), "start": _l("Start work"), "resolve": _l("Resolve"),
                 "callback": _l("Record the call-back"), "close": _l("Close"), "reopen": _l("Reopen")}.get,
)


def duration(hours: float | None) -> str:
    """A service time the way a manager reads it: minutes, hours or days."""
    if hours is None:
        return "–"
    if hours < 1:
        return _("%(n)d min", n=round(hours * 60))
    if hours < 48:
        return _("%(n)s h", n=format_decimal(round(hours, 1), format="#,##0.#"))
    return _("%(n)s days", n=format_decimal(round(hours / 24, 1), format="#,##0.#"))


def figure(value: float | None, pattern: str = "#,##0.#") -> str:
    return "–" if value is None else format_decimal(value, format=pattern)
