"""Duplicate customers for clerks: likely pairs, a side-by-side preview, a one-step merge."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _

from admin_views.scoping import deny_or_login, find_in_scope, signed_in_user
from admin_views.labels import FIELD_LABELS
from crm import access
from crm.extensions import db
from crm.models import Customer, Dealer
from crm.models.choices import AcquisitionChannel, CustomerStatus, Gender, HouseholdStage, HousingType, PriceTier
from crm.services import duplicates
from crm.services.errors import ServiceError


CODED = {"gender": Gender, "housing_type": HousingType, "household_stage": HouseholdStage,
         "channel": AcquisitionChannel, "status": CustomerStatus, "price_tier": PriceTier}


def _field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name.removesuffix("_id"), FIELD_LABELS.get(name, name)))


def _shown(name: str, value) -> str:
    """A value as the customer page shows it: labels for codes, names for related records."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in CODED:
        return str(CODED[name].label_for(value))
    if name in ("dealer_id", "referred_by_id"):
        record = db.session.get(Dealer if name == "dealer_id" else Customer, value)
        return str(record) if record else ""
    return str(value)


class DuplicatesView(BaseView):
    """Merging deletes a customer record, so it needs the right to delete customers."""

    def is_accessible(self) -> bool:
        return access.can(signed_in_user(), access.DELETE, "customer")

    def inaccessible_callback(self, name, **kwargs):
        return deny_or_login()

    @expose("/")
    def index(self):
        return self.render("admin/duplicates.html", pairs=duplicates.likely_duplicates(signed_in_user()),
                           reasons=duplicates.REASONS)

    @expose("/compare/")
    def compare(self):
        keep, other = self._pair()
        try:
            plan = duplicates.preview(keep, other)
        except ServiceError as refused:
            flash(str(refused.message), "error")
            return redirect(url_for(".index"))
        return self.render("admin/duplicate_compare.html", plan=plan, label=_field_label, shown=_shown)

    @expose("/merge/", methods=("POST",))
    def merge(self):
        keep, other = self._pair()
        name = other.name
        try:
            duplicates.merge(keep, other)
        except ServiceError as refused:
            flash(str(refused.message), "error")
            return redirect(url_for(".index"))
        flash(_("%(other)s was merged into %(keep)s.", other=name, keep=keep.name), "success")
        return redirect(url_for("customer.details_view", id=keep.id))

    def _pair(self) -> tuple[Customer, Customer]:
        found = []
        for key in ("keep", "other"):
            customer = find_in_scope(access.scope(db.session.query(Customer), Customer, signed_in_user()), Customer,
                                     request.values.get(key, ""))
            if customer is None:
                abort(404)
            found.append(customer)
        return found[0], found[1]
