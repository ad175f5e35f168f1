"""The app the benchmark serves: `gunicorn bench.app:app`.

It is the product exactly as wsgi.py builds it (same `create_app()`, same configuration
from the environment), plus three things that exist only here, never in wsgi.py:

* the anchor: a second, stock Flask-Admin (`/bench/stock/`) with plain ModelViews over the
  same customers and complaints, configured like the product's lists (columns, search,
  filters, sort, 20 rows a page) and open to signed-in users (as in Flask-Admin's
  Flask-Login example), with nothing else of the product's own code on the path;
* the floor: `/bench/floor/...`, bare endpoints that run the same LIMIT 20 query with
  SQLAlchemy Core and return the rows as JSON, unrendered, and a bare feedback insert;
* statement counting: every SQL statement a request sends is counted and returned in the
  `X-Statement-Count` header (transaction control and PRAGMAs are left out of that figure
  and counted in `X-Statement-Count-All`). With BENCH_STATEMENT_LOG=path, a request that
  carries `X-Bench-Trace: label` also appends its statements to that file (JSON lines).
"""
import json
import os
import secrets
import threading
from contextvars import ContextVar

from flask import Response, jsonify, redirect, request, url_for
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from sqlalchemy import event, or_, select, text

from admin_views.cases import QueueFilter
from crm.app import create_app
from crm.clock import now
from crm.extensions import csrf, db
from crm.models import Complaint, Customer, Dealer
from crm.services import lifecycle

FLOOR_PAGE_SIZE = 20
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
_trace_lock = threading.Lock()

app = create_app()


# The anchor: stock Flask-Admin ----------------------------------------------------------------
class SignedIn:
    """As in Flask-Admin's Flask-Login example: the views are for signed-in users (an
    archive of customers' phone numbers is not public), who are loaded for every request,
    as the product's are. Nothing else of the product's access rules."""

    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))


class StockCustomerView(SignedIn, ModelView):
    """admin_views.parties.CustomerView's list, search, filters and sort, stock."""

    column_list = ("name", "mobile", "city", "district", "status", "household_stage", "channel", "dealer",
                   "salesperson", "created_at")
    column_searchable_list = ("name", "mobile", "other_phone", "email", "address", "postal_code")
    column_filters = ("status", "household_stage", "channel", "province", "city", "district", "postal_code",
                      "dealer.code", "dealer.name", "salesperson", "created_at", "birthday")
    column_sortable_list = ("name", "city", "status", "created_at", ("dealer", "dealer.code"))
    column_default_sort = ("id", True)  # the product's order (newest first), so that pages hold the same rows
    page_size = 20
    can_set_page_size = True  # ?page_size=100, as on the product
    can_view_details = True


class StockComplaintView(SignedIn, ModelView):
    """admin_views.service.ComplaintView's list, stock; its one non-column filter is the
    product's queue filter (a stock Flask-Admin filter class), so that "overdue" is the same
    condition on both sides."""

    column_list = ("number", "received_at", "customer", "dealer", "category", "severity", "status",
                   "assigned_to", "first_response_at", "resolved_at")
    column_searchable_list = ("number", "customer.name", "customer.mobile")
    column_filters = (QueueFilter(Complaint), "status", "severity", "category", "channel", "received_at",
                      "resolved_at", "dealer.code", "dealer.name", "product.model_number")
    column_sortable_list = ("number", "received_at", "category", "severity", "status", "resolved_at")
    column_default_sort = ("received_at", True)
    page_size = 20
    can_set_page_size = True
    can_view_details = True


stock_admin = Admin(app, name="Stock Flask-Admin", url="/bench/stock", endpoint="stock_admin",
                    theme=Bootstrap4Theme())
stock_admin.add_view(StockCustomerView(Customer, db.session, name="Customers", endpoint="stock_customer"))
stock_admin.add_view(StockComplaintView(Complaint, db.session, name="Complaints", endpoint="stock_complaint"))


# The floor: the same queries, bare ---------------------------------------------------------
CUSTOMER_COLUMNS = (Customer.id, Customer.name, Customer.mobile, Customer.city, Customer.district,
                    Customer.status, Customer.household_stage, Customer.channel, Customer.dealer_id,
                    Customer.salesperson, Customer.created_at)


def _rows(statement) -> Response:
    rows = db.session.execute(statement).all()
    return jsonify([[value if isinstance(value, (int, float, str, type(None))) else str(value) for value in row]
                    for row in rows])


def _limit() -> int:
    return max(1, min(request.args.get("limit", FLOOR_PAGE_SIZE, type=int), 1000))


@app.get("/bench/floor/customers")
def floor_customers():
    """?offset=&limit=&search= (name contains) &mobile= (mobile contains these digits)
    &phone= (whole mobile, 11 digits) &dealer= (dealer code) &dealer_id=."""
    statement = select(*CUSTOMER_COLUMNS)
    args = request.args
    if args.get("search"):
        statement = statement.where(Customer.name.like(f"%{args['search']}%"))
    if args.get("mobile"):
        statement = statement.where(Customer.mobile.like(f"%{args['mobile']}%"))
    if args.get("phone"):
        statement = statement.where(Customer.mobile == "+86" + args["phone"])
    if args.get("dealer"):
        statement = statement.join(Dealer, Dealer.id == Customer.dealer_id).where(Dealer.code == args["dealer"])
    if args.get("dealer_id"):
        statement = statement.where(Customer.dealer_id == args.get("dealer_id", type=int))
    statement = statement.order_by(Customer.id.desc()).limit(_limit()).offset(args.get("offset", 0, type=int))
    return _rows(statement)


@app.get("/bench/floor/customer/<int:customer_id>")
def floor_customer(customer_id: int):
    return _rows(select(Customer.__table__).where(Customer.id == customer_id))


@app.get("/bench/floor/complaints/overdue")
def floor_overdue_complaints():
    moment = now()
    statement = (select(Complaint.id, Complaint.number, Complaint.received_at, Complaint.customer_id,
                        Complaint.dealer_id, Complaint.category, Complaint.severity, Complaint.status,
                        Complaint.assigned_to_id, Complaint.first_response_at, Complaint.resolved_at)
                 .where(lifecycle.is_open(Complaint),  # as the product writes it: SQLite uses the partial index
                        or_(lifecycle.first_response_overdue(Complaint, moment), Complaint.resolution_due_at < moment))
                 .order_by(Complaint.received_at.desc()).limit(_limit()).offset(request.args.get("offset", 0, type=int)))
    return _rows(statement)


FEEDBACK_INSERT = text(
    "INSERT INTO feedback_card (reference, submission_token, dealer_id, product_id, purchase_date, rating_quality,"
    " rating_design, rating_delivery, rating_installation, rating_service, recommend_score, comments, contact_name,"
    " mobile, consent_to_contact, consent_at, status, submitted_at, created_at, updated_at)"
    " VALUES (:reference, :submission_token, :dealer_id, :product_id, :purchase_date, :rating_quality,"
    " :rating_design, :rating_delivery, :rating_installation, :rating_service, :recommend_score, :comments,"
    " :contact_name, :mobile, :consent, :consent_at, 'new', :at, :at, :at)")


def _int_or_none(name: str):
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


@app.post("/bench/floor/feedback")
@csrf.exempt
def floor_feedback():
    """The row the public feedback form stores, from the same form fields, with one raw
    INSERT: no validation, no spam checks, no customer linking, no audit entry."""
    form, at = request.form, now()
    mobile = "".join(ch for ch in form.get("mobile", "") if ch.isdigit())
    consent = bool(form.get("consent"))
    purchase = form.get("purchase_date") or None
    db.session.execute(FEEDBACK_INSERT, {
        # A random tail (10 hex digits) rather than the product's checked 4-letter number: one statement.
        "reference": f"FK{at:%y%m%d}-{secrets.token_hex(5)}", "submission_token": form.get("submission") or None,
        "dealer_id": _int_or_none("dealer"), "product_id": _int_or_none("product"),
        "purchase_date": purchase,
        **{name: _int_or_none(name) for name in ("rating_quality", "rating_design", "rating_delivery",
                                                 "rating_installation", "rating_service", "recommend_score")},
        "comments": form.get("comments") or None, "contact_name": form.get("contact_name") or None,
        "mobile": ("+86" + mobile) if mobile else None, "consent": consent, "consent_at": at if consent else None,
        "at": at})
    db.session.commit()
    return Response("", status=201)


# Statement counting ----------------------------------------------------------------------
class _Tally:
    """The statements of one request: all of them, those that do work, and (when traced) their text."""
    __slots__ = ("all", "work", "trace")

    def __init__(self, trace: list | None):
        self.all, self.work, self.trace = 0, 0, trace


# A context variable rather than flask.g: the listener runs for every statement, and g's
# proxy lookups cost the statement-heavy pages more than the floor's.
_tally: ContextVar[_Tally | None] = ContextVar("bench_tally", default=None)


def _count_statement(_conn, _cursor, statement, parameters, _context, _executemany):
    tally = _tally.get()
    if tally is None:
        return
    tally.all += 1
    if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
        tally.work += 1
    if tally.trace is not None:
        tally.trace.append(statement)


def _start_trace():
    traced = bool(os.environ.get("BENCH_STATEMENT_LOG") and request.headers.get("X-Bench-Trace"))
    _tally.set(_Tally([] if traced else None))


def _report_statements(response):
    tally = _tally.get() or _Tally(None)
    _tally.set(None)
    response.headers["X-Statement-Count"] = str(tally.work)
    response.headers["X-Statement-Count-All"] = str(tally.all)
    if tally.trace is not None:
        entry = {"label": request.headers["X-Bench-Trace"], "path": request.full_path, "status": response.status_code,
                 "statements": tally.trace}
        with _trace_lock, open(os.environ["BENCH_STATEMENT_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return response


with app.app_context():
    event.listen(db.engine, "before_cursor_execute", _count_statement)
# First of the before-request functions, so that a trace sees the user's loading too...
app.before_request_funcs.setdefault(None, []).insert(0, _start_trace)
# ...and the last after-request function to run (Flask runs them in reverse order of registration).
app.after_request_funcs.setdefault(None, []).insert(0, _report_statements)


@app.get("/bench/floor/ping")
def floor_ping():
    """The smallest response the stack gives: no database, no template."""
    return {"ok": True}
