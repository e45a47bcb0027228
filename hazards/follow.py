"""Following a report without an account: the report number plus a follow code.

The number alone is sequential, so anyone could walk through every report; a phone tail (last four
digits) is only 10⁴ guesses and anonymous reporters leave no phone. The follow code is an HMAC of
the report number under the server's secret key: 10 characters of base32 (50 bits), not guessable,
nothing stored (no migration, nothing to leak from the database), and a report's code never
changes. Only the reporter gets it, in the confirmation after submitting. Keys listed in
SECRET_KEY_FALLBACKS keep old codes working after the key is rotated.

What the follow page shows is deliberately little: category, status, the dates of each step, the
reason of a refusal, the photos. Never the reporter's name or phone, never who handled it.
"""

from __future__ import annotations

import base64
import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "alley.hazards.follow"
CODE_LENGTH = 10


def _code(report_id: int, secret: str) -> str:
    digest = salted_hmac(SALT, str(report_id), secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH].lower()


def follow_code(report_id: int) -> str:
    """The code a reporter uses with the report number to follow it."""
    return _code(report_id, settings.SECRET_KEY)


def normalise(code: str) -> str:
    """What people type: spaces, dashes and capitals are forgiven."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def code_matches(report_id: int, code: str) -> bool:
    given = normalise(code)
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(given, _code(report_id, s)) for s in secrets)
