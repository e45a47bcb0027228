"""Ledger notes and assessment reasons, stored in Chinese, shown in the reader's language.

``{% load credit_text %}`` then ``{{ entry.note|ledger_note }}`` and ``{{ reason.text|assessment_reason }}``.
The msgids are the sentences `credits.rules`, `credits.quarterly` and `credits.grading` write
(a test checks they match); a planner's own note matches none and is shown as written.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_noop

from geo.phrases import localise

register = template.Library()

LEDGER_MSGIDS = (
    gettext_noop("%(day)s 巡查达标"),
    gettext_noop("%(day)s 同行巡查 %(minutes)s 分钟"),
    gettext_noop("上报隐患已核实"),
    gettext_noop("上报案件已办结"),
    gettext_noop("%(quarter)s 考核不称职，须在 %(deadline)s 前完成补选"),
)
ASSESSMENT_MSGIDS = (
    gettext_noop("%(label)s：无数据，权重 %(w)s 按比例分摊到其他项"),
    gettext_noop("%(label)s %(pct)s%%（权重 %(w)s）"),
    gettext_noop("巡查达标 %(days)s/%(eligible)s 日，低于 %(rate)s%%，评为不称职"),
    gettext_noop("得分 %(score)s（优秀 ≥ %(ex)s，称职 ≥ %(co)s）：%(grade)s"),
    gettext_noop("数据不足，不评定：本季度仅 %(n)s 个有效巡查日，少于 %(min)s 日"),
)
# Values inside the reasons that are our words too (credits.grading's part labels).
PART_LABELS = (
    gettext_noop("巡查达标率"),
    gettext_noop("认领街巷覆盖率"),
    gettext_noop("隐患上报（已核实）"),
    gettext_noop("群众满意度"),
)


@register.filter
def ledger_note(note: str) -> str:
    return localise(note or "", LEDGER_MSGIDS)


@register.filter
def assessment_reason(text: str) -> str:
    return localise(text or "", ASSESSMENT_MSGIDS)
