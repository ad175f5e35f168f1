"""Dealers hand over their order lists (定单) as spreadsheets.

Three steps: `stage` reads the file row by row, checks every cell (crm.services.order_sheet),
matches each row to an existing customer (normalised mobile number, then name plus address,
within the dealer) and keeps the outcome per row; the preview shows it. `commit` writes every
good row in one transaction (or nothing), and `undo` takes a committed import back out as a
whole. Re-importing a file finds its order numbers already there and adds nothing.
"""
from __future__ import annotations

import re
from collections.abc import Generator
from datetime import date
from decimal import Decimal
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, select, text, update

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import (
    AuditEntry,
    Complaint,
    Customer,
    FeedbackCard,
    HotlineTicket,
    ImportRow,
    Order,
    OrderImport,
    Visit,
)
from crm.models.choices import CustomerStatus, ImportOutcome, ImportStatus
from crm.services import audit
from crm.services.errors import ServiceError
from crm.services.order_sheet import map_headers, new_checker
from crm.services.spreadsheets import CONTROL_CHARACTERS, Sheet, cell_text, open_sheet

T = TypeVar("T")
CHUNK = 500
# Bulk inserts send None as NULL (render_nulls): otherwise rows whose empty cells differ
# are grouped apart, and the database receives them nearly one by one.
MAX_ROWS = 200_000
NEW, EXISTING, ALREADY, ERROR = (ImportOutcome.NEW_CUSTOMER.value, ImportOutcome.EXISTING_CUSTOMER.value,
                                 ImportOutcome.ALREADY_IMPORTED.value, ImportOutcome.ERROR.value)


# Staging: the preview ------------------------------------------------------------------------
def open_upload(stream) -> tuple[Sheet, list[str | None]]:
    """The uploaded file's sheet and what each column is; refuses unreadable files and
    wrong headers before anything is kept."""
    sheet = open_sheet(stream)
    return sheet, map_headers(sheet.headers)


def run(steps: Generator[int, None, T]) -> T:
    """Run a step-by-step job (`staging`, `committing`) to its end; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value


def stage(upload, filename: str, dealer_id: int, user, region: str = "CN") -> OrderImport:
    return run(staging(upload, filename, dealer_id, user, region))


def staging(upload: tuple[Sheet, list[str | None]], filename: str, dealer_id: int, user,
            region: str = "CN") -> Generator[int, None, OrderImport]:
    """Read, check and match every row; keep each row's outcome for the preview. Nothing
    joins the archive yet. Rows are kept in chunks, so that memory does not grow with the
    file; yields the number of rows read after each chunk, for a progress report."""
    sheet, keys = upload
    checker = new_checker(region)
    with write_transaction():
        # The name as the browser sent it, without control characters (PostgreSQL refuses NUL).
        name = CONTROL_CHARACTERS.sub("", filename or "")[:255] or "upload"
        batch = OrderImport(dealer_id=dealer_id, created_by_id=user.id, filename=name,
                            status=ImportStatus.PREVIEWED.value)
        db.session.add(batch)
        db.session.commit()
    counts = {NEW: 0, EXISTING: 0, ALREADY: 0, ERROR: 0}
    chunk: list[tuple[int, dict, dict]] = []
    try:
        for number, cells in sheet.rows:
            texts = {key: cell_text(cell)[:4000] for key, cell in zip(keys, cells) if key}
            if not any(texts.values()):
                continue
            if sum(counts.values()) + len(chunk) >= MAX_ROWS:
                raise ServiceError(_("The file has more than %(n)s rows; split it into smaller files.",
                                     n=f"{MAX_ROWS:,}"))
            chunk.append((number, *checker.check(number, texts)))
            if len(chunk) == CHUNK:
                _stage_chunk(batch, chunk, counts)
                chunk = []
                yield sum(counts.values())
        _stage_chunk(batch, chunk, counts)
    except BaseException:
        db.session.rollback()
        _discard(batch.id)
        raise
    if not sum(counts.values()):
        _discard(batch.id)
        raise ServiceError(_("The file has headers but no rows."))
    with write_transaction():
        batch.total_rows = sum(counts.values())
        batch.new_rows, batch.existing_rows = counts[NEW], counts[EXISTING]
        batch.already_imported_rows, batch.error_rows = counts[ALREADY], counts[ERROR]
        db.session.commit()
    return batch


def _discard(import_id: int) -> None:
    with write_transaction():
        db.session.execute(delete(ImportRow).where(ImportRow.import_id == import_id))
        db.session.execute(delete(OrderImport).where(OrderImport.id == import_id))
        db.session.commit()


def _stage_chunk(batch: OrderImport, chunk: list, counts: dict) -> None:
    if not chunk:
        return
    taken = _orders_taken([values.get("order_number") for _row, values, problems in chunk if not problems])
    by_mobile, by_name_address = _existing_customers(batch.dealer_id, [values for _row, values, _problems in chunk])
    rows = []
    for number, values, problems in chunk:
        customer_id = None
        owner = taken.get(values.get("order_number"), _FREE)
        if not problems and owner is not _FREE and owner != batch.dealer_id:
            problems["order_number"] = {"code": "duplicate_elsewhere"}
        if problems:
            outcome = ERROR
        elif owner is not _FREE:
            outcome = ALREADY  # imported before: re-importing a file adds nothing
        else:
            customer_id = by_mobile.get(values["mobile"]) or by_name_address.get(
                (values["customer_name"], _address_key(values)))
            outcome = EXISTING if customer_id else NEW
        counts[outcome] += 1
        rows.append({"import_id": batch.id, "row_number": number, "outcome": outcome, "values": values,
                     "errors": problems, "customer_id": customer_id, "upgraded_customer": False})
    with write_transaction():
        db.session.execute(insert(ImportRow).execution_options(render_nulls=True), rows)
        db.session.commit()


_FREE = object()


def _orders_taken(numbers: list[str]) -> dict[str, int | None]:
    if not numbers:
        return {}
    query = select(Order.order_number, Order.dealer_id).where(Order.order_number.in_(numbers))
    return {number: dealer_id for number, dealer_id in db.session.execute(query)}


def _address_key(values: dict) -> str:
    return re.sub(r"\s+", "", values.get("address") or "")


def _existing_customers(dealer_id: int, rows: list[dict]):
    """The dealer's customers these rows name: by mobile, and by (name, address)."""
    mobiles = {values["mobile"] for values in rows if values.get("mobile")}
    by_mobile = {}
    for customer_id, mobile in db.session.execute(
            select(Customer.id, Customer.mobile).where(Customer.dealer_id == dealer_id, Customer.mobile.in_(mobiles))
            .order_by(Customer.id.desc())):
        by_mobile[mobile] = customer_id  # the oldest wins: rows come newest first
    names = {values["customer_name"] for values in rows if values.get("customer_name") and values.get("address")}
    by_name_address = {}
    for customer_id, name, address in db.session.execute(
            select(Customer.id, Customer.name, Customer.address)
            .where(Customer.dealer_id == dealer_id, Customer.name.in_(names), Customer.address.is_not(None))
            .order_by(Customer.id.desc())):
        by_name_address[(name, re.sub(r"\s+", "", address))] = customer_id
    return by_mobile, by_name_address


def preview_rows(batch: OrderImport, outcome: str | None, page: int, per_page: int = 50) -> list[ImportRow]:
    query = select(ImportRow).where(ImportRow.import_id == batch.id)
    if outcome:
        query = query.where(ImportRow.outcome == outcome)
    return db.session.scalars(query.order_by(ImportRow.row_number).offset(page * per_page).limit(per_page)).all()


# Commit and undo ---------------------------------------------------------------------------
def commit(batch: OrderImport, user, skip_errors: bool) -> OrderImport:
    return run(committing(batch, user, skip_errors))


def committing(batch: OrderImport, user, skip_errors: bool) -> Generator[int, None, OrderImport]:
    """Write every good row in one transaction: all of them, or nothing. With errors in the
    file, only when the user chose to skip the rows with errors. Yields the orders written
    so far after each chunk."""
    created: dict[str, int] = {}  # new customers by mobile number
    existing: set[int] = set()
    orders = customers = 0
    try:
        with write_transaction():
            # This session's own copy, locked: a page streaming the progress runs in a fresh
            # session, and a second click on "Import" must find the work already done.
            batch = db.session.get(OrderImport, batch.id, with_for_update=True, populate_existing=True)
            check_committable(batch, skip_errors)
            # Checked before anything is written: during the writing, the orders table grows
            # inside this transaction, and a planner that believes it small (a new archive)
            # would scan it for every chunk.
            for part in _rows_to_write(batch).partitions():
                _recheck(batch, part)
            for part in _rows_to_write(batch).partitions():
                customers += _create_customers(batch, part, created)
                existing.update(row.customer_id for row in part if row.outcome == EXISTING)
            _refresh_statistics("customer")
            for part in _rows_to_write(batch).partitions():
                orders += _create_orders(batch, part, created)
                yield orders
            _mark_actual(batch, existing)
            batch.status = ImportStatus.COMMITTED.value
            batch.skip_errors = bool(batch.error_rows)
            batch.orders_created, batch.customers_created = orders, customers
            batch.committed_at = now()
            label = f"import #{batch.id} {batch.filename}"
            db.session.execute(insert(AuditEntry), [audit.record_bulk("orders", orders, label),
                                                    audit.record_bulk("customer", customers, label)])
            db.session.commit()
    except BaseException:  # an error, or the browser went away mid-way: nothing stays
        db.session.rollback()
        raise
    return batch


def check_committable(batch: OrderImport, skip_errors: bool) -> None:
    if batch.status != ImportStatus.PREVIEWED.value:
        raise ServiceError(_("This import was already carried out or undone."))
    if batch.error_rows and not skip_errors:
        raise ServiceError(_("%(n)d rows have errors. Correct them and upload the file again, or choose to "
                             "import the other rows and skip those.", n=batch.error_rows))
    if not batch.new_rows + batch.existing_rows:
        raise ServiceError(_("There is nothing new to import in this file."))


def _refresh_statistics(table: str) -> None:
    """PostgreSQL checks each new order's customer with a plan made from the table's
    statistics; for a table that was empty (a new archive) that plan scans the whole table,
    once per order. ANALYZE inside the transaction counts the customers it just added."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {table}"))


def _rows_to_write(batch: OrderImport):
    return db.session.execute(
        select(ImportRow.id, ImportRow.outcome, ImportRow.values, ImportRow.customer_id)
        .where(ImportRow.import_id == batch.id, ImportRow.outcome.in_((NEW, EXISTING)))
        .order_by(ImportRow.row_number).execution_options(yield_per=CHUNK))


def _recheck(batch: OrderImport, rows) -> None:
    """What the preview found may have changed since: an order number taken by now, a
    matched customer deleted or moved to another dealer. Then nothing is written."""
    taken = _orders_taken([values["order_number"] for _row_id, _outcome, values, _customer in rows])
    if taken:
        raise ServiceError(_("Order %(number)s was entered after the preview. Upload the file again to check it "
                             "anew.", number=next(iter(taken))))
    matched = {customer_id for _row_id, outcome, _values, customer_id in rows if outcome == EXISTING}
    still_there = set(db.session.scalars(select(Customer.id).where(Customer.id.in_(matched),
                                                                   Customer.dealer_id == batch.dealer_id)))
    if matched - still_there:
        raise ServiceError(_("A customer the preview matched was deleted or moved to another dealer since. Upload "
                             "the file again to check it anew."))


def _create_customers(batch: OrderImport, rows, created: dict[str, int]) -> int:
    fresh, mobiles = [], set()
    for _row_id, outcome, values, _customer_id in rows:
        if outcome == NEW and values["mobile"] not in created and values["mobile"] not in mobiles:
            mobiles.add(values["mobile"])
            fresh.append({
                "name": values["customer_name"], "mobile": values["mobile"], "province": values.get("province"),
                "city": values.get("city"), "district": values.get("district"), "address": values.get("address"),
                "postal_code": values.get("postal_code"), "household_stage": values.get("household_stage"),
                "channel": values.get("channel"), "salesperson": values.get("salesperson"),
                "dealer_id": batch.dealer_id, "status": CustomerStatus.ACTUAL.value, "gender": "unspecified",
                "consent_to_contact": False, "import_id": batch.id, "created_at": now(), "updated_at": now()})
    if fresh:
        # Each new row says which mobile number it holds, so the rows may come back in any
        # order (asking for parameter order would make SQLite insert them one by one).
        created.update(db.session.execute(insert(Customer).returning(Customer.mobile, Customer.id)
                                          .execution_options(render_nulls=True), fresh).all())
    return len(fresh)


def _mark_actual(batch: OrderImport, customer_ids: set[int]) -> None:
    """Potential customers with an imported order have bought: they become actual, and the
    rows remember it so that undoing the import turns them back."""
    ids = sorted(customer_ids)
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        potential = db.session.scalars(select(Customer.id).where(
            Customer.id.in_(part), Customer.status == CustomerStatus.POTENTIAL.value)).all()
        if potential:
            _change_status(Customer.id.in_(potential), CustomerStatus.POTENTIAL.value, CustomerStatus.ACTUAL.value)
            db.session.execute(update(ImportRow).where(ImportRow.import_id == batch.id,
                                                       ImportRow.customer_id.in_(potential))
                               .values(upgraded_customer=True))


def _change_status(condition, before: str, after: str) -> None:
    """Customers' status changed in bulk, each with its audit entry and a new version: an
    edit form opened before the change is refused, and says what changed (crm.services.versions)."""
    table = Customer.__table__
    changed = db.session.execute(update(table).where(condition)
                                 .values(status=after, updated_at=now(), version=table.c.version + 1)
                                 .returning(table.c.id, table.c.name, table.c.mobile, table.c.version)).all()
    audit.write(db.session.connection(), [
        audit.entry(audit.AuditAction.UPDATE, table.name, customer_id, str(Customer(name=name, mobile=mobile)),
                    {"status": [before, after], "version": [version - 1, version]})
        for customer_id, name, mobile, version in changed])


def _create_orders(batch: OrderImport, rows, created: dict[str, int]) -> int:
    orders = [{
        "order_number": values["order_number"], "dealer_id": batch.dealer_id, "product_id": values["product_model"],
        "customer_id": customer_id if outcome == EXISTING else created[values["mobile"]],
        "quantity": values.get("quantity") or 1,
        "amount": Decimal(values["amount"]) if values.get("amount") is not None else None,
        "ordered_on": date.fromisoformat(values["ordered_on"]),
        "delivered_on": _day(values.get("delivered_on")), "installed_on": _day(values.get("installed_on")),
        "salesperson": values.get("salesperson"), "import_id": batch.id, "created_at": now(), "updated_at": now(),
    } for _row_id, outcome, values, customer_id in rows]
    db.session.execute(insert(Order).execution_options(render_nulls=True), orders)
    return len(orders)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def undo(batch: OrderImport, user) -> tuple[int, int, int]:
    """Take a committed import back out: its orders, the customers it created (unless
    something else now refers to them), and the potential-to-actual changes it made.
    Returns (orders removed, customers removed, customers kept)."""
    if batch.status != ImportStatus.COMMITTED.value:
        raise ServiceError(_("Only a carried-out import can be undone."))
    with write_transaction():
        complained = db.session.scalar(select(func.count()).select_from(Complaint).join(Complaint.order)
                                       .where(Order.import_id == batch.id))
        if complained:
            db.session.rollback()
            raise ServiceError(_("%(n)d complaints refer to orders of this import, so it cannot be undone as a "
                                 "whole. Correct those orders one by one instead.", n=complained))
        orders = db.session.execute(delete(Order).where(Order.import_id == batch.id)).rowcount
        unreferred = [~exists().where(model.customer_id == Customer.id)
                      for model in (Order, Visit, Complaint, HotlineTicket, FeedbackCard)]
        removable = select(Customer.id).where(Customer.import_id == batch.id, *unreferred)
        removable_ids = db.session.scalars(removable).all()
        kept = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.import_id == batch.id)) \
            - len(removable_ids)
        for start in range(0, len(removable_ids), CHUNK):
            db.session.execute(delete(Customer).where(Customer.id.in_(removable_ids[start:start + CHUNK])))
        upgraded = select(ImportRow.customer_id).where(ImportRow.import_id == batch.id,
                                                       ImportRow.upgraded_customer.is_(True))
        _change_status(Customer.id.in_(upgraded) & ~exists().where(Order.customer_id == Customer.id),
                       CustomerStatus.ACTUAL.value, CustomerStatus.POTENTIAL.value)
        batch.status, batch.undone_at = ImportStatus.UNDONE.value, now()
        label = f"undo import #{batch.id} {batch.filename}"
        db.session.execute(insert(AuditEntry), [
            audit.record_bulk("orders", orders, label, audit.AuditAction.DELETE),
            audit.record_bulk("customer", len(removable_ids), label, audit.AuditAction.DELETE)])
        db.session.commit()
    return orders, len(removable_ids), kept
