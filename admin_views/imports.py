"""Order imports in the back office: the template, the upload with a preview, importing
all or nothing, undoing an import. Long files report their progress while they are read."""
import csv
import io
import logging
import shutil
import tempfile

from flask import Response, current_app, flash, redirect, request, stream_with_context
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from admin_views.base import BackOfficeModelView
from admin_views.scoping import dealer_with_code, signed_in_user
from admin_views.labels import FIELD_LABELS
from admin_views.dealer_filters import dealer_filters
from admin_views.listing import has_control_characters
from crm import access
from crm.models.choices import ImportOutcome, ImportStatus
from crm.services import imports, order_sheet
from crm.services.errors import ServiceError
from crm.models import OrderImport

PROGRESS_MARK = "<!--progress-->"
log = logging.getLogger(__name__)
PER_PAGE = 50
PROGRESS_EVERY = 5000  # rows between two progress lines


class OrderImportView(BackOfficeModelView):
    record_kind = "order_import"
    details_template = "admin/import_details.html"
    list_template = "admin/import_list.html"
    column_details_list = ("created_at", "dealer", "created_by", "filename", "status", "total_rows", "new_rows",
                           "existing_rows", "already_imported_rows", "error_rows", "orders_created",
                           "customers_created", "committed_at", "undone_at")
    can_edit = can_delete = False
    form_columns = ("filename",)  # never shown: imports come from the upload page
    column_list = ("created_at", "dealer", "filename", "status", "total_rows", "new_rows", "existing_rows",
                   "already_imported_rows", "error_rows", "orders_created", "created_by")
    column_labels = {**FIELD_LABELS, "filename": _l("File"), "total_rows": _l("Rows"),
                     "new_rows": _l("Orders of new customers"), "existing_rows": _l("Orders of existing customers"),
                     "already_imported_rows": _l("Already imported"), "error_rows": _l("Rows with errors"),
                     "orders_created": _l("Orders imported"), "customers_created": _l("Customers created"),
                     "committed_at": _l("Imported at"), "undone_at": _l("Undone at")}
    column_filters = ("status", "created_at", *dealer_filters(OrderImport))
    column_choices = {"status": ImportStatus.choices()}
    column_sortable_list = ("created_at", "filename", "status", "total_rows")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("filename",)

    @property
    def can_create(self) -> bool:  # the upload page, not Flask-Admin's form
        return False

    def _may_run(self, method: str) -> bool:
        # Imports are made by uploading a file and change only by importing or undoing them.
        if method in ("create_view", "edit_view", "delete_view", "action_view", "ajax_update"):
            return False
        return super()._may_run(method)

    # The template ------------------------------------------------------------------------
    @expose("/template.csv")
    def template_csv(self):
        buffer = io.StringIO()
        csv.writer(buffer).writerow(order_sheet.template_headers())
        return _download("\ufeff" + buffer.getvalue(), "text/csv", "order-import-template.csv")

    @expose("/template.xlsx")
    def template_xlsx(self):
        return _download(_template_workbook(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "order-import-template.xlsx")

    # Upload and preview ----------------------------------------------------------------------
    @expose("/upload/", methods=("GET", "POST"))
    def upload(self):
        if request.method == "GET":
            return self._upload_form()
        dealer, error = self._chosen_dealer()
        error_field = "dealer" if error else "file"
        file = request.files.get("file")
        if error is None and (file is None or not file.filename):
            error = _("Choose the file to import.")
        upload = None
        if error is None:
            # Our own copy: the request's upload is closed when the view returns, and the
            # rows are read while the page streams.
            copy = tempfile.TemporaryFile()
            shutil.copyfileobj(file.stream, copy)
            try:
                upload = imports.open_upload(copy)
            except ServiceError as refused:
                copy.close()
                error = str(refused.message)
        if error is not None:
            return self._upload_form(error, error_field), 400
        return self._progress_page(
            _("Reading %(name)s", name=file.filename),
            imports.staging(upload, file.filename, dealer.id, current_user, current_app.config["DEFAULT_PHONE_REGION"]),
            _("%(n)s rows read"),
            lambda batch: (self.get_url(".details_view", id=batch.id), _("See the preview")))

    def _upload_form(self, error: str | None = None, error_field: str | None = None):
        return self.render("admin/import_upload.html", error=error, error_field=error_field, picks_dealer=not access.is_dealer(signed_in_user()),
                           dealer_code=request.form.get("dealer", "")[:32], max_rows=imports.MAX_ROWS,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024), columns=order_sheet.COLUMNS)

    def _chosen_dealer(self):
        user = signed_in_user()
        if access.is_dealer(user):
            return user.dealer, None
        code = request.form.get("dealer", "").strip().upper()[:32]
        if not code:
            return None, _("Enter the code of the dealer whose orders these are.")
        # No code holds control characters, and PostgreSQL refuses NUL in a query.
        found = None if has_control_characters(code) else dealer_with_code(code)
        return found, None if found else _("No dealer has the code %(code)s.", code=code)

    def preview_rows(self, batch):
        outcome = request.args.get("outcome")
        outcome = outcome if outcome in ImportOutcome.codes() else None
        page = min(max(0, request.args.get("page", 0, type=int)), 100_000)
        rows = imports.preview_rows(batch, outcome, page, PER_PAGE + 1)
        return outcome, page, rows[:PER_PAGE], len(rows) > PER_PAGE

    @staticmethod
    def describe(problem: dict) -> str:
        return order_sheet.describe(problem)

    @staticmethod
    def column_header(key: str) -> str:
        return order_sheet.COLUMN_BY_KEY[key].header

    # Import and undo --------------------------------------------------------------------------
    @expose("/commit/", methods=("POST",))
    def commit(self):
        batch = self.get_one(request.args.get("id", ""))
        skip = request.form.get("skip_errors") == "y"
        try:
            imports.check_committable(batch, skip)
        except ServiceError as refused:
            flash(str(refused.message), "error")
            return redirect(self.get_url(".details_view", id=batch.id))
        return self._progress_page(
            _("Importing %(name)s", name=batch.filename),
            imports.committing(batch, current_user, skip),
            _("%(n)s orders written (they count only when all are written)"),
            lambda done: (self.get_url(".details_view", id=done.id),
                          _("Imported %(orders)d orders and %(customers)d new customers.",
                            orders=done.orders_created, customers=done.customers_created)))

    @expose("/undo/", methods=("POST",))
    def undo(self):
        batch = self.get_one(request.args.get("id", ""))
        try:
            orders, customers, kept = imports.undo(batch, current_user)
        except ServiceError as refused:
            flash(str(refused.message), "error")
        else:
            message = _("Undone: %(orders)d orders and %(customers)d customers removed.", orders=orders,
                        customers=customers)
            if kept:
                message += " " + _("%(n)d customers stay because other records now refer to them.", n=kept)
            flash(message, "success")
        return redirect(self.get_url(".details_view", id=batch.id))

    # A page that reports progress while a long step runs ------------------------------------
    def _progress_page(self, title: str, steps, step_text: str, finished):
        """Streams the page: a line of progress as the job goes, then a link to the result."""
        head, tail = self.render("admin/import_progress.html", title=title).split(PROGRESS_MARK)

        def lines():
            yield head
            try:
                while True:
                    try:
                        count = next(steps)
                    except StopIteration as done:
                        result = done.value
                        break
                    if count % PROGRESS_EVERY < imports.CHUNK:
                        yield _line(Markup("<li>{}</li>").format(step_text % {"n": f"{count:,}"}))
            except Exception as failure:  # the page has begun: say so on it, not on an error page
                if isinstance(failure, ServiceError):
                    message = failure.message
                else:
                    log.exception("Import step failed")
                    message = _("Nothing was imported because of an unexpected error. Please try again.")
                yield _line(Markup('</ol><p class="alert alert-danger" role="alert">{}</p><p><a href="{}">{}</a></p>')
                            .format(message, self.get_url(".upload"), _("Upload a file again")))
                yield tail
                return
            link, text = finished(result)
            yield _line(Markup('</ol><p class="alert alert-success" role="status">{1}</p><p><a class="btn '
                               'btn-primary" href="{0}">{2}</a></p>').format(link, text, _("Continue")))
            yield tail

        return Response(stream_with_context(lines()), mimetype="text/html")


def _line(html) -> str:
    return str(html) + "\n"


def _download(body, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _template_workbook() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "订单 Orders"
    sheet.append(order_sheet.template_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(order_sheet.COLUMNS, 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(14, len(column.header) + 4)
    guide = workbook.create_sheet("说明 Instructions")
    guide.append([_("Column"), _("Required"), _("Example")])
    for column, example in zip(order_sheet.COLUMNS, order_sheet.template_example()):
        guide.append([column.header, _("Yes") if column.required else "", example])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

