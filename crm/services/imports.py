"""Dealers hand over their order lists (定单) as spreadsheets.

Three steps: `stage` reads the file row by row, checks every cell, matches each row to an
existing customer (normalised mobile number, then name plus address, within the dealer)
and keeps the outcome per row; the preview shows it. `commit` writes every good row in one
transaction (or nothing), and `undo` takes a committed import back out as a whole.
Re-importing a file finds its order numbers already there and adds nothing.
"""
from __future__ import annotations

import re
from collections.abc import Generator
from typing import TypeVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, insert, select, update

from crm.clock import now, today
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
    Product,
    Visit,
)
from crm.models.choices import (
    AcquisitionChannel,
    CustomerStatus,
    HouseholdStage,
    ImportOutcome,
    ImportStatus,
)
from crm.phones import InvalidPhone, normalise_mobile
from crm.services import audit
from crm.services.errors import ServiceError
from crm.services.spreadsheets import Sheet, cell_text, open_sheet

T = TypeVar("T")
CHUNK = 500
# Bulk inserts send None as NULL (render_nulls): otherwise rows whose empty cells differ
# are grouped apart, and the database receives them nearly one by one.
MAX_AMOUNT = Decimal("10000000000")  # the amount column holds up to 9,999,999,999.99
MAX_ROWS = 200_000
NEW, EXISTING, ALREADY, ERROR = (ImportOutcome.NEW_CUSTOMER.value, ImportOutcome.EXISTING_CUSTOMER.value,
                                 ImportOutcome.ALREADY_IMPORTED.value, ImportOutcome.ERROR.value)


@dataclass(frozen=True)
class Column:
    key: str
    chinese: str
    english: str
    required: bool = False
    max_length: int = 60

    @property
    def header(self) -> str:
        return f"{self.chinese} / {self.english}"


COLUMNS = (
    Column("customer_name", "客户姓名", "Customer name", required=True),
    Column("mobile", "手机号码", "Mobile phone", required=True, max_length=40),
    Column("province", "省份", "Province", max_length=40),
    Column("city", "城市", "City", max_length=40),
    Column("district", "区县", "District", max_length=40),
    Column("address", "详细地址", "Address", max_length=255),
    Column("postal_code", "邮政编码", "Postal code", max_length=6),
    Column("household_stage", "家庭阶段", "Household stage"),
    Column("channel", "来源渠道", "Channel"),
    Column("product_model", "产品型号", "Product model", required=True, max_length=40),
    Column("quantity", "数量", "Quantity", max_length=12),
    Column("amount", "金额", "Amount", max_length=20),
    Column("order_number", "订单号", "Order number", required=True, max_length=40),
    Column("ordered_on", "下单日期", "Ordered on", required=True, max_length=20),
    Column("delivered_on", "送货日期", "Delivered on", max_length=20),
    Column("installed_on", "安装日期", "Installed on", max_length=20),
    Column("salesperson", "销售员", "Salesperson"),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

# Why a cell was refused, by code; rows keep the code and its values, so that the preview
# speaks the language of whoever reads it.
CELL_PROBLEMS = {
    "required": _l("Required."),
    "formula": _l("Formulas are not accepted: type the value itself."),
    "too_long": _l("Longer than %(n)s characters."),
    "bad_phone": _l("Not a valid mobile number."),
    "bad_postal_code": _l("A postal code has six digits."),
    "unknown_choice": _l("Not one of the choices: %(choices)s."),
    "unknown_product": _l("No product has the model number %(value)s."),
    "bad_number": _l("Not a number."),
    "negative": _l("Must not be negative."),
    "quantity": _l("Write a whole number from 1 to 999,999."),
    "too_large": _l("Must be less than %(n)s."),
    "bad_date": _l("Not a date; write it like 2026-03-01."),
    "future_date": _l("Date in the future."),
    "before_order": _l("Earlier than the order date."),
    "before_delivery": _l("Earlier than the delivery date."),
    "duplicate_in_file": _l("The same order number is on row %(row)s."),
    "duplicate_elsewhere": _l("This order number is already used by another dealer's order."),
}


def describe(problem: dict) -> str:
    """A stored cell problem ({"code": ..., params}) in the reader's language."""
    params = {key: value for key, value in problem.items() if key != "code"}
    if problem["code"] == "unknown_choice":
        choices = HouseholdStage if params.pop("field", None) == "household_stage" else AcquisitionChannel
        params["choices"] = "、".join(str(choices.label_for(code)) for code in choices.codes())
    return str(CELL_PROBLEMS[problem["code"]]) % params if params else str(CELL_PROBLEMS[problem["code"]])


# Reading the header row ----------------------------------------------------------------------
def _header_key(text: str) -> str | None:
    cleaned = re.sub(r"[\s*＊]+", "", str(text or "")).lower()
    for column in COLUMNS:
        names = {column.chinese, column.english.lower().replace(" ", ""), column.key.replace("_", ""),
                 f"{column.chinese}/{column.english.lower().replace(' ', '')}"}
        if cleaned in names or cleaned.replace("_", "") in names:
            return column.key
    return None


def map_headers(headers: list[str]) -> list[str | None]:
    """Which column each header names; refuses files whose headers are not the template's."""
    keys = [_header_key(header) if header else None for header in headers]
    unknown = [header for header, key in zip(headers, keys) if header and key is None]
    missing = [COLUMN_BY_KEY[key].header for key in (c.key for c in COLUMNS if c.required) if key not in keys]
    doubled = {key for key in keys if key and keys.count(key) > 1}
    if unknown or missing or doubled:
        parts = []
        if missing:
            parts.append(_("missing columns: %(names)s", names=", ".join(missing)))
        if unknown:
            parts.append(_("unknown columns: %(names)s", names=", ".join(str(h)[:40] for h in unknown[:10])))
        if doubled:
            parts.append(_("columns given twice: %(names)s",
                           names=", ".join(COLUMN_BY_KEY[key].header for key in sorted(doubled))))
        raise ServiceError(_("The headers are not the template's (%(details)s). Download the template and "
                             "copy your rows into it.", details="; ".join(parts)))
    return keys


# Checking one row ------------------------------------------------------------------------------
def _choice_lookup(enum) -> dict[str, str]:
    """Codes, English and Chinese labels all name a choice."""
    from flask_babel import force_locale

    lookup = {}
    for code in enum.codes():
        lookup[code.lower()] = code
        for locale in ("en", "zh_CN"):
            with force_locale(locale):
                lookup[str(enum.label_for(code)).lower()] = code
    return lookup


def _parse_date(text: str) -> date:
    cleaned = text.strip().split(" ")[0]
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class RowChecker:
    """Checks rows against the catalogue and what came earlier in the same file."""

    products: dict[str, int]
    stages: dict[str, str]
    channels: dict[str, str]
    region: str = "CN"

    def __post_init__(self):
        self.order_rows: dict[str, int] = {}

    def check(self, number: int, cells: dict[str, str]) -> tuple[dict, dict]:
        values, problems = {}, {}
        for column in COLUMNS:
            text = cells.get(column.key, "")
            if text.startswith(("=", "@")):
                problems[column.key] = {"code": "formula"}
            elif not text:
                if column.required:
                    problems[column.key] = {"code": "required"}
            elif len(text) > column.max_length:
                problems[column.key] = {"code": "too_long", "n": column.max_length}
            else:
                self._check_cell(column.key, text, values, problems)
        self._check_dates(values, problems)
        order_number = values.get("order_number")
        if order_number and "order_number" not in problems:
            if order_number in self.order_rows:
                problems["order_number"] = {"code": "duplicate_in_file", "row": self.order_rows[order_number]}
            else:
                self.order_rows[order_number] = number
        return values, problems

    def _check_cell(self, key: str, text: str, values: dict, problems: dict) -> None:
        try:
            values[key] = self._value(key, text)
        except _Refused as refused:
            problems[key] = refused.problem

    def _value(self, key: str, text: str):
        if key == "mobile":
            try:
                return normalise_mobile(text, self.region)
            except InvalidPhone:
                raise _Refused("bad_phone") from None
        if key == "postal_code":
            if not re.fullmatch(r"\d{6}", text):
                raise _Refused("bad_postal_code")
            return text
        if key in ("household_stage", "channel"):
            lookup = self.stages if key == "household_stage" else self.channels
            if text.lower() not in lookup:
                raise _Refused("unknown_choice", field=key)
            return lookup[text.lower()]
        if key == "product_model":
            product_id = self.products.get(text.upper())
            if product_id is None:
                raise _Refused("unknown_product", value=text)
            return product_id
        if key == "quantity":
            if not re.fullmatch(r"\d{1,6}", text) or int(text) < 1:
                raise _Refused("quantity")
            return int(text)
        if key == "amount":
            try:
                amount = Decimal(text.replace("¥", "").replace("￥", "").replace(",", "").strip())
                if not amount.is_finite():
                    raise InvalidOperation
                if amount < 0:
                    raise _Refused("negative")
                if amount >= MAX_AMOUNT:
                    raise _Refused("too_large", n=f"{MAX_AMOUNT:,}")
                return str(amount.quantize(Decimal("0.01")))
            except InvalidOperation:
                raise _Refused("bad_number") from None
        if key in ("ordered_on", "delivered_on", "installed_on"):
            try:
                day = _parse_date(text)
            except ValueError:
                raise _Refused("bad_date") from None
            if day > today():
                raise _Refused("future_date")
            return day.isoformat()
        return text  # order numbers too: kept as written, like those entered by hand

    @staticmethod
    def _check_dates(values: dict, problems: dict) -> None:
        ordered, delivered, installed = (values.get(key) for key in ("ordered_on", "delivered_on", "installed_on"))
        if ordered and delivered and delivered < ordered:
            problems["delivered_on"] = {"code": "before_order"}
        if delivered and installed and installed < delivered:
            problems["installed_on"] = {"code": "before_delivery"}
        elif ordered and installed and installed < ordered:
            problems["installed_on"] = {"code": "before_order"}


class _Refused(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.problem = {"code": code, **params}


def new_checker(region: str = "CN") -> RowChecker:
    products = {number.upper(): product_id for product_id, number in
                db.session.execute(select(Product.id, Product.model_number))}
    return RowChecker(products, _choice_lookup(HouseholdStage), _choice_lookup(AcquisitionChannel), region)


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
        batch = OrderImport(dealer_id=dealer_id, created_by_id=user.id, filename=(filename or "upload")[:255],
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
            rows = db.session.execute(
                select(ImportRow.id, ImportRow.outcome, ImportRow.values, ImportRow.customer_id)
                .where(ImportRow.import_id == batch.id, ImportRow.outcome.in_((NEW, EXISTING)))
                .order_by(ImportRow.row_number).execution_options(yield_per=CHUNK))
            for part in rows.partitions():
                _recheck(batch, part)
                customers += _create_customers(batch, part, created)
                existing.update(row.customer_id for row in part if row.outcome == EXISTING)
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
            db.session.execute(update(Customer).where(Customer.id.in_(potential))
                               .values(status=CustomerStatus.ACTUAL.value, updated_at=now()))
            db.session.execute(update(ImportRow).where(ImportRow.import_id == batch.id,
                                                       ImportRow.customer_id.in_(potential))
                               .values(upgraded_customer=True))


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
        db.session.execute(update(Customer).where(Customer.id.in_(upgraded), ~exists().where(
            Order.customer_id == Customer.id)).values(status=CustomerStatus.POTENTIAL.value, updated_at=now()))
        batch.status, batch.undone_at = ImportStatus.UNDONE.value, now()
        label = f"undo import #{batch.id} {batch.filename}"
        db.session.execute(insert(AuditEntry), [
            audit.record_bulk("orders", orders, label, audit.AuditAction.DELETE),
            audit.record_bulk("customer", len(removable_ids), label, audit.AuditAction.DELETE)])
        db.session.commit()
    return orders, len(removable_ids), kept


# The template ------------------------------------------------------------------------------
def template_headers() -> list[str]:
    return [column.header + (" *" if column.required else "") for column in COLUMNS]


def template_example() -> list[str]:
    """One filled-in row, for the template's instructions."""
    from flask_babel import force_locale

    with force_locale("zh_CN"):
        stage_label = str(HouseholdStage.label_for(HouseholdStage.COUPLE.value))
        channel_label = str(AcquisitionChannel.label_for(AcquisitionChannel.STORE_PROMOTION.value))
    return ["王芳", "13812345678", "广东省", "佛山市", "顺德区", "大良街道凤山中路8号", "528300", stage_label,
            channel_label, "SF-2031", "1", "12800.00", "SO-2026-0001", "2026-03-01", "2026-03-08", "2026-03-09",
            "李明"]

