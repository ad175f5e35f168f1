"""Customer segments as list filters: last purchase, number of orders, total spend."""
from datetime import timedelta

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, func, select

from crm.clock import today
from crm.models import Customer, Order

ORDER_COUNT = (select(func.count(Order.id)).where(Order.customer_id == Customer.id)
               .correlate(Customer).scalar_subquery())
TOTAL_SPEND = (select(func.coalesce(func.sum(Order.amount), 0)).where(Order.customer_id == Customer.id)
               .correlate(Customer).scalar_subquery())


def _bought_since(days: int):
    return exists().where(Order.customer_id == Customer.id, Order.ordered_on >= today() - timedelta(days=days))


class _SegmentFilter(BaseSQLAFilter):
    """A filter whose options each name one SQL condition (see `conditions`)."""

    def __init__(self, name, options):
        super().__init__(Customer.id, name, options=options)

    def apply(self, query, value, alias=None):
        condition = self.conditions().get(value)
        return query.filter(condition if condition is not None else false())

    def operation(self):
        return _l("is")


class LastPurchaseFilter(_SegmentFilter):
    def __init__(self):
        super().__init__(_l("Last purchase"), (
            ("90", _l("Within 3 months")), ("365", _l("Within a year")), ("730", _l("Within two years")),
            ("older", _l("More than two years ago")), ("never", _l("Never"))))

    @staticmethod
    def conditions():
        has_orders = exists().where(Order.customer_id == Customer.id)
        return {"90": _bought_since(90), "365": _bought_since(365), "730": _bought_since(730),
                "older": has_orders & ~_bought_since(730), "never": ~has_orders}


class OrderCountFilter(_SegmentFilter):
    def __init__(self):
        super().__init__(_l("Number of orders"), (("0", "0"), ("1", "1"), ("2", "2"), ("3plus", "3+")))

    @staticmethod
    def conditions():
        return {"0": ORDER_COUNT == 0, "1": ORDER_COUNT == 1, "2": ORDER_COUNT == 2, "3plus": ORDER_COUNT >= 3}


class SpendFilter(_SegmentFilter):
    def __init__(self):
        super().__init__(_l("Total spend"), (
            ("lt5k", _l("Under ¥5,000")), ("5k-20k", _l("¥5,000 to ¥20,000")),
            ("20k-50k", _l("¥20,000 to ¥50,000")), ("50kplus", _l("¥50,000 and more"))))

    @staticmethod
    def conditions():
        return {"lt5k": TOTAL_SPEND < 5000, "5k-20k": TOTAL_SPEND.between(5000, 19999.99),
                "20k-50k": TOTAL_SPEND.between(20000, 49999.99), "50kplus": TOTAL_SPEND >= 50000}
