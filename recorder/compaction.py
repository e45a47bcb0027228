"""Staged fixes → tracks, through the same cleaning, partitions and store as a file upload.

`compact(recording)` takes the recording's batches not yet compacted in one statement (the fixes
as arrays; a GeoJSON of them is kept as the upload's original),
hands them to `patrols.tracks.ingest.ingest_points`, marks those batches compacted, and then runs
the upload's pair-day re-check (`patrols.evaluation.reevaluate_upload`). `compact_idle` does this
for recordings that have been silent for a while (a phone that died or forgot "结束巡查").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from geo.geojson import feature
from patrols.evaluation import reevaluate_upload
from patrols.tasks import enqueue_recheck
from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import RawPoints, RefKind, TrackFormat
from patrols.tracks.ingest import ingest_points
from patrols.tracks.store import decode_float8_array, fetch_binary
from recorder.models import Recording
from recorder.staging import max_accuracy_m

# One statement takes the batches not yet compacted (marking them, so a batch that arrives
# meanwhile waits for the next compaction), unnests and sorts their fixes by time once (the
# aggregates keep the sorted input's order) and hands the columns back as binary float8 arrays
# that numpy views.
TAKE_STAGED = """
WITH b AS (
  UPDATE recorder_batch SET compacted = true
  WHERE recording_id = %(rec)s AND NOT compacted
  RETURNING seq, t, lon, lat, acc
), f AS (
  SELECT u.t, u.lon, u.lat, u.acc
  FROM b, unnest(b.t, b.lon, b.lat, b.acc) AS u(t, lon, lat, acc)
  ORDER BY u.t, b.seq
)
SELECT array_send(coalesce(array_agg(t), '{}'::float8[])),
       array_send(coalesce(array_agg(lon), '{}'::float8[])),
       array_send(coalesce(array_agg(lat), '{}'::float8[])),
       array_send(coalesce(array_agg(acc), '{}'::float8[]))
FROM f
"""


@dataclass
class StagedFixes:
    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    acc: np.ndarray

    @property
    def size(self) -> int:
        return int(self.t.size)


def take_staged(recording_id) -> StagedFixes:
    """The recording's fixes not yet compacted, sorted by time; marks their batches compacted
    (in the caller's transaction: a failure un-marks them)."""
    [row] = fetch_binary(TAKE_STAGED, {"rec": recording_id})
    return StagedFixes(*(decode_float8_array(b) for b in row))


def original_geojson(fixes: StagedFixes, name: str) -> bytes:
    """The fixes as the upload's kept original: one GeoJSON line with per-vertex ISO times and
    accuracies, which the file path reads back into the same track (numpy and the C JSON
    encoder write it; no Python per point)."""
    ms = np.round(fixes.t * 1000).astype("datetime64[ms]")
    times = np.char.add(np.datetime_as_string(ms, unit="ms"), "Z")
    acc = np.where(np.isnan(fixes.acc), None, fixes.acc)
    line = {"type": "LineString", "coordinates": np.column_stack([fixes.lon, fixes.lat]).tolist()}
    props = {"name": name, "times": times.tolist(), "accuracy_m": acc.tolist()}
    doc = {"type": "FeatureCollection", "features": [feature(line, props)]}
    return json.dumps(doc, separators=(",", ":")).encode()


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


def _store(recording: Recording, result: CompactionResult, durable: bool) -> object | None:
    """In the caller's transaction: take, ingest, note. Returns the new upload (or None).
    With `durable`, the pair-day re-check job is queued in this same transaction."""
    fixes = take_staged(recording.pk)
    if fixes.size == 0:
        recording.save(update_fields=["status", "ended_at"])
        return None
    with np.errstate(invalid="ignore"):
        inaccurate = fixes.acc > max_accuracy_m()
    result.points, result.inaccurate = fixes.size, int(inaccurate.sum())
    name = f"patrol-{recording.started_at:%Y%m%d-%H%M}-{str(recording.pk)[:8]}.geojson"
    try:
        ingest = ingest_points(
            _raw_points(fixes, ~inaccurate),
            original_geojson(fixes, name),
            filename=name,
            steward=recording.steward,
            uploaded_by=recording.uploaded_by,
            origin={"device_id": recording.device_id, "recording": str(recording.pk)},
            enqueue=enqueue_recheck if durable else None,
        )
    except TrackRejected as exc:
        result.rejected = exc.message
        recording.compaction_note = exc.message
    else:
        result.upload_id, result.duplicate = ingest.upload.pk, ingest.duplicate
        recording.upload = ingest.upload
        recording.compaction_note = ""
    recording.compacted_at = timezone.now()
    recording.save(
        update_fields=["status", "ended_at", "upload", "compaction_note", "compacted_at"]
    )
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
        upload = _store(rec, result, durable=recheck)  # saves the recording once
    if upload is not None and recheck:
        # The phone waits for the day's answer, so it is computed now as well; the job queued with
        # the tracks makes sure the re-check happens even if this process dies first (re-running
        # it is harmless: a verdict is a function of the stored tracks).
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
