"""Orders."""
from flask_babel import lazy_gettext as _l

from admin_views.base import BackOfficeModelView
from admin_views.dealer_filters import dealer_filters
from crm.models.choices import ProductCategory
from crm.models import Order
from forms.validators import AtLeastOne, CleanText, NonNegative, NotBefore, NotInFuture


class OrderView(BackOfficeModelView):
    record_kind = "order"
    column_list = ("order_number", "customer", "dealer", "product", "quantity", "amount", "ordered_on",
                   "delivered_on", "installed_on")
    column_searchable_list = ("order_number", "customer.name", "customer.mobile", "product.model_number")
    column_filters = ("ordered_on", "delivered_on", "installed_on", *dealer_filters(Order),
                      "product.model_number", "product.category")
    column_choices = {"product.category": ProductCategory.choices()}
    column_sortable_list = ("order_number", "quantity", "amount", "ordered_on", "delivered_on", "installed_on")
    column_default_sort = ("ordered_on", True)
    form_columns = ("order_number", "customer", "dealer", "product", "quantity", "amount", "ordered_on",
                    "delivered_on", "installed_on")
    form_ajax_refs = {
        "customer": {"fields": ("name", "mobile"), "page_size": 10},
        "dealer": {"fields": ("code", "name"), "page_size": 10},
        "product": {"fields": ("model_number", "name"), "page_size": 10},
    }
    form_args = {
        "order_number": {"validators": [CleanText()]},
        "quantity": {"validators": [AtLeastOne()], "default": 1},
        "amount": {"validators": [NonNegative()]},
        "ordered_on": {"validators": [NotInFuture()]},
        "delivered_on": {"validators": [NotBefore("ordered_on", _l("Delivery cannot come before the order."))]},
        "installed_on": {"validators": [NotBefore("ordered_on", _l("Installation cannot come before the order."))]},
        "dealer": {"description": _l("Left empty, the customer's dealer is used.")},
    }
