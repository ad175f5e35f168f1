"""Numbers the databases can hold, checked on back-office forms before a save, so that a
value they would refuse is refused next to its field instead of failing the save: whole
numbers past PostgreSQL's `integer` (ids too) and decimals past their column's digits.
(Characters they cannot hold: forms.base.refuse_control_characters.)"""
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, Numeric
from sqlalchemy import inspect as sa_inspect
from wtforms import HiddenField


INTEGER_LIMIT = 2**31  # PostgreSQL's integer (ids too) holds -2**31 .. 2**31 - 1
BIG_INTEGER_LIMIT = 2**63


def fits_integer(number: int) -> bool:
    return -INTEGER_LIMIT <= number < INTEGER_LIMIT


def refuse_oversized_numbers(form, model) -> bool:
    """Mark every number past what its column holds; True when none is."""
    columns = sa_inspect(model).columns
    valid = True
    for field in form:
        if isinstance(field, HiddenField) or field.name not in columns:
            continue  # a hidden field (the version) carries what the page put there, as text
        if not _number_fits(columns[field.name].type, field.data):
            field.errors = [*field.errors, _("This number is too large.")]
            valid = False
    return valid


def _number_fits(column_type, value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return True
    if isinstance(column_type, BigInteger):
        return -BIG_INTEGER_LIMIT <= value < BIG_INTEGER_LIMIT
    if isinstance(column_type, Integer):
        try:
            return fits_integer(int(value))
        except (OverflowError, ValueError):  # infinity, not a number
            return False
    if isinstance(column_type, Numeric) and column_type.precision:
        return abs(value) < 10 ** (column_type.precision - (column_type.scale or 0))
    return True
