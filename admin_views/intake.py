"""Feedback cards and hotline tickets, as clerks see them."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.validators import Optional

from admin_views.base import BackOfficeModelView
from admin_views.scoping import signed_in_user
from admin_views.cases import CaseMixin, QueueFilter, sla_cell
from admin_views.service import CUSTOMER_LOOKUP, DEALER_LOOKUP, USER_LOOKUP
from admin_views.dealer_filters import dealer_filters
from admin_views.formatters import NumbersInFullOnDetails
from crm import access
from crm.models import FeedbackCard, HotlineTicket
from crm.models.choices import CardStatus, TicketChannel, TicketStatus, TicketTopic
from crm.services import intake
from crm.services.errors import ServiceError
from forms.fields import PhoneField
from forms.validators import CleanText, MobilePhone, NotInFuture, Rating

PRODUCT_LOOKUP = {"fields": ("model_number", "name"), "page_size": 10}


class FeedbackCardView(NumbersInFullOnDetails, BackOfficeModelView):
    record_kind = "feedback_card"
    details_template = "admin/card_details.html"

    @expose("/link/", methods=("POST",))
    def link_customer(self):
        card = self.get_one(request.args.get("id", ""))
        typed = request.form.get("mobile", "")
        try:
            customer = intake.find_customer_by_mobile(typed, current_user,
                                                      current_app.config["DEFAULT_PHONE_REGION"])
            intake.link_card(card, customer)
        except ServiceError as error:
            flash(str(error.message), "error")
            return redirect(self.get_url(".details_view", id=card.id, mobile=typed[:40]))
        flash(_("The card is now linked to %(name)s.", name=customer.name), "success")
        return redirect(self.get_url(".details_view", id=card.id))
    column_list = ("reference", "submitted_at", "dealer", "product", "rating_quality", "rating_service",
                   "recommend_score", "contact_name", "mobile", "status")
    column_searchable_list = ("reference", "contact_name", "mobile", "batch.code")
    column_filters = ("status", "submitted_at", *dealer_filters(FeedbackCard), "product.model_number", "batch.code",
                      "recommend_score")
    column_choices = {"status": CardStatus.choices()}
    column_sortable_list = ("reference", "submitted_at", "rating_quality", "rating_service", "recommend_score",
                            "status")
    column_default_sort = ("submitted_at", True)
    form_columns = ("customer", "dealer", "product", "purchase_date", "rating_quality", "rating_design",
                    "rating_delivery", "rating_installation", "rating_service", "recommend_score", "comments",
                    "contact_name", "mobile", "consent_to_contact", "status")
    form_choices = column_choices
    form_overrides = {"mobile": PhoneField}
    form_ajax_refs = {"customer": CUSTOMER_LOOKUP, "dealer": DEALER_LOOKUP, "product": PRODUCT_LOOKUP}
    form_args = {
        "purchase_date": {"validators": [NotInFuture()]},
        "rating_quality": {"validators": [Rating(1, 5)]},
        "rating_design": {"validators": [Rating(1, 5)]},
        "rating_delivery": {"validators": [Rating(1, 5)]},
        "rating_installation": {"validators": [Rating(1, 5)]},
        "rating_service": {"validators": [Rating(1, 5)]},
        "recommend_score": {"validators": [Rating(0, 10)]},
        "mobile": {"validators": [MobilePhone()]},
        "contact_name": {"validators": [CleanText()]},
    }


class HotlineTicketView(NumbersInFullOnDetails, CaseMixin, BackOfficeModelView):
    record_kind = "hotline_ticket"
    details_template = "admin/ticket_details.html"

    def may_make_complaint(self, ticket) -> bool:
        return (ticket.topic == TicketTopic.COMPLAINT.value and ticket.complaint is None
                and self.may(access.EDIT) and access.can(signed_in_user(), access.CREATE, "complaint"))

    @expose("/to-complaint/", methods=("POST",))
    def make_complaint(self):
        ticket = self.get_one(request.args.get("id", ""))
        if not self.may_make_complaint(ticket):
            abort(403)
        try:
            complaint = intake.complaint_from_ticket(ticket, current_user)
        except ServiceError as error:
            flash(str(error.message), "error")
            return redirect(self.get_url(".details_view", id=ticket.id))
        flash(_("Complaint %(number)s was opened from this ticket.", number=complaint.number), "success")
        return redirect(url_for("complaint.details_view", id=complaint.id))
    column_list = ("number", "sla", "received_at", "channel", "topic", "contact_name", "mobile", "city", "dealer",
                   "status", "assigned_to")
    column_formatters = {"sla": sla_cell}
    column_searchable_list = ("number", "contact_name", "mobile", "city")
    column_filters = (QueueFilter(HotlineTicket), "status", "topic", "channel", "received_at", "city", *dealer_filters(HotlineTicket))
    column_choices = {
        "channel": TicketChannel.choices(),
        "topic": TicketTopic.choices(),
        "status": TicketStatus.choices(),
    }
    column_sortable_list = ("number", "received_at", "channel", "topic", "status", "city")
    column_default_sort = ("received_at", True)
    # Status, response and resolution times and satisfaction change only through the lifecycle steps.
    form_columns = ("channel", "topic", "description", "contact_name", "mobile", "city", "address", "customer",
                    "dealer", "product", "purchase_date", "assigned_to", "received_at")
    column_details_list = ("number", "channel", "topic", "description", "contact_name", "mobile", "city", "address",
                           "customer", "dealer", "product", "purchase_date", "status", "assigned_to", "received_at",
                           "first_response_due_at", "first_response_at", "resolution_due_at", "resolved_at",
                           "resolution", "satisfaction", "escalated_at", "closed_at", "close_reason", "complaint")
    form_choices = column_choices
    form_overrides = {"mobile": PhoneField}
    form_ajax_refs = {
        "customer": CUSTOMER_LOOKUP,
        "dealer": DEALER_LOOKUP,
        "product": PRODUCT_LOOKUP,
        "assigned_to": USER_LOOKUP,
    }
    form_args = {
        "mobile": {"validators": [MobilePhone()]},
        "contact_name": {"validators": [CleanText()]},
        "purchase_date": {"validators": [NotInFuture()]},
        "received_at": {"validators": [Optional(), NotInFuture()],
                        "description": _l("Left empty, the time of saving is used.")},
    }
