"""List filters by dealer code or name. They look the dealers up first (a few thousand rows
at most) and then narrow the list by its indexed dealer_id: Flask-Admin's own
"dealer.code" filters join the dealer table into every list query, and a "contains" over
that join reads the whole list table."""
from flask_admin.babel import lazy_gettext as admin_gettext
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.models import Dealer


class _DealerFilter(BaseSQLAFilter):
    """Each operation below has its `label` and says in `dealers(value)` which dealers it means."""

    label = ""

    def __init__(self, model, name):
        super().__init__(model.dealer_id, name)

    def apply(self, query, value, alias=None):
        return query.filter(self.column.in_(select(Dealer.id).where(self.dealers(value.strip()))))

    def operation(self):
        return self.label


class _OneDealerFilter(_DealerFilter):
    """A code names one dealer at most: `dealer_id = (its id)` reads the list's
    (dealer_id, id) index already in order, where IN would sort the dealer's rows."""

    def apply(self, query, value, alias=None):
        return query.filter(self.column == select(Dealer.id).where(self.dealers(value.strip())).scalar_subquery())


class CodeEquals(_OneDealerFilter):
    label = admin_gettext("equals")

    def dealers(self, value):
        return Dealer.code == value.upper()


class CodeStartsWith(_DealerFilter):
    """Codes are built from the region (GD-FS-001): a prefix picks a province or a city."""
    label = _l("starts with")

    def dealers(self, value):
        return Dealer.code.startswith(value.upper(), autoescape=True)


class NameContains(_DealerFilter):
    label = admin_gettext("contains")

    def dealers(self, value):
        return Dealer.name.contains(value, autoescape=True)


class NameEquals(_DealerFilter):
    label = admin_gettext("equals")

    def dealers(self, value):
        return Dealer.name == value


def dealer_filters(model) -> tuple:
    code, name = _l("Dealer code"), _l("Dealer")
    return (CodeEquals(model, code), CodeStartsWith(model, code), NameContains(model, name),
            NameEquals(model, name))
