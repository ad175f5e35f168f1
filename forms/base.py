"""The base of the product's own forms (Flask-WTF: CSRF, translated messages)."""
import re
from functools import lru_cache

from babel.support import Translations
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.i18n import messages_path

# Control characters nobody types (tabs and line breaks are typed): PostgreSQL refuses NUL
# in text, and spreadsheets cannot hold the others, so a record holding them could be neither
# stored nor exported.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
        for field in self:
            if isinstance(field, HiddenField):
                continue
            if any(isinstance(value, str) and UNSTORABLE.search(value) for value in field.raw_data or ()):
                field.errors = [*field.errors, _("Remove the control characters from this field; they cannot be "
                                                 "stored.")]
                valid = False
        return valid
