"""What the phone and the supervisors see while patrols are being recorded.

The phone's status runs the patrol rule (`patrols.evaluation.assess_pair`, not stored) over the
stored tracks plus the fixes still staged, so the minutes together / inside / still needed are
the ones the verdict will count once the recording is compacted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.utils import timezone

from geo.geojson import feature, feature_collection
from geo.local_days import local_date
from grids.models import Claim
from patrols.evaluation import assess_pair, params_for_office
from patrols.tracks.cleaning import haversine_m
from patrols.tracks.store import decode_float8_array, fetch_binary, load_points
from recorder.models import Recording, not_compacted
from recorder.staging import max_accuracy_m
from stewards.models import Pair, PairMember

LIVE_MINUTES = 10

_ACCURATE = "(u.acc = 'NaN' OR u.acc <= %(maxacc)s)"

RECORDING_FIXES = f"""
SELECT array_send(coalesce(array_agg(u.t ORDER BY u.t), '{{}}'::float8[])),
       array_send(coalesce(array_agg(u.lon ORDER BY u.t), '{{}}'::float8[])),
       array_send(coalesce(array_agg(u.lat ORDER BY u.t), '{{}}'::float8[]))
FROM recorder_batch b, unnest(b.t, b.lon, b.lat, b.acc) AS u(t, lon, lat, acc)
WHERE b.recording_id = %(rec)s AND {_ACCURATE}
"""

# Fixes not yet in a track: what `load_points` cannot see yet.
STAGED_FOR_STEWARDS = f"""
SELECT r.steward_id,
       array_send(array_agg(u.t ORDER BY u.t)),
       array_send(array_agg(u.lon ORDER BY u.t)),
       array_send(array_agg(u.lat ORDER BY u.t))
FROM recorder_recording r
JOIN recorder_batch b ON b.recording_id = r.id AND {not_compacted()},
     unnest(b.t, b.lon, b.lat, b.acc) AS u(t, lon, lat, acc)
WHERE r.steward_id = ANY(%(ids)s) AND r.started_at < %(end)s
  AND r.started_at >= %(start)s - interval '1 day'
  AND u.t >= %(t0)s AND u.t < %(t1)s AND {_ACCURATE}
GROUP BY r.steward_id
"""


def recording_fixes(recording_id) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    [row] = fetch_binary(RECORDING_FIXES, {"rec": recording_id, "maxacc": max_accuracy_m()})
    t, lon, lat = (decode_float8_array(b) for b in row)
    return t, lon, lat


def load_points_with_staged(steward_ids, start: datetime, end: datetime) -> dict:
    """`load_points` plus the staged fixes of the same stewards in [start, end), sorted by time."""
    ids = sorted({int(i) for i in steward_ids})
    stored = load_points(ids, start, end)
    rows = fetch_binary(
        STAGED_FOR_STEWARDS,
        {
            "ids": ids,
            "start": start,
            "end": end,
            "t0": start.timestamp(),
            "t1": end.timestamp(),
            "maxacc": max_accuracy_m(),
        },
    )
    for sid, *blobs in rows:
        t2, lon2, lat2 = (decode_float8_array(b) for b in blobs)
        t1, lon1, lat1 = stored.get(sid, (np.empty(0),) * 3)
        t = np.concatenate([t1, t2])
        order = np.argsort(t, kind="stable")
        stored[sid] = (
            t[order],
            np.concatenate([lon1, lon2])[order],
            np.concatenate([lat1, lat2])[order],
        )
    return stored


def pair_of(steward_id: int, day: date) -> Pair | None:
    m = (
        PairMember.objects.on(day)
        .filter(steward_id=steward_id)
        .select_related("pair__street_office")
        .first()
    )
    return m.pair if m else None


def _partner(recording: Recording, pair: Pair | None, day: date, now: datetime) -> dict | None:
    """The partner's distance and position now, only while both are recording."""
    if pair is None:
        return None
    partner = (
        (PairMember.objects.on(day).filter(pair=pair).exclude(steward_id=recording.steward_id))
        .select_related("steward")
        .first()
    )
    if partner is None:
        return None
    out = {"name": partner.steward.name, "recording": False, "distance_m": None, "position": None}
    live = (
        Recording.objects.filter(
            steward_id=partner.steward_id,
            status=Recording.Status.OPEN,
            last_fix_at__gte=now - timedelta(minutes=LIVE_MINUTES),
        )
        .order_by("-last_fix_at")
        .first()
    )
    if live is None or recording.status != Recording.Status.OPEN or not recording.last_position:
        return out
    a, b = recording.last_position, live.last_position
    d = haversine_m(np.array([a.x]), np.array([a.y]), np.array([b.x]), np.array([b.y]))
    out.update(recording=True, distance_m=round(float(d[0]), 1), position=[b.x, b.y])
    return out


def status(recording: Recording, now: datetime | None = None) -> dict:
    """Elapsed time, distance, partner, and today's minutes for the phone."""
    now = now or timezone.now()
    t, lon, lat = recording_fixes(recording.pk)
    distance = float(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum()) if t.size > 1 else 0.0
    end = recording.ended_at or now
    day = local_date(recording.last_fix_at or now)
    pair = pair_of(recording.steward_id, day)
    body = {
        "recording": str(recording.pk),
        "status": recording.status,
        "started_at": recording.started_at.isoformat(),
        "elapsed_s": max(0, round((end - recording.started_at).total_seconds())),
        "recorded_s": round(float(t[-1] - t[0]), 1) if t.size > 1 else 0.0,
        "distance_m": round(distance, 1),
        "fixes": int(t.size),
        "day": day.isoformat(),
        "pair": pair.name if pair else None,
        "partner": _partner(recording, pair, day, now),
        "upload": recording.upload_id,
        "compaction_note": recording.compaction_note,
    }
    body.update(_today(pair, day))
    return body


def _today(pair: Pair | None, day: date) -> dict:
    if pair is None:
        return {"minutes_together": 0, "minutes_inside": 0, "minutes_needed": None, "walked": {}}
    result = assess_pair(pair, day, points_loader=load_points_with_staged)
    v = result.verdict
    need = params_for_office(pair.street_office_id).min_minutes
    claimed = {r.segment_id: round(r.covered_share, 3) for r in result.coverage_rows if r.claimed}
    return {
        "minutes_together": round(v.minutes_together, 1),
        "minutes_inside": round(v.minutes_together_inside, 1),
        "minutes_qualifying": round(v.minutes_qualifying, 1),
        "minutes_needed": round(max(0.0, need - v.minutes_qualifying), 1),
        "compliant_so_far": bool(v.compliant),
        "reasons": list(v.reasons),
        "walked": claimed,
    }


def claim_geojson(steward_id: int, day: date) -> dict:
    """The claimed alleys of the steward's pair on `day`, for the phone's map."""
    pair = pair_of(steward_id, day)
    if pair is None:
        return feature_collection([])
    rows = (
        Claim.objects.on(day)
        .filter(pair=pair)
        .select_related("segment")
        .annotate(gj=AsGeoJSON("segment__geom", precision=6))
        .values("segment_id", "segment__name", "gj")
        .distinct()
    )
    return feature_collection(
        feature(r["gj"], {"id": r["segment_id"], "name": r["segment__name"]}) for r in rows
    )


def live_positions(office_id: int, minutes: float = LIVE_MINUTES, now=None) -> dict:
    """Open recordings of the office with a fix in the last `minutes`: the supervisors' map."""
    now = now or timezone.now()
    recs = (
        Recording.objects.filter(
            street_office_id=office_id,
            status=Recording.Status.OPEN,
            last_fix_at__gte=now - timedelta(minutes=minutes),
        )
        .select_related("steward")
        .annotate(gj=AsGeoJSON("last_position", precision=6))
        .order_by("steward__name")
    )
    return feature_collection(
        feature(
            r.gj,
            {
                "steward": r.steward.name,
                "steward_id": r.steward_id,
                "recording": str(r.pk),
                "last_fix_at": r.last_fix_at.isoformat(),
                "accuracy_m": r.last_accuracy_m,
                "started_at": r.started_at.isoformat(),
            },
        )
        for r in recs
        if r.gj
    )
