"""The base of every back-office view. Access comes from crm.access on every path
Flask-Admin offers: one `_scoped()` narrows list, count, search, filters, details, edit,
delete, bulk actions, export and relationship lookups to the rows the user may see."""
import logging

from flask import Response, abort, flash, redirect, request, stream_with_context
from flask_admin import AdminIndexView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.babel import ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import rules
from flask_admin.model.fields import AjaxSelectField
from wtforms import SelectField
from wtforms.validators import DataRequired, InputRequired, Optional
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.utils import secure_filename

from admin_views import edit_conflicts, exporting, formatters, listing, storable
from admin_views.scoping import ScopedAjaxLoader, deny_or_login, find_in_scope, record_key, signed_in_user
from admin_views.labels import FIELD_LABELS
from forms.base import refuse_control_characters
from crm import access, failures
from crm.extensions import db
from crm.models import AuditEntry
from crm.services import records, spreadsheets, versions
from crm.services.errors import ServiceError

DATE_FIELDS = ("joined_on", "ordered_on", "delivered_on", "installed_on", "birthday",
               "purchase_date", "next_follow_up_on")
TIME_FIELDS = ("created_at", "updated_at", "happened_at", "received_at", "first_response_at",
               "resolved_at", "submitted_at", "consent_at", "last_login_at", "at", "first_response_due_at",
               "resolution_due_at", "escalated_at", "closed_at")
# Flask-Admin's view methods and the action each needs.
ACTION_OF_METHOD = {
    "index_view": access.LIST, "details_view": access.VIEW, "create_view": access.CREATE,
    "edit_view": access.EDIT, "delete_view": access.DELETE, "export": access.EXPORT,
    "ajax_update": access.EDIT, "add_note": access.RESPOND, "link_customer": access.LINK,
    "print_cards": access.VIEW, "make_complaint": access.EDIT, "case_step": access.RESPOND,
    "my_queue": access.LIST, "repeating": access.LIST, "upload": access.CREATE, "commit": access.EDIT,
    "undo": access.EDIT, "template_csv": access.LIST, "template_xlsx": access.LIST,
}
log = logging.getLogger(__name__)


def _attachment(chunks, mimetype: str, filename: str) -> Response:
    return Response(stream_with_context(chunks), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{secure_filename(filename)}"'})


def _honour_optional(form):
    """Flask-Admin adds InputRequired to every NOT NULL column, even when form_args makes the
    field Optional because the server fills it in (a visit's time, say): the browser then
    refuses to submit the empty field. Optional wins."""
    for field in form:
        if any(isinstance(check, Optional) for check in field.validators):
            field.validators = [check for check in field.validators
                                if not isinstance(check, (InputRequired, DataRequired))]
            field.flags.required = False
    return form


class OptionalField(rules.Field):
    """A form rule that renders nothing when the user's form lacks the field."""

    def __call__(self, form, form_opts=None, field_args=None):
        if getattr(form, self.field_name, None) is None:  # WTForms leaves None where a field was removed
            return ""
        return super().__call__(form, form_opts, field_args)


def field_set(names, header):
    return rules.FieldSet([OptionalField(name) for name in names], header)


class BackOfficeIndexView(AdminIndexView):
    def is_accessible(self) -> bool:
        return access.may_open_back_office(signed_in_user())

    def inaccessible_callback(self, name, **kwargs):
        return deny_or_login()


class BackOfficeModelView(listing.ListPageMixin, ModelView):
    """Every capability asks crm.access; `record_kind` names the records for its rules."""

    record_kind: str = ""
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100)
    column_display_pk = False
    column_default_sort = ("id", True)  # newest first
    column_labels = FIELD_LABELS
    form_excluded_columns = ("created_at", "updated_at")
    details_template = "admin/lifelong_details.html"
    list_template = "admin/lifelong_list.html"
    create_template = "admin/lifelong_create.html"
    edit_template = "admin/lifelong_edit.html"
    export_types = ["csv", "xlsx"]

    def __init__(self, model, session, **kwargs):
        self.column_formatters = {**self._default_formatters(model), **dict(self.column_formatters or {})}
        self.form_args = self._with_blank_text(dict(self.form_args or {}))
        self.form_ajax_refs = self._scoped_lookups(model, dict(self.form_ajax_refs or {}))
        super().__init__(model, session, **kwargs)

    def _with_blank_text(self, form_args: dict) -> dict:
        """Optional choice fields say "Not set" rather than showing an empty, unnamed control."""
        for name in self.form_choices or {}:
            form_args[name] = {"blank_text": _l("Not set"), **form_args.get(name, {})}
        return form_args

    @staticmethod
    def _scoped_lookups(model, refs: dict) -> dict:
        loaders = {}
        for name, options in refs.items():
            target = model.__mapper__.relationships[name].mapper.class_
            loaders[name] = ScopedAjaxLoader(name, db.session, target, **options)
        return loaders

    @staticmethod
    def _default_formatters(model) -> dict:
        by_name = {}
        for name in DATE_FIELDS:
            if hasattr(model, name):
                by_name[name] = formatters.day
        for name in TIME_FIELDS:
            if hasattr(model, name):
                by_name[name] = formatters.moment
        for name in ("mobile", "other_phone", "phone"):
            if hasattr(model, name):
                by_name[name] = formatters.phone
        if hasattr(model, "amount"):
            by_name["amount"] = formatters.money
        if "customer" in sa_inspect(model).relationships:
            by_name["customer"] = formatters.customer  # its number masked as in the customer list
        return by_name

    # Access -------------------------------------------------------------------------
    def may(self, action: str) -> bool:
        return access.can(signed_in_user(), action, self.record_kind or self.endpoint)

    def is_accessible(self) -> bool:
        return self.may(access.LIST)

    def inaccessible_callback(self, name, **kwargs):
        return deny_or_login()

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if not self._may_run(name):
            abort(403)
        if not request.values.get("url", "").isprintable():
            abort(400)  # the page to go back to: Flask-Admin would put a line break in a Location header
        return None

    def _may_run(self, method: str) -> bool:
        if method in ACTION_OF_METHOD:
            return self.may(ACTION_OF_METHOD[method])
        if method == "ajax_lookup":
            return self.may(access.CREATE) or self.may(access.EDIT) or self.may(access.LINK)
        if method == "action_view":
            return self.is_action_allowed(request.form.get("action", ""))
        return True

    @property
    def can_create(self) -> bool:
        return self.may(access.CREATE)

    @property
    def can_edit(self) -> bool:
        return self.may(access.EDIT)

    @property
    def can_delete(self) -> bool:
        return self.may(access.DELETE)

    @property
    def can_export(self) -> bool:
        return self.may(access.EXPORT)

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete":
            return self.can_delete
        return super().is_action_allowed(name)

    # Scoping: every query Flask-Admin makes goes through here -------------------------
    def _scoped(self, query):
        return access.scope(query, self.model, signed_in_user())

    def get_query(self):
        return self._scoped(super().get_query())

    def sees_every_row(self) -> bool:
        """Whether the user's scope is the whole table (the list may then count by blocks)."""
        return access.sees_every_row(signed_in_user(), self.model)

    def get_one(self, id):
        """A row outside the user's scope answers 404, exactly like a row that does not exist."""
        record = find_in_scope(self.get_query(), self.model, id)
        if record is None:
            abort(404)
        return record

    # Forms: only the fields this user may set ----------------------------------------
    def create_form(self, obj=None):
        form = self._limit_fields(super().create_form(obj))
        if request.method == "GET":
            self._prefill_relations(form)
        return form

    @staticmethod
    def _prefill_relations(form) -> None:
        """`?customer=12&purpose=maintenance` on a new-record page preselects that customer
        (if the user may see it) and that choice (if it is one of the field's choices)."""
        for field in form:
            wanted = request.args.get(field.name)
            if not wanted:
                continue
            if isinstance(field, AjaxSelectField):
                field.data = field.loader.get_one(wanted)
            elif isinstance(field, SelectField) and wanted in {str(choice[0]) for choice in field.choices or ()}:
                field.data = wanted

    def edit_form(self, obj=None):
        return self._limit_fields(super().edit_form(obj))

    def _limit_fields(self, form):
        names = [field.name for field in form if field.name not in ("csrf_token", "version")]
        allowed = access.settable_fields(signed_in_user(), self.record_kind, names)
        for name in names:
            if name not in allowed:
                del form[name]
        return _honour_optional(form)

    def validate_form(self, form) -> bool:
        """Flask-Admin quietly empties an optional relationship whose id it cannot find; a
        forged or foreign id must be refused instead; and a value the database could not store
        is refused next to its field (admin_views/storable.py)."""
        if not refuse_control_characters(form):  # before validators that look values up (uniqueness)
            return False
        valid = super().validate_form(form)
        valid = storable.refuse_oversized_numbers(form, self.model) and valid
        for field in form:  # Flask-Admin's template drops a lazily translated message without a word
            if isinstance(field.errors, list):
                field.errors = [str(error) for error in field.errors]
        for field in form:
            if isinstance(field, AjaxSelectField) and getattr(field, "_formdata", None) and field.data is None:
                field.errors = [*field.errors, _("This record does not exist or is not yours to use; "
                                                 "pick one from the list.")]
                valid = False
        return valid

    # Saving -------------------------------------------------------------------------
    def get_edit_form(self):
        form_class = super().get_edit_form()
        if not versions.is_versioned(self.model):
            return form_class
        self.form_edit_rules = edit_conflicts.edit_rules_with_version(self.form_edit_rules or self.form_rules)
        return edit_conflicts.with_version(form_class)

    def update_model(self, form, model) -> bool:
        if versions.is_versioned(self.model) and edit_conflicts.refuse_stale_save(form, model):
            return False
        return super().update_model(form, model)

    def on_model_change(self, form, model, is_created):
        records.prepare(model, owner_dealer_id=access.dealer_for_new_records(signed_in_user()))

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids) -> None:
        """Flask-Admin's bulk delete, with two differences: the ids are read as keys
        (record_key; SQLAlchemy bound the form's text ids as text, and PostgreSQL has no
        `integer = varchar`), and a failure shows only handle_view_exception's message, where
        Flask-Admin added one with the database's own error text."""
        keys = [key for key in map(record_key, ids) if key is not None]
        records = self.get_query().filter(sa_inspect(self.model).primary_key[0].in_(keys)).all() if keys else []
        deleted = sum(bool(self.delete_model(record)) for record in records)
        if deleted:
            flash(admin_ngettext("Record was successfully deleted.",
                                 "%(count)s records were successfully deleted.", deleted, count=deleted), "success")

    def handle_view_exception(self, exc: Exception) -> bool:
        """Say what went wrong in the user's language, never the database's own text. The
        session is rolled back first: the message's language is read from the user's row."""
        db.session.rollback()
        if isinstance(exc, ServiceError):
            flash(str(exc.message), "error")
        elif isinstance(exc, StaleDataError):
            flash(_("Someone saved this record at the same moment. Nothing of yours has been saved yet: save "
                    "again to see what they changed."), "error")
        elif isinstance(exc, IntegrityError):
            log.info("Refused by the database: %s", exc.orig)
            flash(self._integrity_message(exc), "error")
        else:
            reference = failures.log_failure(exc)
            flash(_("Nothing was saved because of an unexpected error. Please try again; if it happens again, "
                    "tell support this reference: %(reference)s", reference=reference), "error")
        return True

    @staticmethod
    def _integrity_message(exc: IntegrityError) -> str:
        text = str(exc.orig).lower()
        if "unique" in text or "duplicate" in text:
            return _("This record was not saved: a value that must be unique is already in use.")
        if "foreign key" in text and request.endpoint and request.endpoint.endswith(("delete_view", "action_view")):
            return _(
                "This record is still referred to by other records (for example orders or "
                "complaints), so it cannot be deleted. Mark it inactive instead."
            )
        return _("This record was not saved: it refers to a record that does not exist or is missing a "
                 "required value.")

    # Export and history ---------------------------------------------------------------
    def _export_queries(self):
        """The list's query as the user sees it (scope, search, filters, sort) and its count query."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        return self._list_queries(sort[0] if sort else None, args.sort_desc, args.search, args.filters)

    def _export_count(self) -> int:
        """How many rows an export would have, exact only up to what a spreadsheet holds
        (it decides whether XLSX is possible)."""
        _query, count_query = self._export_queries()
        return int(listing.capped_count(db.session, count_query, spreadsheets.XLSX_MAX_ROWS))

    def _export_rows(self):
        """The rows of the list as a stream (a million rows must not be loaded at once); runs
        while the response streams. The query is built here, in the streaming context's own
        session: a query made in the view would keep the view's session, and its connection,
        open after the request has ended. Nothing is counted: a CSV has no size limit."""
        query, _count_query = self._export_queries()
        return exporting.rows(self, query, [name for name, _title in self._export_columns])

    def _export_csv(self, return_url):
        titles = [str(title) for _name, title in self._export_columns]
        return _attachment(spreadsheets.csv_stream(titles, self._export_rows()), "text/csv",
                           self.get_export_name("csv"))

    def _export_tablib(self, export_type, return_url):
        count = self._export_count()
        if count >= spreadsheets.XLSX_MAX_ROWS:
            flash(_("%(n)s rows are more than a spreadsheet holds; export them as CSV or narrow the list with "
                    "filters.", n=f"{count:,}"), "error")
            return redirect(return_url)
        titles = [str(title) for _name, title in self._export_columns]
        return _attachment(spreadsheets.xlsx_stream(titles, self._export_rows()), spreadsheets.XLSX_MIMETYPE,
                           self.get_export_name("xlsx"))

    def history(self, record) -> list[AuditEntry]:
        """The record's audit entries, newest first, for those who may read the trail."""
        if not access.can(signed_in_user(), access.LIST, "audit"):
            return []
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.record_type == self.model.__table__.name,
                                     AuditEntry.record_id == record.id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(100)
        ).all()
