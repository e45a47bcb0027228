"""Stored sentences (verdict reasons, ledger notes, assessment reasons) read in English on /en/."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from django.utils import translation

from credits.grading import AssessmentParams, StewardQuarterInputs, score_inputs
from credits.rules import PatrolDayFact, PointsRules, ReportFact, award_lines
from credits.templatetags.credit_text import assessment_reason, ledger_note
from geo.phrases import localise
from patrols.templatetags.verdict_text import VERDICT_MSGIDS, verdict_reasons

HAN = re.compile(r"[\u3400-\u9fff]")
ROOT = Path(__file__).resolve().parents[2]


def test_a_filled_in_msgid_is_rendered_again_in_the_active_language():
    msgid = "组员相距 %(d)s 米以内的时间共 %(got)s 分钟，不足 %(min)s 分钟"
    stored = msgid % {"d": "30.0", "got": "119.9", "min": "120.0"}
    assert localise(stored, [msgid]) == stored
    with translation.override("en"):
        english = localise(stored, [msgid])
    assert not HAN.search(english) and "119.9" in english and "120.0" in english
    assert localise("组长自己写的备注", [msgid]) == "组长自己写的备注"


def test_every_verdict_reason_the_rule_writes_is_known():
    """The rule's msgids and the filter's list are the same sentences (one may not drift)."""
    source = (ROOT / "patrols" / "rule.py").read_text(encoding="utf-8")
    joined = re.sub(r'"\s*\n\s*"', "", source)
    for msgid in VERDICT_MSGIDS:
        assert f'"{msgid}"' in joined, msgid
    stored = [m % {k: "1.0" for k in re.findall(r"%\((\w+)\)s", m)} for m in VERDICT_MSGIDS]
    with translation.override("en"):
        english = verdict_reasons(stored)
    assert all(not HAN.search(t) for t in english), english


def test_ledger_notes_and_assessment_reasons_read_in_english():
    days = [PatrolDayFact(1, 1, date(2026, 11, 2), True, 135.0)]
    reports = [ReportFact(1, 7, date(2026, 11, 3), date(2026, 11, 4))]
    notes = [line.note for line in award_lines(days, reports, PointsRules())]
    inputs = StewardQuarterInputs(1, 1, 40, 12, 2400.0, 0.6, 3, 1, (4, 5))
    reasons = [r["text"] for r in score_inputs(inputs, AssessmentParams()).reasons]
    few = StewardQuarterInputs(1, 1, 2, 1, 100.0, None, 0, 0)
    reasons += [r["text"] for r in score_inputs(few, AssessmentParams()).reasons]
    assert notes and len(reasons) >= 4 and all(HAN.search(t) for t in notes + reasons)
    with translation.override("en"):
        english = [ledger_note(n) for n in notes] + [assessment_reason(r) for r in reasons]
    assert all(not HAN.search(t) for t in english), english
