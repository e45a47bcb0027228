"""The ledger on PostGIS: arithmetic, idempotent awarding, append-only, no negative balance."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from credits import ledger
from credits.models import PointsBalance, PointsEntry, Redemption
from credits.rules import PatrolDayFact, PointsRules, ReportFact, award_lines

from . import factories as f


@pytest.fixture
def world(db):
    so = f.office()
    comm = f.community(so)
    a, b = f.steward(comm, "张大爷"), f.steward(comm, "李阿姨")
    return so, comm, a, b


def lines_for(a, b):
    facts = [
        PatrolDayFact(a.pk, 1, date(2026, 7, 1), True, 130.0),
        PatrolDayFact(b.pk, 1, date(2026, 7, 1), True, 130.0),
        PatrolDayFact(a.pk, 1, date(2026, 7, 2), False, 65.0),
    ]
    return award_lines(
        facts, [ReportFact(a.pk, 9, date(2026, 7, 3), date(2026, 7, 8))], PointsRules()
    )


def test_awarding_adds_up_and_is_idempotent(world):
    so, _comm, a, b = world
    first = ledger.book_awards(lines_for(a, b), so.pk)
    # a: 10 + 4 (day 1) + 2 (day 2 minutes) + 5 report + 10 case = 31; b: 14
    assert (first.inserted, first.points) == (7, 45)
    assert ledger.balance_of(a) == 31 and ledger.balance_of(b) == 14
    again = ledger.book_awards(lines_for(a, b), so.pk)
    assert (again.inserted, again.points, again.already_booked) == (0, 0, 7)
    assert ledger.balance_of(a) == 31 and ledger.ledger_sum(a) == 31
    assert PointsEntry.objects.count() == 7


def test_redemption_and_corrections_keep_balance_equal_to_ledger_sum(world):
    so, comm, a, b = world
    ledger.book_awards(lines_for(a, b), so.pk)
    shop = f.supermarket(comm)
    r = ledger.redeem(a, shop, "洗衣液 1 瓶", 20)
    assert r.points == 20 and ledger.balance_of(a) == 11
    ledger.correct(a, -5, "重复计入的巡查时长")
    ledger.correct(b, 3, "补记 7 月 1 日手工登记的巡查")
    assert ledger.balance_of(a) == 6 == ledger.ledger_sum(a)
    assert ledger.balance_of(b) == 17 == ledger.ledger_sum(b)
    entry = PointsEntry.objects.get(kind="redemption")
    assert (
        entry.amount == -20
        and entry.reference == f"redemption:{r.pk}"
        and "红色积分超市" in entry.note
    )


def test_overdraw_is_refused_with_an_actionable_message_and_changes_nothing(world):
    so, comm, a, b = world
    ledger.book_awards(lines_for(a, b), so.pk)
    shop = f.supermarket(comm)
    with pytest.raises(ledger.InsufficientPoints, match="积分余额为 31，不足以兑换 40 积分"):
        ledger.redeem(a, shop, "电饭煲", 40)
    with pytest.raises(ledger.InsufficientPoints):
        ledger.correct(a, -32, "多记")
    assert ledger.balance_of(a) == 31 and Redemption.objects.count() == 0
    assert not PointsEntry.objects.filter(amount__lt=0).exists()


def test_a_steward_without_any_points_cannot_redeem(world):
    _so, comm, a, _b = world
    with pytest.raises(ledger.InsufficientPoints, match="积分余额为 0"):
        ledger.redeem(a, f.supermarket(comm), "毛巾", 1)


def test_ledger_entries_cannot_be_updated_or_deleted(world):
    so, _comm, a, b = world
    ledger.book_awards(lines_for(a, b), so.pk)
    entry = PointsEntry.objects.filter(steward=a).first()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PointsEntry.objects.filter(pk=entry.pk).update(amount=1000)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        entry.delete()
    # Raw SQL, as a psql user would, is refused too.
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM patrols_pointsentry WHERE steward_id = %s", [a.pk])
    assert ledger.ledger_sum(a) == 31


def test_database_refuses_a_negative_balance_and_a_second_award_of_the_same_fact(world):
    so, _comm, a, _b = world
    PointsBalance.objects.create(steward=a, balance=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsBalance.objects.filter(steward=a).update(balance=-1)
    PointsEntry.objects.create(
        steward=a, street_office=so, amount=3, kind="earned_report", reference="report:1"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            steward=a, street_office=so, amount=3, kind="earned_report", reference="report:1"
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overdraw():
    """10 threads redeem 30 points each against a balance of 100: exactly 3 succeed, 10 left."""
    so = f.office()
    comm = f.community(so)
    a = f.steward(comm, "王师傅")
    shop = f.supermarket(comm)
    ledger.correct(a, 100, "期初积分")
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            ledger.redeem(a, shop, f"物品 {i}", 30)
            result = "ok"
        except ledger.InsufficientPoints:
            result = "refused"
        except Exception as exc:  # noqa: BLE001 - surfaced in the assertion below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 7
    assert ledger.balance_of(a) == 10 == ledger.ledger_sum(a)
    assert Redemption.objects.filter(steward=a).count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_award_runs_book_each_fact_once():
    so = f.office()
    comm = f.community(so)
    a, b = f.steward(comm, "张大爷"), f.steward(comm, "李阿姨")
    lines = lines_for(a, b)
    barrier = threading.Barrier(6)
    errors: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            ledger.book_awards(lines, so.pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ledger.balance_of(a) == 31 == ledger.ledger_sum(a)
    assert ledger.balance_of(b) == 14 == ledger.ledger_sum(b)
