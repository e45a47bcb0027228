"""Staged fixes → tracks, through the same cleaning, partitions and store as a file upload.

`compact(recording)` claims the recording's batches not yet compacted in one statement (the fixes
as arrays, kept losslessly as the upload's original and rendered as GeoJSON on download: see
`patrols.tracks.formats.fixes_original`), hands them to
`patrols.tracks.ingest.ingest_points` in the same transaction (no savepoint) and queues the
upload's pair-day re-check job once; the finish request also runs the re-check itself, since the
phone waits for the verdict. `compact_idle` does this for recordings that have been silent for a
while (a phone that died or forgot "结束巡查"); `recorder.tasks` runs it every few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from geo.models import StreetOffice
from patrols.evaluation import reevaluate_upload
from patrols.models import TrackUpload
from patrols.tasks import enqueue_recheck
from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import RawPoints, RefKind, TrackFormat
from patrols.tracks.formats.fixes_original import encode_fixes
from patrols.tracks.ingest import ingest_points
from patrols.tracks.store import decode_float8_arrays, fetch_binary
from recorder.models import Recording
from recorder.staging import max_accuracy_m
from stewards.models import Steward

# One statement claims the batches not yet compacted (marking them; rows another compaction holds
# are skipped, so two never take the same batch and neither waits), returns their columns as
# binary float8 arrays (numpy views them; one row per batch, no unnest or sort in PostgreSQL)
# and what the store needs of the recording, its steward and the office's area (on the first row
# only). Its transaction is the store's: a failure un-marks the batches.
_CLAIM = """
WITH b AS (
  UPDATE recorder_batch SET compacted = true
  WHERE id IN (SELECT id FROM recorder_batch WHERE recording_id = %(rec)s AND NOT compacted
               FOR UPDATE SKIP LOCKED)
  RETURNING seq, t, lon, lat, acc
)
SELECT r.steward_id, r.device_id, r.uploaded_by_id, r.started_at, r.status, s.street_office_id,
       CASE WHEN b.seq IS NULL OR b.seq = (SELECT min(seq) FROM b) THEN ST_AsBinary(o.geom) END,
       b.seq, array_send(b.t), array_send(b.lon), array_send(b.lat), array_send(b.acc)
FROM recorder_recording r
JOIN {steward} s ON s.id = r.steward_id
JOIN {office} o ON o.id = s.street_office_id
LEFT JOIN b ON true
WHERE r.id = %(rec)s
ORDER BY b.seq
"""
CLAIM = _CLAIM.format(steward=Steward._meta.db_table, office=StreetOffice._meta.db_table)


@dataclass
class StagedFixes:
    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    acc: np.ndarray

    @property
    def size(self) -> int:
        return int(self.t.size)


@dataclass
class Claimed:
    steward_id: int
    device_id: str
    uploaded_by_id: int | None
    started_at: datetime
    status: str
    office_id: int
    office_area: shapely.Geometry | None
    fixes: StagedFixes


def _sorted_fixes(rows: list[tuple]) -> StagedFixes:
    """The batches' columns joined (each decoded in one numpy pass) and sorted by time, ties in
    batch order."""
    rows = [row for row in rows if row[7] is not None]
    (t, sizes), *rest = (decode_float8_arrays([row[i] for row in rows]) for i in range(8, 12))
    lon, lat, acc = (values for values, _ in rest)
    seq = np.repeat(np.array([row[7] for row in rows], dtype=np.int64), sizes)
    order = np.lexsort((seq, t))
    return StagedFixes(t[order], lon[order], lat[order], acc[order])


def claim(recording_id) -> Claimed | None:
    """The recording's fixes not yet compacted, sorted by time, with its steward's office; marks
    their batches compacted in the caller's transaction. None: no such recording."""
    rows = fetch_binary(CLAIM, {"rec": recording_id})
    if not rows:
        return None
    *head, office_id, area = rows[0][:7]
    geom = shapely.from_wkb(bytes(area)) if area is not None else None
    return Claimed(*head, office_id, geom, _sorted_fixes(rows))


@dataclass
class CompactionResult:
    recording: Recording
    points: int = 0
    inaccurate: int = 0
    upload_id: int | None = None
    duplicate: bool = False
    rejected: str = ""
    verdicts: list = field(default_factory=list)


def _raw_points(fixes: StagedFixes, keep: np.ndarray) -> RawPoints:
    numbers = np.arange(1, fixes.size + 1, dtype=np.int64)  # the point's number in the original
    return RawPoints(
        t=fixes.t[keep],
        lat=fixes.lat[keep],
        lon=fixes.lon[keep],
        seg=np.zeros(int(keep.sum()), dtype=np.int64),
        ref=numbers[keep],
        ref_kind=RefKind.POINT,
        format=TrackFormat.GEOJSON,
    )


def _ingest(rid, got: Claimed, result: CompactionResult, durable: bool) -> None:
    fixes = got.fixes
    with np.errstate(invalid="ignore"):
        inaccurate = fixes.acc > max_accuracy_m()
    result.points, result.inaccurate = fixes.size, int(inaccurate.sum())
    name = f"patrol-{got.started_at:%Y%m%d-%H%M}-{str(rid)[:8]}.geojson"
    try:
        ingest = ingest_points(
            _raw_points(fixes, ~inaccurate),
            encode_fixes(fixes.t, fixes.lon, fixes.lat, fixes.acc),
            filename=name,
            steward=Steward(pk=got.steward_id, street_office_id=got.office_id),
            uploaded_by=got.uploaded_by_id,
            origin={"device_id": got.device_id, "recording": str(rid)},
            office_area=got.office_area,
            enqueue=enqueue_recheck if durable else None,
            in_transaction=True,
        )
    except TrackRejected as exc:
        result.rejected = exc.message
    else:
        result.upload_id, result.duplicate = ingest.upload.pk, ingest.duplicate


def compact(
    recording: Recording, *, close: bool = False, recheck: bool = True, answer: bool = False
) -> CompactionResult:
    """Compact one recording's staged fixes into tracks (and close it when asked).

    With `recheck`, the pair-day re-check job is queued in the storing transaction (once); with
    `answer` (the phone waits for the day's verdict) the re-check also runs now. `recheck=False`
    leaves it to the caller (the benchmark times it apart, as `ingest_file` is timed apart from
    its view's re-check).
    """
    result = CompactionResult(recording)
    now = timezone.now()
    with transaction.atomic():
        got = claim(recording.pk)
        if got is None:
            return result
        changes: dict = {}
        if close and got.status != Recording.Status.CLOSED:
            changes = {"status": Recording.Status.CLOSED, "ended_at": now, "upload_key_hash": ""}
        if got.fixes.size:
            _ingest(recording.pk, got, result, durable=recheck)
            changes |= {"compaction_note": result.rejected, "compacted_at": now}
            if result.upload_id is not None:
                changes["upload_id"] = result.upload_id
        if changes:
            Recording.objects.filter(pk=recording.pk).update(**changes)
            for key, value in changes.items():
                setattr(recording, key, value)
    if answer and result.upload_id is not None and not result.duplicate:
        # The job queued with the tracks makes sure the re-check happens even if this process
        # dies first; re-running it is harmless (a verdict is a function of the stored tracks).
        result.verdicts = reevaluate_upload(TrackUpload.objects.get(pk=result.upload_id))
    return result


def idle_minutes() -> float:
    return float(getattr(settings, "ALLEY_RECORDER_IDLE_MINUTES", 10))


def close_after_hours() -> float:
    return float(getattr(settings, "ALLEY_RECORDER_CLOSE_AFTER_HOURS", 6))


def compact_idle(idle: float | None = None, now=None) -> list[CompactionResult]:
    """Compact recordings silent for `idle` minutes that have staged fixes; close stale ones."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=idle_minutes() if idle is None else idle)
    stale = now - timedelta(hours=close_after_hours())
    pending = (
        Recording.objects.filter(last_batch_at__lt=cutoff, batches__compacted=False)
        .distinct()
        .order_by("last_batch_at")
    )
    # No re-check here: each compaction queues its job (nobody waits for the answer).
    results = [compact(rec, close=rec.last_batch_at < stale) for rec in pending]
    Recording.objects.filter(status=Recording.Status.OPEN, created_at__lt=stale).exclude(
        last_batch_at__gte=stale
    ).update(status=Recording.Status.CLOSED, ended_at=now, upload_key_hash="")
    return results
