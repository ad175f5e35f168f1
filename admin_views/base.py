"""The base of every back-office view: access from crm.access, translated labels, sane defaults."""
from flask import abort, flash, has_request_context, redirect, request, url_for
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from admin_views import formatters
from admin_views.labels import FIELD_LABELS
from crm import access
from crm.services import records

DATE_FIELDS = ("joined_on", "ordered_on", "delivered_on", "installed_on", "birthday",
               "purchase_date", "next_follow_up_on")
TIME_FIELDS = ("created_at", "updated_at", "happened_at", "received_at", "first_response_at",
               "resolved_at", "submitted_at", "consent_at", "last_login_at")


def _current_user():
    return current_user if has_request_context() else None


def deny_or_login():
    """Anonymous visitors go to the login page; a logged-in user without the right gets 403."""
    user = _current_user()
    if user is None or not user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


class BackOfficeIndexView(AdminIndexView):
    def is_accessible(self) -> bool:
        return access.may_open_back_office(_current_user())

    def inaccessible_callback(self, name, **kwargs):
        return deny_or_login()


class BackOfficeModelView(ModelView):
    """Every capability asks crm.access; `record_kind` names the records for the rules."""

    record_kind: str = ""
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100)
    column_display_pk = False
    column_default_sort = ("id", True)  # newest first
    column_labels = FIELD_LABELS
    form_excluded_columns = ("created_at", "updated_at")
    column_details_exclude_list = ()

    def __init__(self, model, session, **kwargs):
        self.column_formatters = {**self._default_formatters(model), **dict(self.column_formatters or {})}
        self.form_args = self._with_blank_text(dict(self.form_args or {}))
        super().__init__(model, session, **kwargs)

    def _with_blank_text(self, form_args: dict) -> dict:
        """Optional choice fields say "Not set" rather than showing an empty, unnamed control."""
        for name in self.form_choices or {}:
            form_args[name] = {"blank_text": _l("Not set"), **form_args.get(name, {})}
        return form_args

    @staticmethod
    def _default_formatters(model) -> dict:
        formatters_by_name = {}
        for name in DATE_FIELDS:
            if hasattr(model, name):
                formatters_by_name[name] = formatters.day
        for name in TIME_FIELDS:
            if hasattr(model, name):
                formatters_by_name[name] = formatters.moment
        for name in ("mobile", "other_phone", "phone"):
            if hasattr(model, name):
                formatters_by_name[name] = formatters.phone
        if hasattr(model, "amount"):
            formatters_by_name["amount"] = formatters.money
        return formatters_by_name

    # Access -------------------------------------------------------------------------
    def _may(self, action: str) -> bool:
        return access.can(_current_user(), action, self.record_kind or self.endpoint)

    def is_accessible(self) -> bool:
        return self._may("list")

    def inaccessible_callback(self, name, **kwargs):
        return deny_or_login()

    @property
    def can_create(self) -> bool:
        return self._may("create")

    @property
    def can_edit(self) -> bool:
        return self._may("edit")

    @property
    def can_delete(self) -> bool:
        return self._may("delete")

    # Saving -------------------------------------------------------------------------
    def on_model_change(self, form, model, is_created):
        records.prepare(model)

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, IntegrityError):
            flash(self._integrity_message(exc), "error")
            return True
        return super().handle_view_exception(exc)

    @staticmethod
    def _integrity_message(exc: IntegrityError) -> str:
        text = str(exc.orig).lower()
        if "unique" in text or "duplicate" in text:
            return _("This record was not saved: a value that must be unique is already in use.")
        return _(
            "This record is still referred to by other records (for example orders or "
            "complaints), so it cannot be deleted. Mark it inactive instead."
        )
