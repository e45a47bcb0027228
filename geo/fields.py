"""Model fields PostgreSQL has and Django lacks."""

from __future__ import annotations

from django.db import models


class BitStringField(models.Field):
    """PostgreSQL `varbit`, as a Python str of '0'/'1': one bit per piece of a segment, so a
    period's walked share is `bit_count(bit_or(covered_bits))` over its days, exactly."""

    description = "bit string"

    def db_type(self, connection) -> str:
        return "varbit"
