"""Phone numbers: one stored form, checked with phonenumbers."""
import pytest

from crm.phones import InvalidPhone, display_phone, normalise_mobile, normalise_phone


@pytest.mark.parametrize("typed", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                   "+8613812345678", " 13812345678 "])
def test_the_ways_people_type_a_mobile_number_give_one_stored_form(typed):
    assert normalise_mobile(typed) == "+8613812345678"


@pytest.mark.parametrize("typed", ["", "12345", "12812345678", "1381234567", "020-12345678", "abcdefghijk"])
def test_what_is_not_a_mainland_mobile_number_is_refused(typed):
    with pytest.raises(InvalidPhone):
        normalise_mobile(typed)


def test_landlines_are_accepted_as_other_phones():
    assert normalise_phone("020-12345678") == "+862012345678"


def test_stored_numbers_are_shown_the_way_people_write_them():
    assert display_phone("+8613812345678") == "13812345678"
    assert display_phone("+862012345678") == "020 1234 5678"
    assert display_phone(None) == ""
