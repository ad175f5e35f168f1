"""Responses and progress notes on complaints and tickets, added from their details page."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from crm.services import cases
from crm.services.errors import ServiceError


class CaseNotesMixin:
    """For a view whose records have `notes`; needs the "respond" permission (see crm.access)."""

    details_template = "admin/case_details.html"

    @expose("/note/", methods=("POST",))
    def add_note(self):
        case = self.get_one(request.args.get("id", ""))
        try:
            cases.add_note(case, current_user, request.form.get("kind", ""), request.form.get("body", ""))
        except ServiceError as error:
            flash(str(error.message), "error")
            return redirect(self.get_url(".details_view", id=case.id, draft=request.form.get("body", "")[:2000]))
        flash(_("Saved."), "success")
        return redirect(self.get_url(".details_view", id=case.id))
