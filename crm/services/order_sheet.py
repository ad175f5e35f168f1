"""What an order spreadsheet holds and how each of its rows is checked: the template's
columns (Chinese and English headers), the header row, and every cell's rules, with the
reasons a cell is refused kept as codes so that each reader sees them in their language."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.clock import today
from crm.extensions import db
from crm.models import Product
from crm.models.choices import AcquisitionChannel, HouseholdStage
from crm.phones import InvalidPhone, normalise_mobile
from crm.services.errors import ServiceError

MAX_AMOUNT = Decimal("10000000000")  # the amount column holds up to 9,999,999,999.99


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
