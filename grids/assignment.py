"""认领街巷: assign segments to pairs, end assignments, undo a planner's batch.

Every write goes through an AssignmentChange, so a batch can be listed and reverted. Claims are never
deleted: ending one sets ``valid_to``; a claim undone on the day it began is voided (valid_to ==
valid_from, an empty range). The exclusion constraint ``claim_no_double_claim`` is the real guard
against two pairs holding one segment; these functions turn its violation into ``DoubleClaim``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from psycopg.errors import DeadlockDetected

from geo.local_days import local_today
from geo.models import NetworkImport, Segment
from grids.models import AssignmentChange, Claim, ClaimEvent, claims_from
from stewards import registry
from stewards.models import Pair

Kind = AssignmentChange.Kind
Action = ClaimEvent.Action


class AssignmentError(Exception):
    """A planner mistake the API reports as 400."""


class DoubleClaim(AssignmentError):
    """The segment is (now) claimed by another pair for an overlapping period: the API's 409."""

    def __init__(self, message: str, segment_ids: Iterable[int] = ()) -> None:
        super().__init__(message)
        self.segment_ids = sorted(segment_ids)


def current_claims(street_office_id: int, day: dt.date | None = None) -> QuerySet[Claim]:
    return Claim.objects.on(day or local_today()).filter(street_office_id=street_office_id)


def _end(claims: list[Claim], change: AssignmentChange, on: dt.date) -> None:
    """End ``claims`` before ``on`` (one UPDATE); a claim not yet begun by then is voided instead."""
    events = []
    for claim in claims:
        new_to = max(on, claim.valid_from)
        events.append(
            ClaimEvent(
                change=change,
                claim=claim,
                action=Action.ENDED,
                old_valid_to=claim.valid_to,
                new_valid_to=new_to,
            )  # fmt: skip
        )
        claim.valid_to = new_to
    Claim.objects.bulk_update(claims, ["valid_to"])
    ClaimEvent.objects.bulk_create(events)


def assign(
    pair: Pair,
    segment_ids: Iterable[int],
    *,
    user: Any = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    replace: bool = False,
    note: str = "",
    kind: str = Kind.ASSIGN,
    change: AssignmentChange | None = None,
) -> AssignmentChange:
    """Give ``pair`` the segments from ``valid_from`` on.

    Segments already held by the pair are left alone. Segments held by another pair raise DoubleClaim
    unless ``replace``, which ends the other pair's claim the day before. Pass ``change`` to add to
    an open batch (e.g. applying a suggestion for several pairs as one undoable step).
    """
    valid_from = valid_from or local_today()
    ids = sorted(set(segment_ids))
    if pair.dissolved_on is not None and pair.dissolved_on <= valid_from:
        raise AssignmentError(f"“{pair.name}”已于{pair.dissolved_on}解散，不能再认领街巷。")
    if valid_to is not None and valid_to <= valid_from:
        raise AssignmentError("失效日期必须晚于生效日期。")
    # Only the network in use can be claimed: a retired segment's claims moved with its street.
    segments = Segment.objects.current().filter(pk__in=ids, street_office_id=pair.street_office_id)
    found = set(segments.values_list("pk", flat=True))
    if missing := set(ids) - found:
        raise AssignmentError(f"这些街巷段不存在或不属于本街道：{sorted(missing)[:20]}")
    try:
        with transaction.atomic():
            if change is None:
                change = AssignmentChange.objects.create(
                    street_office_id=pair.street_office_id, kind=kind, note=note, created_by=user
                )
            window = claims_from(valid_from)
            if valid_to is not None:
                window &= Q(valid_from__lt=valid_to)
            # Lock what we may end, so a concurrent batch waits rather than both ending the same claim.
            existing = list(
                Claim.objects.select_for_update().filter(window, segment_id__in=ids).order_by("id")
            )
            held = {c.segment_id for c in existing if c.pair_id == pair.pk}
            others = [c for c in existing if c.pair_id != pair.pk]
            if others and not replace:
                raise DoubleClaim(
                    "部分街巷段已由其他组认领；如要改派，请确认替换。",
                    {c.segment_id for c in others},
                )
            _end(others, change, valid_from)
            new = [
                Claim(
                    street_office_id=pair.street_office_id,
                    pair=pair,
                    segment_id=sid,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    created_by=user,
                    change=change,
                )  # fmt: skip
                for sid in ids
                if sid not in held
            ]
            Claim.objects.bulk_create(new)
            ClaimEvent.objects.bulk_create(
                ClaimEvent(change=change, claim=c, action=Action.CREATED, new_valid_to=c.valid_to)
                for c in new
            )
    except (IntegrityError, OperationalError) as exc:
        # Another transaction committed a claim on one of these segments after we looked, or
        # two first claims on a free segment inserted at once and deadlocked in the exclusion
        # check (PostgreSQL aborts one; the other's claim stands). Same answer either way.
        if isinstance(exc, OperationalError) and not isinstance(exc.__cause__, DeadlockDetected):
            raise
        raise DoubleClaim("其他人刚刚认领了其中的街巷段，请刷新地图后重试。", ids) from exc
    return change


def unassign(
    segment_ids: Iterable[int], *, street_office_id: int, user: Any = None, on: dt.date | None = None,
    note: str = "",
) -> AssignmentChange:  # fmt: skip
    """End every claim on these segments from ``on`` (default today)."""
    on = on or local_today()
    with transaction.atomic():
        change = AssignmentChange.objects.create(
            street_office_id=street_office_id, kind=Kind.UNASSIGN, note=note, created_by=user
        )
        claims = Claim.objects.select_for_update().filter(
            claims_from(on), segment_id__in=list(segment_ids), street_office_id=street_office_id
        )
        _end(list(claims.order_by("id")), change, on)
    return change


def end_pair_claims(pair: Pair, *, user: Any = None, on: dt.date | None = None) -> AssignmentChange:
    """End all claims of a pair, e.g. when it is dissolved."""
    on = on or local_today()
    ids = Claim.objects.from_day(on).filter(pair=pair).values_list("segment_id", flat=True)
    return unassign(
        list(ids), street_office_id=pair.street_office_id, user=user, on=on, note=str(pair)
    )


def dissolve_pair(pair: Pair, *, user: Any = None, on: dt.date | None = None) -> AssignmentChange:
    """Dissolve a pair and end its claims: both or neither (the claims' batch can be undone)."""
    with transaction.atomic():
        registry.dissolve_pair(pair, on=on)
        return end_pair_claims(pair, user=user, on=on)


def undo(
    change: AssignmentChange, *, user: Any = None, allow_network: bool = False
) -> AssignmentChange:
    """Revert a batch inside a new UNDO batch. Raises DoubleClaim if later edits made it impossible.

    A NETWORK batch (claims carried by a street import) is undone only with its import
    (`grids.street_changes.undo_network_import`), which passes ``allow_network``.
    """
    if change.kind == Kind.UNDO:
        raise AssignmentError("撤销操作本身不能再撤销；请重新分配。")
    if change.kind == Kind.NETWORK and not allow_network:
        run = NetworkImport.objects.filter(report__batches__contains=[change.pk]).first()
        raise AssignmentError(
            _("操作 #%(id)d 是路网导入带来的认领调整，请撤销整个路网导入（#%(run)d）。")
            % {"id": change.pk, "run": run.pk if run else 0}
        )
    if AssignmentChange.objects.filter(reverts=change).exists():
        raise AssignmentError(f"操作 #{change.pk} 已经撤销过了。")
    try:
        with transaction.atomic():
            undo_change = AssignmentChange.objects.create(
                street_office_id=change.street_office_id, kind=Kind.UNDO, reverts=change, created_by=user,
                note=f"撤销 #{change.pk}",
            )  # fmt: skip
            events = list(change.events.select_related("claim").order_by("-id"))
            claims = {
                c.pk: c
                for c in Claim.objects.select_for_update().filter(
                    pk__in=[e.claim_id for e in events]
                )
            }
            stale = [e for e in events if claims[e.claim_id].valid_to != e.new_valid_to]
            if stale:
                raise AssignmentError(
                    f"街巷段 {claims[stale[0].claim_id].segment_id} 在此后又被修改过，不能撤销操作 #{change.pk}。"
                )
            # Two statements, in this order: first void what the batch created (empty ranges), then
            # give ended claims back their old end; within one UPDATE the row order is undefined and
            # the exclusion constraint is checked row by row.
            log = []
            for action in (Action.CREATED, Action.ENDED):
                touched = []
                for event in (e for e in events if e.action == action):
                    claim = claims[event.claim_id]
                    restored = claim.valid_from if action == Action.CREATED else event.old_valid_to
                    log.append(
                        ClaimEvent(
                            change=undo_change,
                            claim=claim,
                            action=Action.RESTORED,
                            old_valid_to=claim.valid_to,
                            new_valid_to=restored,
                        )  # fmt: skip
                    )
                    claim.valid_to = restored
                    touched.append(claim)
                Claim.objects.bulk_update(touched, ["valid_to"])
            ClaimEvent.objects.bulk_create(log)
    except IntegrityError as exc:
        raise DoubleClaim("撤销会使街巷段被两个组同时认领，请先调整后来的分配。") from exc
    return undo_change
