"""Back-office logins, managed by administrators."""
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from admin_views.base import BackOfficeModelView
from admin_views.dealer_filters import dealer_filters
from crm.i18n import LANGUAGE_NAMES
from crm.models.choices import Role
from crm.services import users as user_service
from crm.models import User
from forms.validators import CleanText


class UserView(BackOfficeModelView):
    record_kind = "user"
    column_list = ("username", "role", "dealer", "active", "language", "last_login_at", "created_at")
    column_searchable_list = ("username",)
    column_filters = ("role", "active", *dealer_filters(User), "last_login_at")
    column_choices = {"role": Role.choices(), "language": list(LANGUAGE_NAMES.items())}
    column_details_exclude_list = ("password_hash",)
    form_columns = ("username", "role", "dealer", "active", "language", "password")
    form_choices = column_choices
    form_extra_fields = {
        "password": PasswordField(
            _l("New password"),
            validators=[Optional(), Length(min=user_service.MIN_PASSWORD_LENGTH,
                                           message=_l("Use at least 8 characters."))],
            description=_l("Required for a new user. Leave empty to keep the current password."),
            render_kw={"autocomplete": "new-password"},
        )
    }
    form_ajax_refs = {"dealer": {"fields": ("code", "name"), "page_size": 10}}
    form_args = {"username": {"validators": [CleanText()]}}

    def validate_form(self, form) -> bool:
        valid = super().validate_form(form)
        if not hasattr(form, "role"):
            return valid  # the delete form has no fields to check
        dealer_error = user_service.dealer_rule_error(form.role.data, form.dealer.data)
        if dealer_error:
            form.dealer.errors = [*form.dealer.errors, dealer_error]
            valid = False
        if not form.password.data and self._is_create_request():
            form.password.errors = [*form.password.errors, _("Set a password for the new user.")]
            valid = False
        return valid

    def _is_create_request(self) -> bool:
        return request.endpoint == f"{self.endpoint}.create_view"

    def on_model_change(self, form, model, is_created):
        user_service.apply_admin_changes(model, form.password.data)
        super().on_model_change(form, model, is_created)
