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
