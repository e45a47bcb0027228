"""Resident ID-card numbers (居民身份证号码, GB 11643-1999): validation and one-way storage.

The number itself is never stored: only a keyed HMAC, which lets us detect the same person registering
twice without a database dump revealing anyone's number (an unkeyed hash of 18 digits with a known
structure could be brute-forced in minutes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MIN_AGE = 18


def check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(number: str) -> str:
    return (number or "").strip().replace(" ", "").upper()


def birth_date_of(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate(
    number: str, *, birth_date: dt.date | None = None, today: dt.date | None = None
) -> str:
    """The normalised number, or ValidationError with a message a volunteer can act on."""
    n = normalize(number)
    if len(n) != 18 or not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        raise ValidationError(
            "身份证号码应为18位：前17位为数字，最后一位为数字或X。", code="idcard_format"
        )
    if check_char(n[:17]) != n[17]:
        raise ValidationError("身份证号码校验位不正确，请核对是否抄错。", code="idcard_checksum")
    try:
        born = birth_date_of(n)
    except ValueError:
        raise ValidationError("身份证号码中的出生日期无效。", code="idcard_birthdate") from None
    if birth_date is not None and birth_date != born:
        raise ValidationError(
            "出生日期与身份证号码中的出生日期不一致。", code="idcard_birthdate_mismatch"
        )
    today = today or dt.date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MIN_AGE:
        raise ValidationError(
            f"小巷管家须年满{MIN_AGE}周岁（按身份证出生日期计算）。", code="idcard_age"
        )
    return n


def digest(number: str) -> str:
    """Keyed HMAC-SHA256 of the normalised number: for duplicate detection only, never reversible."""
    key = getattr(settings, "ALLEY_IDCARD_KEY", "") or settings.SECRET_KEY
    return hmac.new(key.encode(), normalize(number).encode(), hashlib.sha256).hexdigest()


def fake(seed: int, birth: dt.date, region: str = "110108") -> str:
    """A syntactically valid made-up number (Haidian region code) for demo data and tests."""
    first17 = f"{region}{birth:%Y%m%d}{seed % 1000:03d}"
    return first17 + check_char(first17)
