"""GB 11643 check digit, birth date and age rules for ID-card numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from stewards import idcard

TODAY = dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "440524188001010014", "11010519491231002x "]
)
def test_the_standards_own_examples_are_valid(number):
    assert idcard.validate(number, today=TODAY) == number.strip().upper()


@pytest.mark.parametrize("last", "0123456789")
def test_a_wrong_check_digit_is_rejected(last):
    first17 = "11010519491231002"
    if last == idcard.check_char(first17):
        return
    with pytest.raises(ValidationError) as exc:
        idcard.validate(first17 + last, today=TODAY)
    assert exc.value.code == "idcard_checksum"


def test_the_check_digit_catches_every_single_digit_typo():
    good = "11010519491231002X"
    for pos in range(17):
        for d in "0123456789":
            if d == good[pos]:
                continue
            typo = good[:pos] + d + good[pos + 1 :]
            assert idcard.check_char(typo[:17]) != typo[17], typo


@pytest.mark.parametrize(
    "number", ["1101051949123100", "11010519491231002Y", "A1010519491231002X", ""]
)
def test_malformed_numbers_are_rejected(number):
    with pytest.raises(ValidationError) as exc:
        idcard.validate(number, today=TODAY)
    assert exc.value.code == "idcard_format"


def test_an_impossible_birth_date_is_rejected():
    first17 = "11010519490231002"  # 31 February
    with pytest.raises(ValidationError) as exc:
        idcard.validate(first17 + idcard.check_char(first17), today=TODAY)
    assert exc.value.code == "idcard_birthdate"


def test_age_is_counted_from_the_birth_date_to_the_day():
    number = idcard.fake(1, dt.date(2007, 6, 2))
    with pytest.raises(ValidationError) as exc:
        idcard.validate(number, today=TODAY)  # 17 until tomorrow
    assert exc.value.code == "idcard_age"
    assert idcard.validate(number, today=dt.date(2025, 6, 2))


def test_a_form_birth_date_must_match_the_number():
    with pytest.raises(ValidationError) as exc:
        idcard.validate("11010519491231002X", birth_date=dt.date(1949, 12, 30), today=TODAY)
    assert exc.value.code == "idcard_birthdate_mismatch"


def test_the_digest_is_keyed_and_hides_the_number(settings):
    number = "11010519491231002X"
    d1 = idcard.digest(number)
    assert number not in d1 and len(d1) == 64
    assert idcard.digest(" 11010519491231002x") == d1
    settings.ALLEY_IDCARD_KEY = "another-key"
    assert idcard.digest(number) != d1
