"""Patrol jobs (procrastinate, see jobs/queue.py): the re-check after an upload, the nightly
evaluation fanned out one job per street office and day, and the monthly track pruning."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import override
from rest_framework.renderers import JSONRenderer

from geo.models import StreetOffice
from jobs.queue import enqueue, job, periodic
from patrols.api.verdict_serializers import PairDayVerdictSerializer
from patrols.evaluation import evaluate_street_office, params_for_office, reevaluate_upload
from patrols.models import TrackUpload
from patrols.verdict_text import reasons_in_language


def verdict_summary(verdicts) -> list[dict]:
    """The re-checked pair-days as the upload API showed them before (JSON for the job result)."""
    data = json.loads(JSONRenderer().render(PairDayVerdictSerializer(verdicts, many=True).data))
    # The page that waits reads the reasons in its own language (stored ones are in Chinese).
    for row, v in zip(data, verdicts, strict=True):
        params = params_for_office(v.pair.street_office_id)
        row["reasons_by_language"] = {}
        for code, _name in settings.LANGUAGES:
            with override(code):
                row["reasons_by_language"][code] = reasons_in_language(
                    v.reasons, v.failed_codes, v.numbers, params
                )
    return data


@job("patrols.recheck_upload", queue="rechecks")
def recheck_upload(upload_id: int) -> list[dict]:
    """The pair-days a stored upload touches, re-checked against the rule (verdicts stored)."""
    upload = TrackUpload.objects.filter(id=upload_id).first()
    if upload is None:  # pruned or deleted since: nothing left to check
        return []
    return verdict_summary(reevaluate_upload(upload))


def enqueue_recheck(upload: TrackUpload, requested_by=None) -> int:
    """Defer the re-check of `upload`; call it inside the transaction that stores the upload."""
    return enqueue(recheck_upload, requested_by=requested_by, upload_id=upload.id)


@job("patrols.evaluate_office_day", queue="evaluation")
def evaluate_office_day(office_id: int, day: str) -> dict:
    """One street office, one day: verdicts and walked coverage of every pair (one process: the
    parallelism comes from many such jobs on many workers)."""
    office = StreetOffice.objects.get(id=office_id)
    d = date.fromisoformat(day)
    stats = evaluate_street_office(office, d, d, workers=1)
    return {"pair_days": stats.pair_days, "compliant": stats.compliant}


def fan_out_evaluation(days: list[date], office_ids: list[int] | None = None) -> list[int]:
    """One job per street office and day; returns the job ids."""
    if office_ids is None:
        office_ids = list(StreetOffice.objects.order_by("id").values_list("id", flat=True))
    # One lock per office-day: a manual re-run and the nightly job never write the same rows at once.
    return [
        evaluate_office_day.configure(lock=f"evaluate:{o}:{d.isoformat()}").defer(
            office_id=o, day=d.isoformat()
        )
        for d in days
        for o in office_ids
    ]


@periodic("30 1 * * *", "patrols.nightly_evaluation")
def nightly_evaluation() -> None:
    """Yesterday (local) for every street office, after the day's uploads are in."""
    fan_out_evaluation([timezone.localdate() - timedelta(days=1)])


@periodic("0 3 1 * *", "patrols.monthly_prune_tracks")
def monthly_prune_tracks() -> None:
    from patrols.tracks.partitions import prune

    prune(settings.ALLEY_TRACK_RETENTION_MONTHS, dry_run=False)
