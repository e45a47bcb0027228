"""Staged fixes → tracks, through the same cleaning, partitions and store as a file upload.

`compact(recording)` reads the recording's batches not yet compacted in one query (the fixes as
arrays, plus a CSV of them that PostgreSQL writes and that is kept as the upload's original),
hands them to `patrols.tracks.ingest.ingest_points`, marks those batches compacted, and then runs
the upload's pair-day re-check (`patrols.evaluation.reevaluate_upload`). `compact_idle` does this
for recordings that have been silent for a while (a phone that died or forgot "结束巡查").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from patrols.evaluation import reevaluate_upload
from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import RawPoints, RefKind, TrackFormat
from patrols.tracks.ingest import ingest_points
from patrols.tracks.store import decode_float8_array, fetch_binary
from recorder.models import Recording
from recorder.staging import max_accuracy_m

CSV_HEADER = b"time,lat,lon,accuracy_m\n"

# The batch rows are unnested and sorted by time once in the server (the aggregates keep the
# sorted input's order); array_send hands the columns back as binary float8 arrays (numpy views
# them), and string_agg writes the CSV original in C.
STAGED = """
WITH f AS (
  SELECT u.t, u.lon, u.lat, u.acc, b.id
  FROM recorder_batch b, unnest(b.t, b.lon, b.lat, b.acc) AS u(t, lon, lat, acc)
  WHERE b.recording_id = %(rec)s AND (%(all)s OR NOT b.compacted)
  ORDER BY u.t, b.seq
)
SELECT array_send(coalesce(array_agg(t), '{}'::float8[])),
       array_send(coalesce(array_agg(lon), '{}'::float8[])),
       array_send(coalesce(array_agg(lat), '{}'::float8[])),
       array_send(coalesce(array_agg(acc), '{}'::float8[])),
       coalesce(string_agg(
         to_char(to_timestamp(t) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
         || ',' || lat::text || ',' || lon::text || ','
         || CASE WHEN acc = 'NaN' THEN '' ELSE acc::text END, E'\\n'), ''),
       max(id)
FROM f
"""


@dataclass
class StagedFixes:
    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    acc: np.ndarray
    csv: bytes = b""
    max_batch_id: int | None = None

    @property
    def size(self) -> int:
        return int(self.t.size)


def staged_fixes(recording_id, *, include_compacted: bool = False) -> StagedFixes:
    """The recording's staged fixes sorted by time (all of them, or only those not compacted)."""
    [row] = fetch_binary(STAGED, {"rec": recording_id, "all": include_compacted})
    t, lon, lat, acc = (decode_float8_array(b) for b in row[:4])
    csv = row[4] if isinstance(row[4], str) else bytes(row[4]).decode()
    return StagedFixes(t, lon, lat, acc, csv.encode(), row[5])


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
    lines = np.arange(2, fixes.size + 2, dtype=np.int64)  # line numbers in the CSV original
    return RawPoints(
        t=fixes.t[keep],
        lat=fixes.lat[keep],
        lon=fixes.lon[keep],
        seg=np.zeros(int(keep.sum()), dtype=np.int64),
        ref=lines[keep],
        ref_kind=RefKind.LINE,
        format=TrackFormat.CSV,
    )


def _mark_compacted(recording: Recording, max_batch_id: int) -> None:
    with connection.cursor() as cur:
        # Only the batches read: one that arrived meanwhile waits for the next compaction.
        cur.execute(
            "UPDATE recorder_batch SET compacted = true "
            "WHERE recording_id = %s AND NOT compacted AND id <= %s",
            [recording.pk, max_batch_id],
        )


def _store(recording: Recording, result: CompactionResult) -> object | None:
    """In the caller's transaction: read, ingest, mark. Returns the new upload (or None)."""
    fixes = staged_fixes(recording.pk)
    if fixes.size == 0:
        return None
    with np.errstate(invalid="ignore"):
        inaccurate = fixes.acc > max_accuracy_m()
    result.points, result.inaccurate = fixes.size, int(inaccurate.sum())
    name = f"patrol-{recording.started_at:%Y%m%d-%H%M}-{str(recording.pk)[:8]}.csv"
    try:
        ingest = ingest_points(
            _raw_points(fixes, ~inaccurate),
            CSV_HEADER + fixes.csv + b"\n",
            filename=name,
            steward=recording.steward,
            uploaded_by=recording.uploaded_by,
            device_id=recording.device_id,
        )
    except TrackRejected as exc:
        result.rejected = exc.message
        recording.compaction_note = exc.message
    else:
        result.upload_id, result.duplicate = ingest.upload.pk, ingest.duplicate
        recording.upload = ingest.upload
        recording.compaction_note = ""
    _mark_compacted(recording, fixes.max_batch_id)
    recording.compacted_at = timezone.now()
    recording.save(update_fields=["upload", "compaction_note", "compacted_at"])
    return None if result.rejected or result.duplicate else recording.upload


def compact(
    recording: Recording, *, close: bool = False, skip_locked: bool = False, recheck: bool = True
):
    """Compact one recording (and close it when asked); then re-check its pair-days.

    `recheck=False` leaves the re-check to the caller (the benchmark times it apart, as the file
    path's `ingest_file` is timed apart from its view's re-check).
    """
    with transaction.atomic():
        locked = Recording.objects.select_for_update(skip_locked=skip_locked, of=("self",)).filter(
            pk=recording.pk
        )
        rec = locked.select_related("steward__street_office", "uploaded_by").first()
        if rec is None:  # another worker holds it
            return CompactionResult(recording)
        result = CompactionResult(rec)
        if close and rec.status != Recording.Status.CLOSED:
            rec.status, rec.ended_at = Recording.Status.CLOSED, timezone.now()
            rec.save(update_fields=["status", "ended_at"])
        upload = _store(rec, result)
    if upload is not None and recheck:
        # The one entry point a file upload uses; the lead may move it to a background job.
        result.verdicts = reevaluate_upload(upload)
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
    results = [compact(rec, close=rec.last_batch_at < stale, skip_locked=True) for rec in pending]
    Recording.objects.filter(status=Recording.Status.OPEN, created_at__lt=stale).exclude(
        last_batch_at__gte=stale
    ).update(status=Recording.Status.CLOSED, ended_at=now)
    return results
