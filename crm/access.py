"""Who may do what, and which rows they may see. The only place access is decided: the
back office, the dashboard and the portal all ask here.

Record kinds are the names the back office registers its views under ("customer",
"complaint", ...). Actions: list, view, create, edit, delete, export, plus
"respond" (add responses and progress notes to a case), "link" (attach a feedback card
to a customer) and, for customers' personal data (PIPL), "export_personal" (everything
held about one customer, as a file), "anonymise" (erase a customer's personal fields on
request) and "full_numbers" (customers' phone numbers in full in lists and list exports).
"""
from sqlalchemy import false

from crm.models import (
    AuditEntry,
    CardBatch,
    Complaint,
    Customer,
    Dealer,
    FeedbackCard,
    HotlineTicket,
    Order,
    OrderImport,
    Product,
    User,
    Visit,
)
from crm.models.choices import Role

LIST, VIEW, CREATE, EDIT, DELETE, EXPORT, RESPOND, LINK = (
    "list", "view", "create", "edit", "delete", "export", "respond", "link")
EXPORT_PERSONAL, ANONYMISE, FULL_NUMBERS = "export_personal", "anonymise", "full_numbers"
EVERYTHING = frozenset({LIST, VIEW, CREATE, EDIT, DELETE, EXPORT})
READ = frozenset({LIST, VIEW})
CASES = ("complaint", "hotline_ticket")

PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.ADMIN.value: {
        **{kind: EVERYTHING for kind in ("user", "dealer", "product", "customer", "order", "visit")},
        # Answering a customer's request about their personal data is the maker's job (it
        # keeps the archive): administrators and clerks. Administrators see customers'
        # numbers masked in lists: managing users and dealers needs none of them, and a
        # record's own page shows its numbers in full when one is needed.
        "customer": EVERYTHING | {EXPORT_PERSONAL, ANONYMISE},
        **{kind: EVERYTHING | {RESPOND} for kind in CASES},
        "feedback_card": EVERYTHING | {LINK},
        "card_batch": READ | {CREATE},
        "order_import": READ | {CREATE, EDIT},
        "audit": READ,
    },
    Role.CLERK.value: {
        "dealer": READ | {EDIT},
        "product": READ | {CREATE, EDIT},
        **{kind: EVERYTHING for kind in ("customer", "order", "visit")},
        # Clerks take the hotline and make the call-backs for every dealer: their lists are
        # their call sheets, so they show numbers in full. They answer customers' personal
        # data requests too (export and anonymise).
        "customer": EVERYTHING | {EXPORT_PERSONAL, ANONYMISE, FULL_NUMBERS},
        **{kind: EVERYTHING | {RESPOND} for kind in CASES},
        "feedback_card": READ | {LINK},
        "card_batch": READ | {CREATE},
        "order_import": READ | {CREATE, EDIT},
    },
    Role.DEALER.value: {
        "dealer": READ,
        "product": READ,
        # Dealers neither export a customer's whole record nor anonymise one: the request is
        # the maker's to answer (the archive is the maker's, and a dealer sees only its own
        # part of a customer who bought from two dealers, so its file would be incomplete);
        # a dealer's login is often shared by a shop's staff, and a staff member who leaves
        # must not take complete customer profiles, or a phone list, along. Numbers are
        # masked in their lists and list exports, in full on a customer's own page (to call
        # the customer about a visit).
        **{kind: READ | {CREATE, EDIT, EXPORT} for kind in ("customer", "order", "visit")},
        **{kind: READ | {RESPOND} for kind in CASES},
        "feedback_card": READ,
        "card_batch": READ,
        "order_import": READ | {CREATE, EDIT},  # their own dealership's lists: upload, import, undo
    },
}

# Every list a role may read, it may also export (the rows it sees, with its filters).
PERMISSIONS = {role: {kind: actions | {EXPORT} if LIST in actions else actions for kind, actions in kinds.items()}
               for role, kinds in PERMISSIONS.items()}

# Where a role may change only some fields of a record kind.
EDITABLE_FIELDS: dict[tuple[str, str], frozenset[str]] = {
    (Role.CLERK.value, "dealer"): frozenset({"contact_person", "phone", "address"}),
}
# Fields a dealer never sets: the server fills them from the dealer's own login.
SERVER_SET_FOR_DEALERS = frozenset({"dealer"})

DEALER_SCOPED_MODELS = (Customer, Order, Visit, Complaint, HotlineTicket, FeedbackCard, CardBatch, OrderImport)


def is_signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_dealer(user) -> bool:
    return is_signed_in(user) and user.role == Role.DEALER.value


def may_open_back_office(user) -> bool:
    return is_signed_in(user) and user.role in PERMISSIONS and (user.role != Role.DEALER.value or user.dealer_id)


def allowed_actions(user, record_kind: str) -> frozenset[str]:
    if not may_open_back_office(user):
        return frozenset()
    return PERMISSIONS[user.role].get(record_kind, frozenset())


def can(user, action: str, record_kind: str) -> bool:
    return action in allowed_actions(user, record_kind)


def sees_full_numbers_in_lists(user) -> bool:
    """Whether lists and list exports show customers' phone numbers (a customer's, or the
    number on a feedback card or hotline ticket) in full; otherwise masked, 138****5678. A
    record's own page shows its numbers in full to whoever may open it; a dealer's phone
    is a business number and is never masked."""
    return can(user, FULL_NUMBERS, "customer")


def settable_fields(user, record_kind: str, field_names) -> set[str]:
    """Which of a form's fields this user may set for this kind of record."""
    names = set(field_names)
    limited = EDITABLE_FIELDS.get((getattr(user, "role", None), record_kind))
    if limited is not None:
        names &= limited
    if is_dealer(user):
        names -= SERVER_SET_FOR_DEALERS
    return names


def scope(query, model, user):
    """Narrow a query over `model` to the rows `user` may see (works on Query and Select)."""
    if not may_open_back_office(user):
        return query.filter(false())
    if user.role in (Role.ADMIN.value, Role.CLERK.value):
        return query.filter(false()) if model is AuditEntry and user.role != Role.ADMIN.value else query
    if model in DEALER_SCOPED_MODELS:
        return query.filter(model.dealer_id == user.dealer_id)
    if model is Dealer:
        return query.filter(Dealer.id == user.dealer_id)
    if model is Product:
        return query
    if model is User:
        return query.filter(User.dealer_id == user.dealer_id)
    return query.filter(false())


def sees_every_row(user, model) -> bool:
    """Whether scope() leaves a query over `model` as it is for this user (no narrowing)."""
    return (may_open_back_office(user) and user.role in (Role.ADMIN.value, Role.CLERK.value)
            and (model is not AuditEntry or user.role == Role.ADMIN.value))


def may_see(user, record) -> bool:
    """The same rule as scope(), for one record already in memory."""
    if record is None or not may_open_back_office(user):
        return False
    if user.role in (Role.ADMIN.value, Role.CLERK.value):
        return not isinstance(record, AuditEntry) or user.role == Role.ADMIN.value
    if isinstance(record, DEALER_SCOPED_MODELS) or isinstance(record, User):
        return record.dealer_id == user.dealer_id
    if isinstance(record, Dealer):
        return record.id == user.dealer_id
    return isinstance(record, Product)


def dealer_for_new_records(user) -> int | None:
    """The dealership a dealer's new records belong to, whatever the form said."""
    return user.dealer_id if is_dealer(user) else None
