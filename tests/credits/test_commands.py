"""award_points and assess_quarter: idempotent, progress output, dry run really rolls back."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from credits import ledger, quarterly
from credits.models import Assessment, PointsEntry
from credits.rules import PatrolDayFact, ReportFact

from . import factories as f
from .known_quarter import sources_for


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def office_with_facts(db, monkeypatch):
    so = f.office()
    comm = f.community(so)
    a, b = f.steward(comm, "张大爷"), f.steward(comm, "李阿姨")
    src = quarterly.StaticSources(
        patrol_day_facts=[
            PatrolDayFact(a.pk, 1, date(2026, 7, 1), True, 130.0),
            PatrolDayFact(b.pk, 1, date(2026, 7, 1), True, 130.0),
            PatrolDayFact(a.pk, 1, date(2026, 7, 20), False, 60.0),
        ],
        report_facts=[ReportFact(a.pk, 9, date(2026, 7, 3), date(2026, 7, 8))],
    )
    monkeypatch.setattr(quarterly, "default_sources", lambda: src)
    return so, a, b


def test_award_points_books_once_and_reports_progress(office_with_facts):
    so, a, b = office_with_facts
    out = run("award_points", "--office", so.code, "--from", "2026-07-01", "--to", "2026-08-01")
    assert "2026-07-01 – 2026-07-08" in out and "新记 7 条共 45 分" in out
    assert ledger.balance_of(a) == 31 and ledger.balance_of(b) == 14
    again = run("award_points", "--office", so.code, "--from", "2026-07-01", "--to", "2026-08-01")
    assert "新记 0 条共 0 分；已记过未重复 7 条" in again
    assert ledger.balance_of(a) == 31 and PointsEntry.objects.count() == 7


def test_award_points_rejects_unknown_office_and_reversed_dates(office_with_facts):
    so, _a, _b = office_with_facts
    with pytest.raises(CommandError, match="没有代码"):
        run("award_points", "--office", "NOPE", "--from", "2026-07-01", "--to", "2026-08-01")
    with pytest.raises(CommandError, match="--to 必须晚于"):
        run("award_points", "--office", so.code, "--from", "2026-08-01", "--to", "2026-07-01")


@pytest.mark.django_db(transaction=True)
def test_award_points_dry_run_writes_nothing_outside_a_test_transaction(monkeypatch):
    so = f.office()
    a = f.steward(f.community(so), "张大爷")
    src = quarterly.StaticSources(
        patrol_day_facts=[PatrolDayFact(a.pk, 1, date(2026, 7, 1), True, 130.0)]
    )
    monkeypatch.setattr(quarterly, "default_sources", lambda: src)
    out = run(
        "award_points",
        "--office",
        so.code,
        "--from",
        "2026-07-01",
        "--to",
        "2026-07-02",
        "--dry-run",
    )
    assert "演练（未写入）：新记 2 条共 14 分" in out
    assert PointsEntry.objects.count() == 0 and ledger.balance_of(a) == 0


def test_assess_quarter_command_is_repeatable(db, monkeypatch):
    so = f.office()
    comm = f.community(so)
    ids = {name: f.steward(comm, f"管家{name}").pk for name in "ABCDE"}
    monkeypatch.setattr(quarterly, "default_sources", lambda: sources_for(ids))
    out = run("assess_quarter", "--office", so.code, "--quarter", "2026Q3")
    assert "新建 5" in out and "评定 4 人" in out and "数据不足不评定 1 人" in out
    out = run("assess_quarter", "--office", so.code, "--quarter", "2026q3")
    assert "新建 0，更新 0，不变 5" in out
    assert Assessment.objects.count() == 5
    with pytest.raises(CommandError, match="2026Q3"):
        run("assess_quarter", "--office", so.code, "--quarter", "Q3-2026")


def test_assess_quarter_on_the_stored_sources(db):
    """Before the merge the command names the missing module; after it, it runs on the real
    tables (no verdicts here, so nobody can be graded)."""
    so = f.office()
    f.steward(f.community(so), "张大爷")
    try:
        apps.get_model("patrols.PairDayVerdict")
        apps.get_model("hazards.HazardReport")
    except LookupError:
        with pytest.raises(CommandError, match="PairDayVerdict"):
            run("assess_quarter", "--office", so.code, "--quarter", "2026Q3")
    else:
        out = run("assess_quarter", "--office", so.code, "--quarter", "2026Q3")
        assert "评定 0 人，数据不足不评定 1 人" in out


def test_recheck_books_corrections_for_re_evaluated_days_and_never_overdraws(office_with_facts):
    so, a, b = office_with_facts
    run("award_points", "--office", so.code, "--from", "2026-07-01", "--to", "2026-08-01")
    assert ledger.balance_of(a) == 31 and ledger.balance_of(b) == 14
    ledger.redeem(b, f.supermarket(b.community), "毛巾", 10)  # b has 4 left
    # A late upload re-evaluated July 1: not compliant after all, 65 minutes together.
    src = quarterly.default_sources()
    src.patrol_day_facts[:2] = [
        PatrolDayFact(a.pk, 1, date(2026, 7, 1), False, 65.0),
        PatrolDayFact(b.pk, 1, date(2026, 7, 1), False, 65.0),
    ]
    plain = run("award_points", "--office", so.code, "--from", "2026-07-01", "--to", "2026-08-01")
    assert "重新判定更正 0 条" in plain and ledger.balance_of(a) == 31
    out = run(
        "award_points",
        "--office",
        so.code,
        "--from",
        "2026-07-01",
        "--to",
        "2026-08-01",
        "--recheck",
    )
    # a: -10 (day) -2 (minutes 4 -> 2) = 19; b's -10 cannot be covered (4 left): pending, not forced.
    assert ledger.balance_of(a) == 19 == ledger.ledger_sum(a)
    assert ledger.balance_of(b) == 2 == ledger.ledger_sum(b)
    assert "待人工处理" in out and f"#{b.pk} 应扣 10 分" in out
    again = run(
        "award_points",
        "--office",
        so.code,
        "--from",
        "2026-07-01",
        "--to",
        "2026-08-01",
        "--recheck",
    )
    assert "重新判定更正 0 条共 +0 分" in again and ledger.balance_of(a) == 19
    assert PointsEntry.objects.filter(kind="correction", steward=a).count() == 2
