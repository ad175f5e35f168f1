"""Field validators with translated messages.

Messages are raised as plain strings, translated at validation time: Flask-Admin shows
only `str` errors next to a field, not lazy strings.
"""
import re
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import Email, InputRequired, StopValidation, ValidationError

from crm.clock import today
from crm.phones import InvalidPhone, normalise_mobile, normalise_phone

POSTAL_CODE = re.compile(r"^\d{6}$")


def _region() -> str:
    return current_app.config.get("DEFAULT_PHONE_REGION", "CN")


class MobilePhone:
    """A mainland mobile number (11 digits starting 13-19), stored as E.164."""

    message = _l("Enter a valid mobile number, for example 13812345678.")

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = normalise_mobile(str(field.data), _region())
        except InvalidPhone:
            raise StopValidation(str(self.message)) from None


class AnyPhone:
    """A mobile or landline number such as 020-12345678, stored as E.164."""

    message = _l("Enter a valid phone number, for example 13812345678 or 020-12345678.")

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = normalise_phone(str(field.data), _region())
        except InvalidPhone:
            raise StopValidation(str(self.message)) from None


class PostalCode:
    message = _l("A postal code has 6 digits, for example 510000.")

    def __call__(self, form, field):
        if field.data and not POSTAL_CODE.match(str(field.data).strip()):
            raise ValidationError(str(self.message))
        if field.data:
            field.data = str(field.data).strip()


class EmailAddress:
    message = _l("Enter a valid email address, for example name@example.com.")

    def __call__(self, form, field):
        if not field.data:
            return
        field.data = str(field.data).strip()
        try:
            Email()(form, field)
        except ValidationError:
            raise ValidationError(str(self.message)) from None


class NotInFuture:
    message = _l("This date cannot be in the future.")

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and day > today():
            raise ValidationError(str(self.message))


class NotBefore:
    """This date may not come before another date field of the same form."""

    def __init__(self, other_field: str, message):
        self.other_field = other_field
        self.message = message

    def __call__(self, form, field):
        other = form._fields.get(self.other_field)
        if field.data and other is not None and other.data and field.data < other.data:
            raise ValidationError(str(self.message))


class NonNegative:
    message = _l("This cannot be negative.")

    def __call__(self, form, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(str(self.message))


class AtLeastOne:
    message = _l("Enter at least 1.")

    def __call__(self, form, field):
        if field.data is not None and field.data < 1:
            raise ValidationError(str(self.message))


class Required(InputRequired):
    """InputRequired, its message raised as a plain string: WTForms raises the message it is
    given as it is, and a lazy one (form_args are built before any language is known) was
    left out by Flask-Admin's form, which then said only its English "Failed to create
    record." (found by tests/test_bad_input_more_forms.py: a card batch without a dealer)."""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except StopValidation as stop:
            raise StopValidation(str(stop.args[0]) if stop.args else "") from None


class Rating:
    """A score within a range, such as satisfaction 1-5."""

    def __init__(self, low: int = 1, high: int = 5):
        self.low, self.high = low, high

    def __call__(self, form, field):
        if field.data is not None and not self.low <= field.data <= self.high:
            raise ValidationError(_("Choose a score from %(low)d to %(high)d.", low=self.low, high=self.high))


class CleanText:
    """Trims surrounding spaces; a value that is only spaces counts as empty."""

    def __call__(self, form, field):
        if isinstance(field.data, str):
            field.data = field.data.strip()
