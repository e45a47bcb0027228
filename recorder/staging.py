"""Opening a recording and staging its batches: validation, then one idempotent INSERT.

A batch is stored exactly once per (recording, seq): the INSERT meets the unique constraint with
ON CONFLICT DO NOTHING, so a phone that never heard the answer may send it again safely.
Out-of-order batches are fine: compaction orders every fix by time.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from patrols.tracks.cleaning import EPOCH_2000
from recorder.models import Recording
from stewards.models import Steward

DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Seven digits in a row could be (part of) a phone or ID-card number: never accepted as a device.
DIGIT_RUN = re.compile(r"[0-9]{7}")
MAX_FIXES = 600  # 10 minutes at 1 Hz: a phone that was offline sends its backlog in parts
MAX_SEQ = 1_000_000
FUTURE_TOLERANCE_S = 600.0
EARLY_TOLERANCE_S = 600.0  # fixes a little before "开始巡查" (the phone's clock vs the tap)
MAX_RECORDING_S = 86400.0


class BatchRejected(Exception):
    """Input a person (or the app's developer) can fix; carries an HTTP status and a code."""

    def __init__(self, message: str, code: str, status: int = 400, fix: int | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.fix = message, code, status, fix


@dataclass
class Fixes:
    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    acc: np.ndarray


def _is_number(v: object) -> bool:
    return type(v) in (int, float)


def parse_recording_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BatchRejected(
            _("记录编号“%(id)s”不是有效的 UUID。") % {"id": str(value)[:60]}, "bad_recording_id"
        ) from None


def open_recording(
    steward: Steward, user, *, recording_id: object, device_id: object, started_at: object
) -> tuple[Recording, bool]:
    """Create the recording the phone named (or return it again); (recording, created)."""
    rid = parse_recording_id(recording_id) if recording_id not in (None, "") else uuid.uuid4()
    if (
        not isinstance(device_id, str)
        or not DEVICE_ID.match(device_id)
        or DIGIT_RUN.search(device_id)
    ):
        raise BatchRejected(
            _(
                "设备标识应为 8–64 位字母、数字、下划线或连字符，且不含连续 7 位数字"
                "（由应用随机生成，不能是手机号）。"
            ),
            "bad_device_id",
        )
    now = time.time()
    start = now if started_at in (None, "") else started_at
    if not _is_number(start) or not (EPOCH_2000 <= start <= now + FUTURE_TOLERANCE_S):
        raise BatchRejected(
            _("开始时间应为 2000 年以后、不晚于现在的 UTC 纪元秒。"), "bad_started_at"
        )
    existing = Recording.objects.filter(pk=rid).first()
    if existing is not None:
        if existing.steward_id != steward.id or existing.device_id != device_id:
            raise BatchRejected(
                _("记录编号已被另一位管家或另一台设备使用，请重新开始巡查。"),
                "recording_taken",
                409,
            )
        return existing, False
    try:
        with transaction.atomic():
            rec = Recording.objects.create(
                id=rid,
                steward=steward,
                street_office_id=steward.street_office_id,
                device_id=device_id,
                started_at=datetime.fromtimestamp(start, UTC),
                uploaded_by=user,
            )
    except IntegrityError:  # the same open sent twice at once
        return open_recording(
            steward, user, recording_id=rid, device_id=device_id, started_at=started_at
        )
    return rec, True


def _column(fixes: list, key: str, index_of_bad: list[int]) -> list:
    values = [f.get(key) if isinstance(f, dict) else None for f in fixes]
    for i, v in enumerate(values):
        if not _is_number(v) and not (key == "acc" and v is None):
            index_of_bad.append(i)
            break
    return values


def _floats(values: list) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except OverflowError:  # an integer beyond float8: infinite, refused by the range checks
        big = 2.0**1023
        return np.asarray(
            [(math.inf if v > 0 else -math.inf) if abs(v) > big else v for v in values],
            dtype=np.float64,
        )


def parse_fixes(body: object, started_at: float, now: float | None = None) -> tuple[int, Fixes]:
    """{seq, fixes:[{t, lon, lat, acc}]} → (seq, arrays), or BatchRejected naming the fix."""
    if not isinstance(body, dict):
        raise BatchRejected(_("请求体应为 JSON 对象 {seq, fixes}。"), "bad_body")
    seq = body.get("seq")
    if type(seq) is not int or not 0 <= seq <= MAX_SEQ:
        raise BatchRejected(_("seq 应为 0 到 %(max)d 之间的整数。") % {"max": MAX_SEQ}, "bad_seq")
    fixes = body.get("fixes")
    if not isinstance(fixes, list) or not 1 <= len(fixes) <= MAX_FIXES:
        raise BatchRejected(
            _("fixes 应为含 1 到 %(max)d 个定位点的列表。") % {"max": MAX_FIXES}, "bad_fixes"
        )
    cols = {}
    for key in ("t", "lon", "lat", "acc"):
        bad: list[int] = []
        cols[key] = _column(fixes, key, bad)
        if bad:
            raise BatchRejected(
                _("第 %(i)d 个定位点缺少数值字段 %(key)s。") % {"i": bad[0] + 1, "key": key},
                "bad_fix",
                fix=bad[0],
            )
    t, lon, lat = _floats(cols["t"]), _floats(cols["lon"]), _floats(cols["lat"])
    acc = _floats([math.nan if a is None else a for a in cols["acc"]])
    check_ranges(t, lon, lat, acc, started_at, time.time() if now is None else now)
    return seq, Fixes(t, lon, lat, acc)


def _first(mask: np.ndarray) -> int | None:
    return int(np.flatnonzero(mask)[0]) if mask.any() else None


def check_ranges(
    t: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    acc: np.ndarray,
    start: float | None,
    now: float,
) -> None:
    """BatchRejected naming the first bad fix; `start` None skips the recording's window (the
    batch fast path checks it in SQL)."""
    window = (
        (t < start - EARLY_TOLERANCE_S) | (t > start + MAX_RECORDING_S)
        if start is not None
        else None
    )
    checks = [
        (
            ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90),
            "bad_coordinates",
            _("第 %(i)d 个定位点坐标超出范围（经度 -180–180，纬度 -90–90）。"),
        ),
        (
            ~np.isfinite(t) | (t > now + FUTURE_TOLERANCE_S),
            "time_in_future",
            _("第 %(i)d 个定位点的时间在未来：请检查手机时钟。"),
        ),
        (
            window,
            "time_outside_recording",
            _("第 %(i)d 个定位点的时间不在这次巡查内（开始前或开始一天以后）。"),
        ),
        (
            np.isfinite(acc) & (acc < 0) | np.isinf(acc),
            "bad_accuracy",
            _("第 %(i)d 个定位点的精度应为非负数或 null。"),
        ),
    ]
    for mask, code, message in checks:
        if mask is not None and (i := _first(mask)) is not None:
            raise BatchRejected(message % {"i": i + 1}, code, fix=i)


# After an INSERT … RETURNING named `ins`: the recording's "last seen" moves only when the batch
# row was new, and its last position only when the batch holds a later fix (batches come in any
# order). Shared by STORE_BATCH and the fast path's single statement.
UPDATE_LAST_SEEN = """
UPDATE recorder_recording r SET
  last_batch_at = now(),
  last_fix_at = CASE WHEN r.last_fix_at IS NULL OR r.last_fix_at < %(lt)s THEN %(lt)s
                ELSE r.last_fix_at END,
  last_position = CASE WHEN r.last_fix_at IS NULL OR r.last_fix_at < %(lt)s
                  THEN ST_SetSRID(ST_MakePoint(%(llon)s, %(llat)s), 4326) ELSE r.last_position END,
  last_accuracy_m = CASE WHEN r.last_fix_at IS NULL OR r.last_fix_at < %(lt)s THEN %(lacc)s
                    ELSE r.last_accuracy_m END
WHERE r.id = %(rec)s AND EXISTS (SELECT 1 FROM ins)
RETURNING 1
"""

# One statement: the batch row once, and the recording's "last seen" only when it was new.
STORE_BATCH = (
    """
WITH ins AS (
  INSERT INTO recorder_batch (recording_id, seq, received_at, t, lon, lat, acc)
  VALUES (%(rec)s, %(seq)s, now(), %(t)s, %(lon)s, %(lat)s, %(acc)s)
  ON CONFLICT (recording_id, seq) DO NOTHING
  RETURNING 1
)"""
    + UPDATE_LAST_SEEN
)


# The hot path's only other query: the recording's start, if this account recorded it.
RECORDING_START = """
SELECT extract(epoch FROM started_at) FROM recorder_recording WHERE id = %s AND uploaded_by_id = %s
"""


def recording_start(recording_id: uuid.UUID, user_id: int) -> float | None:
    """Epoch start of the recording if `user_id` opened it (raw SQL: this runs for every batch)."""
    with connection.cursor() as cur:
        cur.execute(RECORDING_START, [recording_id, user_id])
        row = cur.fetchone()
    return None if row is None else float(row[0])


def store_batch(recording_id: uuid.UUID, seq: int, fixes: Fixes) -> bool:
    """Stage one batch; False when this (recording, seq) was stored before (a resend)."""
    last = int(np.argmax(fixes.t))
    lacc = float(fixes.acc[last])
    params = {
        "rec": recording_id,
        "seq": seq,
        "t": fixes.t.tolist(),
        "lon": fixes.lon.tolist(),
        "lat": fixes.lat.tolist(),
        "acc": fixes.acc.tolist(),
        "lt": datetime.fromtimestamp(float(fixes.t[last]), UTC),
        "llon": float(fixes.lon[last]),
        "llat": float(fixes.lat[last]),
        "lacc": None if math.isnan(lacc) else lacc,
    }
    with connection.cursor() as cur:
        cur.execute(STORE_BATCH, params)
        return cur.fetchone() is not None


def max_accuracy_m() -> float:
    """Fixes less precise than this are kept in the original but not in the track."""
    return float(getattr(settings, "ALLEY_RECORDER_MAX_ACCURACY_M", 100.0))
