"""Dealers and customers."""
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import Response, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin_views.base import BackOfficeModelView, field_set
from admin_views.scoping import signed_in_user
from admin_views.formatters import NumbersInFullOnDetails
from admin_views.labels import FIELD_LABELS
from admin_views.segments import LastPurchaseFilter, OrderCountFilter, SpendFilter
from admin_views.dealer_filters import dealer_filters
from crm import access
from crm.extensions import db
from crm.services import privacy
from crm.services import search as customer_search
from crm.services.errors import ServiceError
from crm.models import Complaint, Customer, FeedbackCard, HotlineTicket, Order, Visit
from crm.models.choices import (
    AcquisitionChannel,
    CustomerStatus,
    DealerLevel,
    Gender,
    HouseholdStage,
    HousingType,
    PriceTier,
    VisitPurpose,
)
from forms.fields import PhoneField
from forms.validators import (
    AnyPhone,
    AtLeastOne,
    CleanText,
    EmailAddress,
    MobilePhone,
    NonNegative,
    NotInFuture,
    PostalCode,
)


class DealerView(BackOfficeModelView):
    record_kind = "dealer"
    column_list = ("code", "name", "province", "city", "contact_person", "phone", "level", "active", "joined_on")
    column_searchable_list = ("code", "name", "city", "contact_person")
    column_filters = ("province", "city", "level", "active", "joined_on")
    column_choices = {"level": DealerLevel.choices()}
    form_columns = ("code", "name", "level", "province", "city", "address", "contact_person", "phone",
                    "active", "joined_on")
    form_choices = {"level": DealerLevel.choices()}
    form_overrides = {"phone": PhoneField}
    form_args = {
        "code": {"validators": [CleanText()], "description": _l("For example GD-FS-001")},
        "name": {"validators": [CleanText()]},
        "phone": {"validators": [AnyPhone()]},
        "joined_on": {"validators": [NotInFuture()]},
    }


# Where the search hands its FTS table to the sorting, within one list request.
SEARCH_ORDER = "customer search index"


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # the back-office endpoint of the record
    id: int
    title: str
    text: str


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min)


CUSTOMER_FORM_RULES = [
    field_set(("name", "gender", "birthday", "status", "mobile", "other_phone", "email"), _l("Customer")),
    field_set(("province", "city", "district", "address", "postal_code"), _l("Address")),
    field_set(("housing_type", "floor_area", "household_stage", "household_size", "employer"),
                   _l("Home and household")),
    field_set(("dealer", "salesperson", "channel", "referred_by", "price_tier", "discount_terms",
                    "payment_terms"), _l("Purchase")),
    field_set(("consent_to_contact", "notes"), _l("Consent and notes")),
]


# The personal data section of a customer's page, and what its steps need (crm.access).
PERSONAL_DATA_METHODS = {"export_personal_data": access.EXPORT_PERSONAL, "anonymise": access.ANONYMISE}
# What the trail's entries of exports and anonymisations say.
PERSONAL_DATA_LABELS = {
    "export_format": _l("Format"), "exported_records": _l("Records exported"),
    "anonymised_fields": _l("Fields erased"), "linked_records_cleaned": _l("Linked records cleaned"),
    "audit_entries_redacted": _l("Audit entries cleared of erased values"),
}
LINKED_LABELS = {"feedback_card": _l("Feedback cards"), "hotline_ticket": _l("Hotline tickets"),
                 "complaint": _l("Complaints"), "visit": _l("Service visits"), "case_note": _l("Case notes"),
                 "import_row": _l("Order spreadsheet rows")}


@dataclass(frozen=True)
class PersonalDataSection:
    may_export: bool
    may_anonymise: bool
    anonymised_at: datetime | None
    erased: list[str]  # field labels
    kept: list[str]
    linked: list[tuple[str, int]]  # what loses its copies of the customer's details: (kind, how many)


class CustomerView(NumbersInFullOnDetails, BackOfficeModelView):
    record_kind = "customer"
    column_labels = {**FIELD_LABELS, "name": _l("Full name"), **PERSONAL_DATA_LABELS}
    details_template = "admin/customer_details.html"
    column_list = ("name", "mobile", "city", "district", "status", "household_stage", "channel", "dealer",
                   "salesperson", "created_at")
    column_searchable_list = ("name", "mobile", "other_phone", "email", "address", "postal_code")
    column_filters = ("status", "household_stage", "channel", LastPurchaseFilter(), OrderCountFilter(), SpendFilter(),
                      "province", "city", "district", "postal_code",
                      *dealer_filters(Customer), "salesperson", "created_at", "birthday")
    column_choices = {
        "gender": Gender.choices(),
        "status": CustomerStatus.choices(),
        "household_stage": HouseholdStage.choices(),
        "housing_type": HousingType.choices(),
        "channel": AcquisitionChannel.choices(),
        "price_tier": PriceTier.choices(),
    }
    column_sortable_list = ("name", "city", "status", "created_at", ("dealer", "dealer.code"))
    column_details_list = ("name", "gender", "mobile", "other_phone", "email", "province", "city", "district",
                           "address", "postal_code", "housing_type", "floor_area", "household_stage",
                           "household_size", "employer", "birthday", "channel", "referred_by", "status", "dealer",
                           "salesperson", "price_tier", "discount_terms", "payment_terms", "notes",
                           "consent_to_contact", "consent_at", "created_at", "updated_at")
    form_columns = ("name", "gender", "birthday", "status", "mobile", "other_phone", "email", "province", "city",
                    "district", "address", "postal_code", "housing_type", "floor_area", "household_stage",
                    "household_size", "employer", "dealer", "salesperson", "channel", "referred_by", "price_tier",
                    "discount_terms", "payment_terms", "consent_to_contact", "notes")
    # Who referred a customer may be another dealer's customer: shown only to those who may see them.
    column_formatters_detail = {"referred_by": lambda view, context, model, name: str(model.referred_by)
                                if access.may_see(signed_in_user(), model.referred_by) else ""}
    form_create_rules = CUSTOMER_FORM_RULES
    form_edit_rules = CUSTOMER_FORM_RULES
    form_choices = column_choices
    form_overrides = {"mobile": PhoneField, "other_phone": PhoneField}
    form_ajax_refs = {
        "dealer": {"fields": ("code", "name"), "page_size": 10},
        "referred_by": {"fields": ("name", "mobile"), "page_size": 10},
    }
    # Search through the customer search index (crm.services.search) ---------------------
    def search_placeholder(self) -> str:
        return _("Name, phone, address, email or postal code")

    def _apply_search(self, query, count_query, joins, count_joins, search):
        query, ordering = customer_search.narrow(query, search)
        if count_query is not None:
            count_query, _ordering = customer_search.narrow(count_query, search)
        if ordering is not None:
            joins[SEARCH_ORDER] = ordering
        return query, count_query, joins, count_joins

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """Newest first within search results comes from the search index itself, which
        then stops after one page instead of sorting every match."""
        ordering = joins.get(SEARCH_ORDER)
        if sort_column is None and ordering is not None:
            return query.order_by(ordering.desc()), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def timeline(self, customer) -> list[TimelineItem]:
        """Everything about the customer this user may see, newest first: a customer who
        bought from two dealers shows each dealer only their own part."""
        user = signed_in_user()
        items = []
        for order in self._visible(user, Order, Order.customer_id == customer.id):
            items.append(TimelineItem(_at(order.ordered_on), "order", order.id, order.order_number,
                                      f"{order.product or ''} × {order.quantity}"))
        for visit in self._visible(user, Visit, Visit.customer_id == customer.id):
            items.append(TimelineItem(visit.happened_at, "visit", visit.id, VisitPurpose.label_for(visit.purpose),
                                      visit.summary or ""))
        for complaint in self._visible(user, Complaint, Complaint.customer_id == customer.id):
            items.append(TimelineItem(complaint.received_at, "complaint", complaint.id, complaint.number,
                                      complaint.description))
        for ticket in self._visible(user, HotlineTicket, HotlineTicket.customer_id == customer.id):
            items.append(TimelineItem(ticket.received_at, "hotline_ticket", ticket.id, ticket.number,
                                      ticket.description))
        for card in self._visible(user, FeedbackCard, FeedbackCard.customer_id == customer.id):
            items.append(TimelineItem(card.submitted_at, "feedback_card", card.id, card.reference,
                                      card.comments or ""))
        return sorted(items, key=lambda item: item.at, reverse=True)

    # Personal data (PIPL): the whole record as a file, and anonymising on request ----------
    def _may_run(self, method: str) -> bool:
        if method in PERSONAL_DATA_METHODS:
            return self.may(PERSONAL_DATA_METHODS[method])
        return super()._may_run(method)

    def personal_data(self, customer) -> PersonalDataSection | None:
        """What the customer's page offers about their personal data, or None for users who may do neither."""
        may_export, may_anonymise = self.may(access.EXPORT_PERSONAL), self.may(access.ANONYMISE)
        if not (may_export or may_anonymise):
            return None
        done = privacy.anonymised_at(customer)
        if done is not None and not privacy.holds_personal_data(customer):
            may_anonymise = False
        counts = privacy.holdings(customer).counts() if may_anonymise else {}
        return PersonalDataSection(
            may_export=may_export, may_anonymise=may_anonymise, anonymised_at=done,
            erased=[self._field_label(name) for name in privacy.CUSTOMER_ERASED],
            kept=[self._field_label(name) for name in privacy.CUSTOMER_KEPT if name != "import_id"],
            linked=[(str(LINKED_LABELS[kind]), count) for kind, count in counts.items()
                    if count and kind in LINKED_LABELS])

    def _field_label(self, name: str) -> str:
        return str(self.column_labels.get(name.removesuffix("_id"), name))

    def _customer_from_form(self):
        return self.get_one(request.values.get("id", ""))  # another dealership's or no customer: 404

    @expose("/personal-data/", methods=("POST",))
    def export_personal_data(self):
        customer = self._customer_from_form()
        try:
            exported = privacy.personal_data_export(customer, signed_in_user())
        except ServiceError as refused:
            flash(str(refused.message), "error")
            return redirect(self.get_url(".details_view", id=customer.id))
        return Response(exported.content, mimetype=exported.mimetype,
                        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'})

    @expose("/anonymise/", methods=("POST",))
    def anonymise(self):
        customer = self._customer_from_form()
        try:
            done = privacy.anonymise_customer(customer, signed_in_user())
        except ServiceError as refused:
            flash(str(refused.message), "error")
        else:
            flash(_("The customer's personal data was erased; they are now %(name)s. Their orders, visits, "
                    "complaints and feedback stay in the figures.", name=done.placeholder), "success")
        return redirect(self.get_url(".details_view", id=customer.id))

    @staticmethod
    def may_create_related(kind: str) -> bool:
        return access.can(signed_in_user(), access.CREATE, kind)

    @staticmethod
    def _visible(user, model, condition) -> list:
        return db.session.scalars(access.scope(select(model).where(condition), model, user)).all()

    def validate_form(self, form) -> bool:
        valid = super().validate_form(form)
        referrer = getattr(form, "referred_by", None)
        editing = request.args.get("id")
        if referrer is not None and referrer.data is not None and editing and str(referrer.data.id) == editing:
            referrer.errors = [*referrer.errors, _("A customer cannot be referred by themselves.")]
            valid = False
        return valid

    form_args = {
        "name": {"validators": [CleanText()]},
        "email": {"validators": [EmailAddress()]},
        "mobile": {"validators": [MobilePhone()], "description": _l("11 digits, for example 13812345678")},
        "other_phone": {"validators": [AnyPhone()], "description": _l("Mobile or landline, such as 020-12345678")},
        "postal_code": {"validators": [PostalCode()]},
        "birthday": {"validators": [NotInFuture()]},
        "floor_area": {"validators": [NonNegative()]},
        "household_size": {"validators": [AtLeastOne()]},
    }
