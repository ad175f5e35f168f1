"""The base of the product's own forms (Flask-WTF: CSRF, translated messages)."""
from functools import lru_cache

from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.i18n import messages_path

from crm.text import UNSTORABLE_MESSAGE, holds_unstorable



@lru_cache(maxsize=8)
def _wtforms_messages(locale) -> Translations:
    return Translations.load(messages_path(), [str(locale)], domain="wtforms")


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            """WTForms' own messages ("Not a valid choice") in the reader's language. Flask-WTF
            reads the catalogue from disk on every request; it is read once per language here
            (keyed by the request's Locale itself: naming it cost more than the lookup)."""
            return _wtforms_messages(get_locale())

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, and no control characters in what people type (hidden
        fields carry what the page put there and are read by their views)."""
        valid = super().validate(extra_validators)
        return refuse_control_characters(self) and valid


def refuse_control_characters(form) -> bool:
    """Mark every field a person typed a character into that cannot be stored (crm.text);
    True when none holds one. Hidden fields carry what the page put there."""
    valid = True
    for field in form:
        if not isinstance(field, HiddenField) and holds_unstorable(*(field.raw_data or ())):
            field.errors = [*field.errors, str(UNSTORABLE_MESSAGE)]
            valid = False
    return valid
