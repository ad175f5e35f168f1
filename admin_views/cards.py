"""Printing feedback cards: batches per dealer and product, each card with its own QR code."""
import segno
from flask import current_app, flash, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.validators import NumberRange

from admin_views.base import BackOfficeModelView
from admin_views.labels import FIELD_LABELS
from admin_views.dealer_filters import dealer_filters
from crm.services import intake
from crm.services.errors import ServiceError
from crm.models import CardBatch
from forms.validators import Required


class CardBatchView(BackOfficeModelView):
    record_kind = "card_batch"
    details_template = "admin/card_batch_details.html"
    column_list = ("code", "dealer", "product", "size", "opened", "answered", "created_at", "created_by")
    column_labels = {**FIELD_LABELS, "opened": _l("Cards opened"), "answered": _l("Cards answered")}
    column_searchable_list = ("code",)
    column_filters = (*dealer_filters(CardBatch), "product.model_number", "created_at")
    column_sortable_list = ("code", "size", "created_at")
    form_columns = ("dealer", "product", "size")
    form_ajax_refs = {"dealer": {"fields": ("code", "name"), "page_size": 10},
                      "product": {"fields": ("model_number", "name"), "page_size": 10}}
    form_args = {
        # Required, not WTForms' InputRequired: a lazy message of the latter never reached the page.
        "dealer": {"validators": [Required(message=_l("Choose the dealer whose cards these are."))]},
        "size": {"validators": [NumberRange(1, intake.MAX_BATCH_SIZE, message=_l("Print between 1 and 500 cards."))],
                 "default": 40, "description": _l("Eight cards fit on one A4 sheet.")},
    }

    def create_model(self, form):
        try:
            return intake.create_batch(form.dealer.data, form.product.data, form.size.data, current_user)
        except ServiceError as error:
            flash(str(error.message), "error")
            return False

    @expose("/print/")
    def print_cards(self):
        batch = self.get_one(request.args.get("id", ""))
        cards = [{"serial": serial, "qr": self._qr_svg(batch, serial)} for serial in range(1, batch.size + 1)]
        return self.render("admin/card_print.html", batch=batch, cards=cards)

    @staticmethod
    def _qr_svg(batch, serial: int) -> str:
        base = current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")
        link = base + url_for("intake.feedback", t=intake.card_token(batch, serial))
        return segno.make(link, error="m").svg_inline(scale=3, title=_("Feedback card QR code"))
