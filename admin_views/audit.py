"""The audit trail, read-only, for administrators."""
from flask_babel import lazy_gettext as _l

from admin_views.base import BackOfficeModelView
from crm.models.choices import AuditAction

AUDIT_LABELS = {
    "at": _l("When"), "actor": _l("Who"), "address": _l("Address (IP)"), "action": _l("What"),
    "record_type": _l("Record type"), "record_id": _l("Record number"), "record_label": _l("Record"),
    "changes": _l("Changes"),
}


def _changes(_view, _context, model, _name):
    return "; ".join(f"{field}: {before} → {after}" for field, (before, after) in model.shown_changes().items())


class AuditView(BackOfficeModelView):
    record_kind = "audit"
    column_list = ("at", "actor", "address", "action", "record_type", "record_id", "record_label")
    column_details_list = ("at", "actor", "address", "action", "record_type", "record_id", "record_label", "changes")
    column_labels = AUDIT_LABELS
    column_searchable_list = ("actor", "record_label")
    column_filters = ("actor", "record_type", "record_id", "action", "at")
    column_choices = {"action": AuditAction.choices()}
    column_formatters_detail = {"changes": _changes}
    column_default_sort = ("id", True)
