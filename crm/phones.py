"""Phone numbers: one canonical stored form (E.164), checked with `phonenumbers`."""
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class InvalidPhone(ValueError):
    """The text is not a valid phone number of the expected kind."""


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidPhone("empty")
    try:
        number = phonenumbers.parse(cleaned, region)
    except NumberParseException as error:
        raise InvalidPhone(str(error)) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("invalid")
    return number


def normalise_mobile(text: str, region: str = "CN") -> str:
    """Return the E.164 form (+8613812345678) of a mobile number, or raise InvalidPhone."""
    number = _parse(text, region)
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidPhone("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(text: str, region: str = "CN") -> str:
    """Return the E.164 form of any valid number, landlines such as 020-12345678 included."""
    number = _parse(text, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(stored: str | None, region: str = "CN") -> str:
    """Show a stored number the way people write it here: 13812345678, 020 1234 5678."""
    if not stored:
        return ""
    if region == "CN" and len(stored) == 14 and stored.startswith("+861") and stored[1:].isdigit():
        return stored[3:]  # a mainland mobile, by far the most common: 11 digits, no spaces
    try:
        number = phonenumbers.parse(stored, region)
    except NumberParseException:
        return stored
    if number.country_code == phonenumbers.country_code_for_region(region):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return national.replace(" ", "") if phonenumbers.number_type(number) in MOBILE_TYPES else national
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def search_digits(text: str) -> str:
    """The digits of a search term, to compare against stored numbers."""
    return "".join(ch for ch in text if ch.isdigit())


MASK = "*"


def mask_phone(stored: str | None, region: str = "CN") -> str:
    """A stored number shown with its middle digits hidden, as lists here show them to those
    who do not need it in full: 138****5678, 020 **** 5678. The last four digits stay, so
    that whoever reads it can confirm the number with a caller; the first three (the
    operator or area code) stay when at least four digits are hidden besides. The layout
    is kept, so that a masked number reads like the number."""
    shown = display_phone(stored, region)
    count = sum(ch.isdigit() for ch in shown)
    tail = min(4, max(0, count - 4))
    head = min(3, max(0, count - tail - 4))
    masked, seen = [], 0
    for ch in shown:
        if ch.isdigit():
            seen += 1
            if head < seen <= count - tail:
                ch = MASK
        masked.append(ch)
    return "".join(masked)


def national_digits(stored: str, region: str = "CN") -> str:
    """The digits of a number as written within its country, without the trunk 0:
    13812345678 for +8613812345678, 2012345678 for +862012345678."""
    try:
        return str(phonenumbers.parse(stored, region).national_number)
    except NumberParseException:
        return search_digits(stored)
