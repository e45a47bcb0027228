"""`{{ minutes|minutes_down:1 }}`: achieved minutes rounded down, as the verdict reasons show them.

`floatformat` rounds half up, so a pair short of 120 minutes by 0.03 would read "120" beside
"未达标"; rounding down keeps a figure from ever reaching a minimum it did not reach."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

from patrols.rule import floor_to

register = template.Library()


@register.filter
def minutes_down(value: float | None, decimals: int = 0) -> str:
    if value is None or value == "":
        return ""
    decimals = int(decimals)
    return number_format(floor_to(float(value), decimals), decimals)
