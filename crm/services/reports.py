"""Management reports: who the customers are, what they buy, how many potential customers
become buyers, and where complaints come from. Every figure counts only what the user may
see (crm.access), within a period and optionally one dealer."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, distinct, func, select

from crm import access
from crm.clock import today
from crm.extensions import db
from crm.models import Complaint, Customer, Dealer, Order, Product
from crm.models.choices import AcquisitionChannel, CustomerStatus, HouseholdStage, ProductCategory


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def first_moment(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def after_last_moment(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min)

    @classmethod
    def last_year(cls) -> Period:
        return cls(today() - timedelta(days=364), today())


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[tuple]
    chart_value: int  # which column the chart draws (the first column names the bars)


@dataclass(frozen=True)
class Report:
    key: str
    title: object
    build: Callable[..., Table]
    note: object = ""


CUSTOMERS_NOTE = _l("Customers first recorded in the period.")
PURCHASES_NOTE = _l("Orders placed in the period.")
CONVERSION_NOTE = _l("Customers first recorded in the period (not by an order import), and how many of them have "
                     "bought since.")
COMPLAINTS_NOTE = _l("Orders placed and complaints received in the period.")


def _label(codes) -> Callable[[str | None], str]:
    return lambda code: str(codes.label_for(code)) if code else str(_l("Not recorded"))


def _plain(value) -> str:
    return value if value not in (None, "") else str(_l("Not recorded"))


# Customers ------------------------------------------------------------------------------------
def _customers_by(column, name, show=_plain, joins_dealer=False):
    def build(user, period: Period, dealer_id: int | None) -> Table:
        query = (select(column, func.count()).select_from(Customer)
                 .where(Customer.created_at >= period.first_moment, Customer.created_at < period.after_last_moment)
                 .group_by(column))
        if joins_dealer:
            query = query.outerjoin(Customer.dealer)
        rows = db.session.execute(_narrow(query, Customer, user, dealer_id)).all()
        rows = sorted(((show(value), count) for value, count in rows), key=lambda row: (-row[1], row[0]))
        return Table([str(name), str(_l("Customers"))], rows, 1)
    return build


# Purchases ------------------------------------------------------------------------------------
def _purchases_by(column, name, show=_plain):
    def build(user, period: Period, dealer_id: int | None) -> Table:
        value = func.coalesce(func.sum(Order.amount), 0)
        query = (select(column, func.count(Order.id), func.count(distinct(Order.customer_id)),
                        func.coalesce(func.sum(Order.quantity), 0), value)
                 .select_from(Order).outerjoin(Order.product)
                 .where(Order.ordered_on >= period.start, Order.ordered_on <= period.end).group_by(column))
        rows = []
        for group, orders, buyers, quantity, total in db.session.execute(_narrow(query, Order, user, dealer_id)):
            total = Decimal(total or 0)
            rows.append((show(group), orders, buyers, round(orders / buyers, 2) if buyers else None, quantity,
                         total.quantize(Decimal("0.01")), (total / orders).quantize(Decimal("0.01")) if orders else None))
        rows.sort(key=lambda row: (-row[5], row[0]))
        return Table([str(name), str(_l("Orders")), str(_l("Buyers")), str(_l("Orders per buyer")),
                      str(_l("Pieces")), str(_l("Value (yuan)")), str(_l("Value per order (yuan)"))], rows, 5)
    return build


# Conversion -----------------------------------------------------------------------------------
def _conversion_by(column, name, show=_plain, joins_dealer=False):
    def build(user, period: Period, dealer_id: int | None) -> Table:
        actual = func.sum(case((Customer.status == CustomerStatus.ACTUAL.value, 1), else_=0))
        # Customers created by an order import were buyers from the start, never potential ones.
        query = (select(column, func.count(), actual).select_from(Customer)
                 .where(Customer.created_at >= period.first_moment, Customer.created_at < period.after_last_moment,
                        Customer.import_id.is_(None))
                 .group_by(column))
        if joins_dealer:
            query = query.outerjoin(Customer.dealer)
        rows = []
        for group, customers, bought in db.session.execute(_narrow(query, Customer, user, dealer_id)):
            bought = int(bought or 0)
            rows.append((show(group), customers, bought, round(100 * bought / customers, 1) if customers else None))
        rows.sort(key=lambda row: (-(row[3] or 0), row[0]))
        return Table([str(name), str(_l("Customers won")), str(_l("Of them buyers")), str(_l("Conversion rate, per cent"))],
                     rows, 3)
    return build


# Complaints -----------------------------------------------------------------------------------
def _complaint_rate_by(column, name, through, show=_plain):
    """`column` names the group (a dealer or product label); `through` joins orders and
    complaints to the table it comes from."""
    def build(user, period: Period, dealer_id: int | None) -> Table:
        orders_query = (select(column, func.count()).select_from(Order).outerjoin(through[0])
                        .where(Order.ordered_on >= period.start, Order.ordered_on <= period.end)
                        .group_by(column))
        complaints_query = (select(column, func.count()).select_from(Complaint).outerjoin(through[1])
                            .where(Complaint.received_at >= period.first_moment,
                                   Complaint.received_at < period.after_last_moment)
                            .group_by(column))
        orders = dict(db.session.execute(_narrow(orders_query, Order, user, dealer_id)).all())
        complaints = dict(db.session.execute(_narrow(complaints_query, Complaint, user, dealer_id)).all())
        rows = []
        for group in set(orders) | set(complaints):
            ordered, complained = orders.get(group, 0), complaints.get(group, 0)
            rows.append((show(group), ordered, complained, round(100 * complained / ordered, 1) if ordered else None))
        rows.sort(key=lambda row: (-(row[3] or 0), -row[2], row[0]))
        return Table([str(name), str(_l("Orders")), str(_l("Complaints")), str(_l("Complaints per 100 orders"))],
                     rows, 3)
    return build


def _narrow(query, model, user, dealer_id: int | None):
    if dealer_id is not None:
        query = query.where(model.dealer_id == dealer_id)
    return access.scope(query, model, user)


_dealer_label = Dealer.code + " " + Dealer.name
_product_label = Product.model_number + " " + Product.name
REPORTS = [
    Report("customers_region", _l("Customers by region"), _customers_by(Customer.province, _l("Province")),
           CUSTOMERS_NOTE),
    Report("customers_dealer", _l("Customers by dealer"),
           _customers_by(_dealer_label, _l("Dealer"), joins_dealer=True), CUSTOMERS_NOTE),
    Report("customers_salesperson", _l("Customers by salesperson"),
           _customers_by(Customer.salesperson, _l("Salesperson")), CUSTOMERS_NOTE),
    Report("customers_postal_code", _l("Customers by postal code"),
           _customers_by(Customer.postal_code, _l("Postal code")), CUSTOMERS_NOTE),
    Report("customers_stage", _l("Customers by household stage"),
           _customers_by(Customer.household_stage, _l("Household stage"), _label(HouseholdStage)), CUSTOMERS_NOTE),
    Report("customers_channel", _l("Customers by channel"),
           _customers_by(Customer.channel, _l("Channel"), _label(AcquisitionChannel)), CUSTOMERS_NOTE),
    Report("purchases_category", _l("Purchases by product category"),
           _purchases_by(Product.category, _l("Category"), _label(ProductCategory)), PURCHASES_NOTE),
    Report("purchases_series", _l("Purchases by product series"), _purchases_by(Product.series, _l("Series")),
           PURCHASES_NOTE),
    Report("conversion_channel", _l("Potential to actual customers by channel"),
           _conversion_by(Customer.channel, _l("Channel"), _label(AcquisitionChannel)), CONVERSION_NOTE),
    Report("conversion_dealer", _l("Potential to actual customers by dealer"),
           _conversion_by(_dealer_label, _l("Dealer"), joins_dealer=True), CONVERSION_NOTE),
    Report("complaints_dealer", _l("Complaints per 100 orders by dealer"),
           _complaint_rate_by(_dealer_label, _l("Dealer"), through=(Order.dealer, Complaint.dealer)),
           COMPLAINTS_NOTE),
    Report("complaints_product", _l("Complaints per 100 orders by product"),
           _complaint_rate_by(_product_label, _l("Product"), through=(Order.product, Complaint.product)),
           COMPLAINTS_NOTE),
]
BY_KEY = {report.key: report for report in REPORTS}


def build(key: str, user, period: Period, dealer_id: int | None = None) -> Table:
    return BY_KEY[key].build(user, period, dealer_id)
