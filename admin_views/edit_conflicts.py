"""The back office's side of edit conflicts (crm.services.versions).

An edit form carries the version of the record it was filled from. A save from an older
version is refused: the fields others changed meanwhile are marked, what the user typed
is kept, and the form moves to the stored version, so that saving again applies it.
A field the user left alone takes the newly saved value (saving again must not undo it);
a field both changed keeps the user's entry, marked, for them to decide.
"""
from flask import flash
from flask_admin.form import rules
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import inspect
from wtforms import HiddenField

from crm.services import audit, privacy, versions


class ShownVersionField(HiddenField):
    """The version the form was filled from: compared on save, never written to the
    record (the mapper raises the version itself)."""

    def process(self, formdata, *args, **kwargs):
        super().process(formdata, *args, **kwargs)
        if formdata is not None and self.name not in formdata:
            self.data = None  # a submitted form without it shows no version, whatever is stored

    def populate_obj(self, obj, name):
        pass


class KeepVersion(rules.BaseRule):
    """Keeps the version on forms laid out by rules, from which Flask-Admin removes every
    field a rule does not name. Draws nothing: hidden fields are drawn before the rules."""

    visible_fields = ["version"]

    def __call__(self, form, form_opts=None, field_args=None):
        return ""


def with_version(form_class):
    """The edit form class with the version it shows."""
    return type(form_class.__name__, (form_class,), {"version": ShownVersionField()})


def edit_rules_with_version(edit_rules):
    """An edit form's rules, if it has any, naming the version too."""
    return (*edit_rules, KeepVersion()) if edit_rules else edit_rules


def refuse_stale_save(form, record) -> bool:
    """True, with the form marked and a message flashed, when the form is older than the
    stored record; False when it may be saved."""
    version_field = getattr(form, "version", None)
    shown = versions.shown_version(version_field.data if version_field is not None else None)
    if not versions.is_stale(record, shown):
        return False
    saves = versions.saves_since(record, shown)
    for save in saves:
        _mark(form, record, save)
    if version_field is not None:
        version_field.data = record.version
    flash(_summary(saves), "error")
    return True


def _summary(saves) -> str:
    if not saves:
        return _("Someone saved this record after you opened it. Nothing of yours has been saved yet: check "
                 "the form, then save again to apply your changes.")
    latest = max(saves, key=lambda save: save.at)
    names = "、".join(sorted({save.actor for save in saves}))
    return _("%(names)s saved this record after you opened it (last at %(time)s). Nothing of yours has been "
             "saved yet: the fields they changed are marked below. Check them, then save again to apply your "
             "changes.", names=names, time=latest.at.strftime("%H:%M"))


def _mark(form, record, save) -> None:
    relationship = _relationship_for(record, save.field)
    field = getattr(form, relationship.key if relationship else save.field, None)
    if field is None:
        return  # not on this form: the summary names who saved
    stored = getattr(record, relationship.key if relationship else save.field)
    # A value erased by anonymisation (crm.services.privacy) stands as *** in the trail: the
    # form still holds the personal data, which saving again must not bring back.
    if _same(_entered(field, relationship), save.shown) or save.shown == privacy.REMOVED:
        field.data, field.raw_data = stored, None  # untouched by the user: saving again keeps theirs
        # Escaped here: Flask-Admin draws a field's description unescaped (`|safe`, lib.html's
        # render_field), and the name is a username anyone with the right to add users typed:
        # one like <img src=x onerror=...> became markup on this page (tests/e2e/test_stored_xss.py).
        field.description = escape(_("Updated to what %(name)s saved at %(time)s.", name=save.actor,
                                     time=save.at.strftime("%H:%M")))
    else:
        field.errors = [*field.errors, _("%(name)s saved “%(value)s” here at %(time)s. Your entry is kept: "
                                         "check it, then save again.", name=save.actor,
                                         value=_readable(field, stored), time=save.at.strftime("%H:%M"))]


def _relationship_for(record, column_key: str):
    """The relationship a foreign-key column belongs to (the trail has dealer_id, the form has dealer)."""
    for relationship in inspect(record).mapper.relationships:
        if any(column.key == column_key for column in relationship.local_columns) and relationship.direction.name == "MANYTOONE":
            return relationship
    return None


def _entered(field, relationship):
    """What the user's form holds, written as the audit trail writes values."""
    if relationship is not None:
        return getattr(field.data, "id", None)
    return audit.plain(field.data)


def _same(entered, shown) -> bool:
    blank = (None, "")
    if entered in blank and shown in blank:
        return True
    return str(entered) == str(shown) if entered is not None and shown is not None else False


def _readable(field, stored) -> str:
    if stored is None or stored == "":
        return "—"
    choices = getattr(field, "choices", None)
    for value, label, *_rest in choices if isinstance(choices, (list, tuple)) else ():
        if value == stored:
            return str(label)
    return str(stored)
