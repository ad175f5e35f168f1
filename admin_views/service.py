"""Service visits and complaints."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import Optional

from admin_views.base import BackOfficeModelView
from admin_views.cases import CaseMixin, QueueFilter, sla_cell
from admin_views.complaints import RepeatFilter, RepeatingProblemsMixin
from admin_views.dealer_filters import dealer_filters
from crm.models import Complaint, Visit
from crm.models.choices import (
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    Severity,
    VisitChannel,
    VisitPurpose,
)
from forms.validators import NotInFuture, Rating

CUSTOMER_LOOKUP = {"fields": ("name", "mobile"), "page_size": 10}
DEALER_LOOKUP = {"fields": ("code", "name"), "page_size": 10}
USER_LOOKUP = {"fields": ("username",), "page_size": 10}


class VisitView(BackOfficeModelView):
    record_kind = "visit"
    column_list = ("happened_at", "customer", "dealer", "channel", "purpose", "staff", "satisfaction",
                   "next_follow_up_on")
    column_searchable_list = ("customer.name", "customer.mobile")
    column_filters = ("channel", "purpose", "happened_at", "next_follow_up_on", *dealer_filters(Visit),
                      "satisfaction")
    column_choices = {"channel": VisitChannel.choices(), "purpose": VisitPurpose.choices()}
    column_sortable_list = ("happened_at", "channel", "purpose", "satisfaction", "next_follow_up_on")
    column_default_sort = ("happened_at", True)
    form_columns = ("customer", "dealer", "staff", "channel", "purpose", "happened_at", "place", "summary",
                    "outcome", "satisfaction", "next_follow_up_on")
    form_choices = column_choices
    form_ajax_refs = {"customer": CUSTOMER_LOOKUP, "dealer": DEALER_LOOKUP, "staff": USER_LOOKUP}
    form_args = {
        "happened_at": {"validators": [Optional(), NotInFuture()],
                        "description": _l("Left empty, the time of saving is used.")},
        "satisfaction": {"validators": [Rating(1, 5)]},
        "dealer": {"description": _l("Left empty, the customer's dealer is used.")},
    }


class ComplaintView(CaseMixin, RepeatingProblemsMixin, BackOfficeModelView):
    record_kind = "complaint"
    column_list = ("number", "sla", "received_at", "customer", "dealer", "category", "severity", "status",
                   "assigned_to", "first_response_at", "resolved_at")
    column_formatters = {"sla": sla_cell}
    column_searchable_list = ("number", "customer.name", "customer.mobile")
    column_filters = (QueueFilter(Complaint), RepeatFilter(), "status", "severity", "category", "channel", "received_at", "resolved_at",
                      *dealer_filters(Complaint), "product.model_number")
    column_choices = {
        "channel": ComplaintChannel.choices(),
        "category": ComplaintCategory.choices(),
        "severity": Severity.choices(),
        "status": ComplaintStatus.choices(),
    }
    column_sortable_list = ("number", "received_at", "category", "severity", "status", "resolved_at")
    column_default_sort = ("received_at", True)
    # Status, response and resolution times and satisfaction change only through the lifecycle steps.
    form_columns = ("customer", "dealer", "order", "product", "channel", "category", "severity", "description",
                    "assigned_to", "received_at", "root_cause")
    column_details_list = ("number", "customer", "dealer", "order", "product", "channel", "category", "severity",
                           "status", "description", "assigned_to", "received_at", "first_response_due_at",
                           "first_response_at", "resolution_due_at", "resolved_at", "resolution", "root_cause",
                           "satisfaction", "escalated_at", "closed_at", "close_reason", "ticket")
    form_choices = column_choices
    form_ajax_refs = {
        "customer": CUSTOMER_LOOKUP,
        "dealer": DEALER_LOOKUP,
        "order": {"fields": ("order_number",), "page_size": 10},
        "product": {"fields": ("model_number", "name"), "page_size": 10},
        "assigned_to": USER_LOOKUP,
    }
    form_args = {
        "received_at": {"validators": [Optional(), NotInFuture()],
                        "description": _l("Left empty, the time of saving is used.")},
        "dealer": {"description": _l("Left empty, the customer's dealer is used.")},
    }
