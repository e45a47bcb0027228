"""``{{ v.reasons|verdict_reasons }}``: stored verdict reasons in the reader's language.

A verdict's reasons are written (in Chinese) when the day is evaluated and stored; these are the
msgids `patrols.rule` writes them from, so `geo.phrases` can render them again in English.
Installed as a template builtin (settings), so pages need no {% load %}.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_noop

from geo.phrases import localise_all

register = template.Library()

# The same msgids as in patrols/rule.py (a test checks every reason the rule writes is matched).
VERDICT_MSGIDS = (
    gettext_noop("当天只有 %(n)s 名组员上传了轨迹，规则要求 %(k)s 人同行巡视"),
    gettext_noop("组员相距 %(d)s 米以内的时间共 %(got)s 分钟，不足 %(min)s 分钟"),
    gettext_noop(
        "同行 %(tog)s 分钟，但在认领街巷 %(d)s 米范围内只有 %(got)s 分钟，不足 %(min)s 分钟"
    ),
    gettext_noop(
        "在认领片区内同行 %(ins)s 分钟，其中步行速度（%(lo)s–%(hi)s 米/秒）只有 %(got)s 分钟，"
        "乘车或长时间停留不计入巡视"
    ),
    gettext_noop("%(a)s–%(b)s 时段巡视 %(got)s 分钟，不足 %(min)s 分钟"),
)


@register.filter
def verdict_reasons(reasons: list[str] | None) -> list[str]:
    return localise_all(reasons or [], VERDICT_MSGIDS)
