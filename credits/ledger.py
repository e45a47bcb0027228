"""The points ledger (积分台账): booking earned points, redemptions and corrections.

Every write adds ledger entries and moves ``PointsBalance`` in the same transaction. Spending
(redemptions, negative corrections) goes through one conditional UPDATE — ``balance = balance - n
WHERE balance >= n`` — and proceeds only if exactly one row changed, so concurrent redemptions can
never overdraw (the CHECK (balance >= 0) is the last line of defence).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from credits import queries as credit_queries
from credits.models import CreditSupermarket, PointsBalance, PointsEntry, Redemption
from credits.rules import (
    KIND_CORRECTION,
    KIND_REDEMPTION,
    AwardLine,
    Key,
    parse_adjustment_reference,
)
from stewards.models import Steward


class InsufficientPoints(Exception):
    """The steward's balance does not cover the points asked for."""

    def __init__(self, steward: Steward, asked: int, balance: int):
        self.asked, self.balance = asked, balance
        super().__init__(
            _(
                "%(name)s 的积分余额为 %(balance)d，不足以兑换 %(asked)d 积分；请减少兑换物品，或等积分入账后再兑换。"
            )
            % {"name": steward.name, "balance": balance, "asked": asked}
        )


@dataclass(frozen=True)
class BookingResult:
    offered: int
    inserted: int
    points: int

    @property
    def already_booked(self) -> int:
        return self.offered - self.inserted


def balance_of(steward: Steward | int) -> int:
    sid = steward if isinstance(steward, int) else steward.pk
    return (
        PointsBalance.objects.filter(steward_id=sid).values_list("balance", flat=True).first() or 0
    )


def ledger_sum(steward: Steward | int) -> int:
    sid = steward if isinstance(steward, int) else steward.pk
    return PointsEntry.objects.filter(steward_id=sid).aggregate(s=Sum("amount"))["s"] or 0


def book_awards(
    lines: Iterable[AwardLine], street_office_id: int, created_by_id: int | None = None
) -> BookingResult:
    """Book earned points; lines already in the ledger are skipped (idempotent)."""
    lines = list(lines)
    if any(x.amount <= 0 for x in lines):
        raise ValueError("earned points must be positive; use a correction to take points back")
    with transaction.atomic():
        inserted, points = credit_queries.book_award_lines(lines, street_office_id, created_by_id)
    return BookingResult(len(lines), inserted, points)


def booked_for(keys: Iterable[Key]) -> dict[Key, tuple[int, int]]:
    """Net points and number of adjustments booked per fact, for the facts that have entries."""
    keys = set(keys)
    if not keys:
        return {}
    sids = {k[0] for k in keys}
    refs = {k[2] for k in keys}
    out: dict[Key, tuple[int, int]] = {}
    earned = PointsEntry.objects.filter(
        steward_id__in=sids, reference__in=refs, kind__in={k[1] for k in keys}
    ).values_list("steward_id", "kind", "reference", "amount")
    for sid, kind, ref, amount in earned:
        if (sid, kind, ref) in keys:
            out[(sid, kind, ref)] = (amount, 0)
    adjustments = PointsEntry.objects.filter(
        steward_id__in=sids, kind=KIND_CORRECTION, reference__startswith="adj:"
    ).values_list("steward_id", "reference", "amount")
    for sid, reference, amount in adjustments:
        parsed = parse_adjustment_reference(reference)
        if parsed is None or (sid, *parsed) not in keys:
            continue
        key = (sid, *parsed)
        net, n = out.get(key, (0, 0))
        out[key] = (net + amount, n + 1)
    return out


@dataclass
class AdjustmentResult:
    booked: int = 0
    points: int = 0
    pending: list[AwardLine] = field(default_factory=list)


def book_adjustments(
    lines: Iterable[AwardLine], street_office_id: int, created_by_id: int | None = None
) -> AdjustmentResult:
    """Book correction lines from re-evaluated facts. A clawback the balance cannot cover (the
    points were already redeemed) is left pending for a planner, never forced below zero."""
    result = AdjustmentResult()
    for line in lines:
        try:
            with transaction.atomic():
                if line.amount < 0:
                    changed = PointsBalance.objects.filter(
                        steward_id=line.steward_id, balance__gte=-line.amount
                    ).update(balance=F("balance") + line.amount, updated_at=timezone.now())
                    if changed != 1:
                        result.pending.append(line)
                        continue
                else:
                    PointsBalance.objects.filter(steward_id=line.steward_id).update(
                        balance=F("balance") + line.amount, updated_at=timezone.now()
                    )
                PointsEntry.objects.create(
                    steward_id=line.steward_id,
                    street_office_id=street_office_id,
                    amount=line.amount,
                    kind=line.kind,
                    reference=line.reference,
                    note=line.note[:300],
                    created_by_id=created_by_id,
                )
        except IntegrityError:
            # Another run booked this very adjustment (same sequence number) first.
            continue
        result.booked += 1
        result.points += line.amount
    return result


def _debit(steward: Steward, points: int) -> None:
    """Take ``points`` off the balance or raise InsufficientPoints. Call inside a transaction."""
    changed = PointsBalance.objects.filter(steward=steward, balance__gte=points).update(
        balance=F("balance") - points, updated_at=timezone.now()
    )
    if changed != 1:
        raise InsufficientPoints(steward, points, balance_of(steward))


def redeem(
    steward: Steward, supermarket: CreditSupermarket, items: str, points: int, created_by=None
) -> Redemption:
    """Redeem ``points`` at a credit supermarket for ``items``."""
    if points <= 0:
        raise ValueError(_("兑换积分必须是正整数"))
    if not items.strip():
        raise ValueError(_("请填写兑换的物品"))
    if supermarket.community.street_office_id != steward.street_office_id:
        raise ValueError(_("该积分超市不属于这位管家所在的街道"))
    if not supermarket.active:
        raise ValueError(_("积分超市「%(name)s」已停止营业") % {"name": supermarket.name})
    with transaction.atomic():
        _debit(steward, points)
        redemption = Redemption.objects.create(
            steward=steward,
            supermarket=supermarket,
            items=items.strip(),
            points=points,
            created_by=created_by,
        )
        PointsEntry.objects.create(
            steward=steward,
            street_office_id=steward.street_office_id,
            amount=-points,
            kind=KIND_REDEMPTION,
            reference=f"redemption:{redemption.pk}",
            note=f"{supermarket.name}：{items.strip()}"[:300],
            created_by=created_by,
        )
    return redemption


def correct(steward: Steward, amount: int, note: str, created_by=None) -> PointsEntry:
    """A correction entry (+ or -); a negative one cannot take the balance below zero."""
    if amount == 0:
        raise ValueError(_("更正积分不能为 0"))
    if not note.strip():
        raise ValueError(_("更正必须写明原因"))
    with transaction.atomic():
        if amount < 0:
            _debit(steward, -amount)
        else:
            try:
                with transaction.atomic():
                    PointsBalance.objects.create(steward=steward, balance=0)
            except IntegrityError:
                pass
            PointsBalance.objects.filter(steward=steward).update(
                balance=F("balance") + amount, updated_at=timezone.now()
            )
        return PointsEntry.objects.create(
            steward=steward,
            street_office_id=steward.street_office_id,
            amount=amount,
            kind=KIND_CORRECTION,
            reference=f"correction:{uuid.uuid4().hex[:16]}",
            note=note.strip()[:300],
            created_by=created_by,
        )
