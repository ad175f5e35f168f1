"""The access table of the access issue, checked on every back-office endpoint Flask-Admin
and our views register, for every role, against rows of the user's own dealership and of
another one. The cases are generated from the application's URL map; the table below is
the specification, written out independently of crm.access."""
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import inspect, select

from crm.app import create_app
from crm.clock import now
from crm.config import TEST_SETTINGS
from crm.extensions import db
from crm.models import (AuditEntry, CardBatch, Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Order,
                        OrderImport, Product, User, Visit)
from tests.conftest import make_dealer, make_user
from tests.test_admin_crud import form_errors

ALL = {"list", "view", "create", "edit", "delete", "export"}
SPEC = {
    "admin": {"user": ALL, "dealer": ALL, "product": ALL, "customer": ALL, "order": ALL, "visit": ALL,
              "complaint": ALL | {"respond"}, "hotline_ticket": ALL | {"respond"},
              "feedback_card": ALL | {"link"}, "card_batch": {"list", "view", "create"}, "audit": {"list", "view"},
              "order_import": {"list", "view", "create", "edit"}},
    "clerk": {"dealer": {"list", "view", "edit"}, "product": {"list", "view", "create", "edit"},
              "customer": ALL, "order": ALL, "visit": ALL, "complaint": ALL | {"respond"},
              "hotline_ticket": ALL | {"respond"}, "feedback_card": {"list", "view", "link"},
              "card_batch": {"list", "view", "create"}, "order_import": {"list", "view", "create", "edit"}},
    "dealer": {"dealer": {"list", "view"}, "product": {"list", "view"},
               "customer": {"list", "view", "create", "edit", "export"},
               "order": {"list", "view", "create", "edit", "export"},
               "visit": {"list", "view", "create", "edit", "export"},
               "complaint": {"list", "view", "respond"}, "hotline_ticket": {"list", "view", "respond"},
               "feedback_card": {"list", "view"}, "card_batch": {"list", "view"}, "order_import": {"list", "view", "create", "edit"}},
}
# Every list a role may read, it may also export.
SPEC = {role: {kind: actions | {"export"} if "list" in actions else actions for kind, actions in kinds.items()}
        for role, kinds in SPEC.items()}
MODELS = {"user": User, "dealer": Dealer, "product": Product, "customer": Customer, "order": Order, "visit": Visit,
          "complaint": Complaint, "hotline_ticket": HotlineTicket, "feedback_card": FeedbackCard,
          "card_batch": CardBatch, "audit": AuditEntry, "order_import": OrderImport}
DEALER_ROWS = {"dealer", "customer", "order", "visit", "complaint", "hotline_ticket", "feedback_card", "user",
               "card_batch", "order_import"}
# What each view method needs, and whether it works on one row (?id=).
METHODS = {
    "index_view": ("list", False), "details_view": ("view", True), "create_view": ("create", False),
    "edit_view": ("edit", True), "delete_view": ("delete", True), "action_view": ("delete", True),
    "export": ("export", False), "ajax_update": ("edit", True), "add_note": ("respond", True),
    "link_customer": ("link", True), "ajax_lookup": ("lookup", False), "print_cards": ("view", True),
    "make_complaint": ("edit", True), "case_step": ("respond", True), "my_queue": ("list", False),
    "repeating": ("list", False), "upload": ("create", False), "commit": ("edit", True), "undo": ("edit", True),
    "template_csv": ("list", False), "template_xlsx": ("list", False),
}
# Imports are made by uploading a file and change only by importing or undoing them.
NOT_FOR_IMPORTS = {"create_view", "edit_view", "delete_view", "action_view", "ajax_update"}


def _admin_rules():
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    rules = []
    for rule in app.url_map.iter_rules():
        kind, _, method = rule.endpoint.partition(".")
        if kind in MODELS and method in METHODS:
            for http in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                rules.append((kind, method, http, rule.rule.replace("<export_type>", "csv")))
    return rules


CASES = [(kind, method, http, url, role, owner)
         for kind, method, http, url in _admin_rules()
         for role in ("anonymous", "admin", "clerk", "dealer")
         for owner in ("own", "other")]


@dataclass
class World:
    rows: dict  # (kind, "own"|"other") -> row id
    ids: dict   # names -> ids for form data


@pytest.fixture
def world(app):
    own_dealer = make_dealer("GD-FS-001", "佛山顺德旗舰店")
    other_dealer = make_dealer("SH-PD-001", "上海浦东月星家居店", province="上海市", city="上海市")
    product = Product(model_number="SF-2031", name="云栖沙发", category="sofa", warranty_months=60)
    db.session.add(product)
    rows, ids = {}, {"product": None}
    for owner, dealer, name, mobile in (("own", own_dealer, "本店客户", "+8613800000001"),
                                        ("other", other_dealer, "别家客户", "+8613900000002")):
        customer = Customer(name=name, mobile=mobile, dealer=dealer, status="actual")
        order = Order(order_number=f"SO-{owner}", customer=customer, dealer=dealer, product=product,
                      quantity=1, ordered_on=date(2026, 1, 5))
        visit = Visit(customer=customer, dealer=dealer, channel="phone", purpose="follow_up",
                      happened_at=now(), summary=f"回访{name}")
        complaint = Complaint(number=f"TS-{owner}", customer=customer, dealer=dealer, category="delivery",
                              description=f"投诉{name}", received_at=now())
        ticket = HotlineTicket(number=f"RX-{owner}", topic="complaint", description=f"工单{name}",
                               contact_name=name, mobile=mobile, dealer=dealer, received_at=now())
        card = FeedbackCard(reference=f"FK-{owner}", dealer=dealer, product=product, submitted_at=now(),
                            contact_name=name, mobile=mobile)
        batch = CardBatch(code=f"B-{owner}", dealer=dealer, product=product, size=8)
        upload = OrderImport(dealer=dealer, filename=f"{owner}.csv", status="previewed")
        db.session.add_all([customer, order, visit, complaint, ticket, card, batch, upload])
        db.session.commit()
        user = make_user("dealer1" if owner == "own" else "dealer2", "dealer", dealer=dealer)
        for kind, row in (("dealer", dealer), ("customer", customer), ("order", order), ("visit", visit),
                          ("complaint", complaint), ("hotline_ticket", ticket), ("feedback_card", card),
                          ("user", user), ("product", product), ("card_batch", batch), ("order_import", upload)):
            rows[(kind, owner)] = row.id
        ids[f"customer_{owner}"] = customer.id
        ids[f"dealer_{owner}"] = dealer.id
        referrer = Customer(name=f"{name}介绍人", dealer=dealer, status="actual")
        db.session.add(referrer)
        db.session.commit()
        ids[f"customer_{owner}_referrer"] = referrer.id
    ids["product"] = product.id
    make_user("admin", "admin")
    make_user("clerk", "clerk")
    audit_id = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id))
    rows[("audit", "own")] = rows[("audit", "other")] = audit_id
    return World(rows, ids)


def client_for(app, role):
    client = app.test_client()
    if role != "anonymous":
        username = "dealer1" if role == "dealer" else role
        user = db.session.scalar(select(User).where(User.username == username))
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def form_for(kind: str, world: World, owner: str) -> dict:
    """A valid form for `kind`; with owner "other", its customer belongs to the other dealership."""
    customer = str(world.ids[f"customer_{owner}"])
    product = str(world.ids["product"])
    return {
        "user": {"username": "new-user", "role": "clerk", "dealer": "", "active": "y", "password": "long-enough-1"},
        "dealer": {"code": "ZJ-HZ-009", "name": "新店", "level": "standard", "contact_person": "新联系人",
                   "phone": "020-12345678", "address": "新地址1号"},
        "product": {"model_number": "NEW-1", "name": "新产品", "category": "bed", "warranty_months": "12"},
        "customer": {"name": "新客户", "gender": "female", "status": "potential", "mobile": "13700000003",
                     "referred_by": str(world.ids[f"customer_{owner}_referrer"])},
        "order": {"order_number": "SO-NEW", "customer": customer, "product": product, "quantity": "1",
                  "ordered_on": "2026-01-10"},
        "visit": {"customer": customer, "channel": "phone", "purpose": "follow_up", "summary": "新回访"},
        "complaint": {"customer": customer, "channel": "hotline", "category": "delivery", "severity": "normal",
                      "status": "new", "description": "新投诉"},
        "hotline_ticket": {"channel": "phone", "topic": "repair", "description": "新工单", "contact_name": "新",
                           "mobile": "13700000004", "customer": customer},
        "feedback_card": {"customer": customer, "status": "new", "rating_quality": "5"},
        "card_batch": {"dealer": str(world.ids["dealer_own"]), "product": product, "size": "8"},
        "audit": {"actor": "forged"},
        "order_import": {"filename": "forged.csv"},
    }[kind]


def snapshot(model, row_id):
    db.session.rollback()
    row = db.session.get(model, row_id)
    if row is None:
        return None
    return {attr.key: getattr(row, attr.key) for attr in inspect(model).column_attrs}


def expected_status(kind, method, http, role, owner) -> int:
    action, one_row = METHODS[method]
    if role == "anonymous":
        return 302
    allowed = SPEC[role].get(kind, set())
    if action == "lookup":
        if not allowed & {"create", "edit", "link"}:
            return 403
        return 200 if kind in LOOKUP_FIELDS else 404  # a view without relationship fields has no lookups
    if action not in allowed or (kind == "order_import" and method in NOT_FOR_IMPORTS):
        return 403
    if role == "dealer" and owner == "other" and one_row and kind in DEALER_ROWS:
        return 404
    if method == "ajax_update":
        return 404  # no list is inline-editable
    if method == "create_view" and http == "POST" and role == "dealer" and owner == "other" \
            and kind in ("customer", "order", "visit"):
        return 200  # the forged customer id is refused next to the field
    if method == "my_queue":
        return 302  # to the list, filtered to the user's own complaints
    if method == "upload" and http == "POST":
        return 400  # no file: the form says so
    return 200 if http == "GET" else 302


def request_for(kind, method, http, url, world, owner):
    row_id = world.rows[(kind, owner)]
    query = {"id": row_id} if METHODS[method][1] and method not in ("delete_view", "action_view") else {}
    if method == "ajax_lookup":
        query = {"name": next(iter(LOOKUP_FIELDS.get(kind, {"customer": 0}))), "query": ""}
    data = {}
    if http == "POST":
        data = {
            "create_view": form_for(kind, world, owner),
            "edit_view": {**form_for(kind, world, "own"), "version": shown_version(kind, row_id)},
            "delete_view": {"id": row_id}, "action_view": {"action": "delete", "rowid": row_id},
            "ajax_update": {"list_form_pk": row_id, "name": "x"},
            "add_note": {"kind": "progress", "body": "进展"}, "link_customer": {"mobile": "13800000001"},
            "make_complaint": {}, "case_step": {"step": "acknowledge"}, "upload": {}, "commit": {},
            "undo": {},
        }[method]
    return url, query, data


def shown_version(kind: str, row_id) -> str:
    """The version an edit form of the row shows (records clerks and dealers edit carry one)."""
    row = db.session.get(MODELS[kind], row_id)
    return str(getattr(row, "version", "")) if row is not None else ""


LOOKUP_FIELDS = {"card_batch": {"dealer": 0}, "order": {"customer": 0}, "visit": {"customer": 0}, "complaint": {"customer": 0},
                 "customer": {"referred_by": 0}, "hotline_ticket": {"customer": 0},
                 "feedback_card": {"customer": 0}, "user": {"dealer": 0}}


@pytest.mark.parametrize("kind,method,http,url,role,owner", CASES,
                         ids=[f"{c[4]}-{c[0]}-{c[1]}-{c[2]}-{c[5]}" for c in CASES])
def test_access(app, world, kind, method, http, url, role, owner):
    model = MODELS[kind]
    other_row = world.rows[(kind, "other")]
    before = snapshot(model, other_row)
    path, query, data = request_for(kind, method, http, url, world, owner)
    client = client_for(app, role)
    response = client.get(path, query_string=query) if http == "GET" else client.post(path, query_string=query,
                                                                                       data=data)
    expected = expected_status(kind, method, http, role, owner)
    assert response.status_code == expected, form_errors(response)
    if role == "anonymous":
        assert response.location.startswith("/login")
    shared_row = world.rows[(kind, "own")] == other_row  # products and audit entries belong to no dealer
    acted_on_other = owner == "other" and role != "dealer" and expected == 302 and role != "anonymous"
    if not shared_row and not acted_on_other:
        assert snapshot(model, other_row) == before, "the other dealership's row changed"


# Back-office pages that are not views over one model; their access rules are tested in
# the named files.
NOT_IN_MATRIX = {
    "admin.index": "test_dashboard.py", "admin.static": "static files",
    "care.index": "test_service_calendar.py", "care.campaign_export": "test_service_calendar.py",
    "duplicates.index": "test_duplicates.py", "duplicates.compare": "test_duplicates.py",
    "duplicates.merge": "test_duplicates.py", "reports.index": "test_reports.py", "reports.export": "test_reports.py",
    "customer.export_personal_data": "test_privacy.py", "customer.anonymise": "test_privacy.py",
}


def test_every_back_office_endpoint_is_in_the_matrix_or_tested_elsewhere():
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    covered = {(kind, method) for kind, method, _, _ in _admin_rules()}
    unaccounted = [rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/")
                   and tuple(rule.endpoint.partition(".")[::2]) not in covered and rule.endpoint not in NOT_IN_MATRIX]
    assert unaccounted == []
