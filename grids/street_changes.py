"""Claims follow the street: when an import retires segments, open claims move to the new pieces.

Called by the street importer (`geo.importers.versioning.on_network_change`) inside its
transaction. A split gives the pair every piece; a merged or re-drawn piece goes to the pair that
held most of its length (metres of the new piece along that pair's old segments); what could not
be carried is listed in the report, never dropped silently. Every claim edit is in one NETWORK
AssignmentChange per street office, linked to the import, so it shows in the history and
`undo_network_import` reverts claims and network together.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.importers.versioning import NetworkChange, revert_network
from geo.models import NetworkImport, Segment
from grids.assignment import Action, AssignmentError, _end, undo
from grids.models import AssignmentChange, Claim, ClaimEvent, claims_from


def _winners(change: NetworkChange, claimed: dict[int, list[Claim]]) -> dict[int, Claim]:
    """{new segment id: the old claim whose pair holds most of its length}."""
    score: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    template: dict[tuple[int, int], tuple[float, Claim]] = {}
    for link in change.links:
        for claim in claimed.get(link.old_id, []):
            score[link.new_id][claim.pair_id] += link.new_along_m
            key = (link.new_id, claim.pair_id)
            if key not in template or link.new_along_m > template[key][0]:
                template[key] = (link.new_along_m, claim)
    winners = {}
    for new_id, by_pair in score.items():
        pair_id = min(by_pair, key=lambda p: (-by_pair[p], p))
        winners[new_id] = template[(new_id, pair_id)][1]
    return winners


def carry_claims(change: NetworkChange) -> None:
    """End the open claims on retired segments and give their pairs the new pieces."""
    day = change.day
    claims = list(
        Claim.objects.select_for_update()
        .filter(claims_from(day), segment_id__in=change.retired)
        .exclude(valid_to=F("valid_from"))  # voided claims hold nothing
        .select_related("pair", "segment")
        .order_by("id")
    )
    change.report["claims"] = []
    if not claims:
        return
    claimed: dict[int, list[Claim]] = defaultdict(list)
    for claim in claims:
        claimed[claim.segment_id].append(claim)
    winners = _winners(change, claimed)
    batches: dict[int, AssignmentChange] = {}

    def batch(office_id: int) -> AssignmentChange:
        if office_id not in batches:
            batches[office_id] = AssignmentChange.objects.create(
                street_office_id=office_id,
                kind=AssignmentChange.Kind.NETWORK,
                created_by=change.run.created_by,
                note=f"路网导入 #{change.run.pk}（{change.run.source}）",
            )
        change.report["batches"] = sorted(b.pk for b in batches.values())
        return batches[office_id]

    # Built before the old claims are ended: ending sets their valid_to in place.
    new_claims = [
        Claim(
            street_office_id=old.street_office_id,
            pair_id=old.pair_id,
            segment_id=new_id,
            valid_from=max(day, old.valid_from),
            valid_to=old.valid_to,
            created_by=change.run.created_by,
            change=batch(old.street_office_id),
        )
        for new_id, old in sorted(winners.items())
    ]
    for office_id in sorted({c.street_office_id for c in claims}):
        _end([c for c in claims if c.street_office_id == office_id], batch(office_id), day)
    Claim.objects.bulk_create(new_claims)
    ClaimEvent.objects.bulk_create(
        ClaimEvent(change=c.change, claim=c, action=Action.CREATED, new_valid_to=c.valid_to)
        for c in new_claims
    )
    change.report["claims"] = _claim_report(change, claims, winners)


def _claim_report(
    change: NetworkChange, claims: list[Claim], winners: dict[int, Claim]
) -> list[dict[str, Any]]:
    """One row per affected claim: pair, old segment → new segments, metres carried and not."""
    along = {(link.old_id, link.new_id): link.new_along_m for link in change.links}
    rows = []
    for claim in claims:
        won = sorted(
            n
            for n, w in winners.items()
            if w.pair_id == claim.pair_id and (claim.segment_id, n) in along
        )
        carried = min(sum(along[(claim.segment_id, n)] for n in won), claim.segment.length_m)
        rows.append(
            {
                "claim": claim.pk,
                "pair": claim.pair_id,
                "pair_name": claim.pair.name,
                "street_office": claim.street_office_id,
                "old_segment": claim.segment_id,
                "old_name": claim.segment.name,
                "class": change.old_class.get(claim.segment_id, "retired"),
                "old_m": round(claim.segment.length_m, 1),
                "new_segments": won,
                "carried_m": round(carried, 1),
                "not_carried_m": round(max(claim.segment.length_m - carried, 0.0), 1),
            }
        )
    return rows


def undo_network_import(
    run: NetworkImport, *, user: Any = None, on: dt.date | None = None
) -> NetworkImport:
    """Revert an import: its claim batches (as undo batches), then the network it changed (its
    new pieces leave the network ``on``, default today)."""
    if run.undone_at is not None:
        raise AssignmentError(_("路网导入 #%(id)d 已经撤销过了。") % {"id": run.pk})
    later = NetworkImport.objects.filter(source=run.source, pk__gt=run.pk, undone_at__isnull=True)
    # A later import that changed nothing (same file again) does not stand in the way.
    if Segment.objects.filter(Q(imported_by__in=later) | Q(retired_by__in=later)).exists():
        raise AssignmentError(f"数据集 {run.source} 此后又导入过并改变了路网，请先撤销后来的导入。")
    with transaction.atomic():
        for batch in network_batches(run):
            undo(batch, user=user, allow_network=True)
        revert_network(run, on)
        run.undone_at = timezone.now()
        run.save(update_fields=["undone_at"])
    return run


def segments_of(run: NetworkImport) -> dict[str, list[int]]:
    """Ids the import created and retired (what its undo touches)."""
    return {
        "created": list(Segment.objects.filter(imported_by=run).values_list("id", flat=True)),
        "retired": list(Segment.objects.filter(retired_by=run).values_list("id", flat=True)),
    }


def describe_claims(segment_ids: list[int]) -> list[str]:
    """The pairs holding open claims on these segments today, with segment count and metres
    (for the area importer's overlap report)."""
    from django.db.models import Count, Sum

    from geo.local_days import local_today

    rows = (
        Claim.objects.from_day(local_today())
        .filter(segment_id__in=segment_ids)
        .values("pair__name")
        .annotate(n=Count("id"), m=Sum("segment__length_m"))
        .order_by("pair__name")
    )
    return [
        _("%(pair)s %(n)d 段 %(m).0f 米") % {"pair": r["pair__name"], "n": r["n"], "m": r["m"]}
        for r in rows
    ]


def network_batches(run: NetworkImport) -> list[AssignmentChange]:
    """The claim batches an import made (one per street office)."""
    ids = run.report.get("batches", [])
    return list(AssignmentChange.objects.filter(pk__in=ids, kind=AssignmentChange.Kind.NETWORK))
