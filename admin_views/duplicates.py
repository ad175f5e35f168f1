"""Duplicate customers for clerks: likely pairs, a side-by-side preview, a one-step merge."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _

from admin_views.base import deny_or_login, find_in_scope, signed_in_user
from admin_views.labels import FIELD_LABELS
from crm import access
from crm.extensions import db
from crm.models import Customer
from crm.services import duplicates
from crm.services.errors import ServiceError


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
        return self.render("admin/duplicate_compare.html", plan=plan, labels_of=FIELD_LABELS)

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
