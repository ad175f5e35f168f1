"""The base of the product's own forms (Flask-WTF: CSRF, translated messages)."""
from functools import lru_cache

from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


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
