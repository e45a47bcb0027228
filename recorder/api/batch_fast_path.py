"""POST /api/recordings/<id>/batches/ without DRF in the way of a good batch: the hot path (every
recording phone sends one every 20–30 s).

A well-formed batch carrying its recording's upload key (`Authorization: Recording <key>`, the
phone's path: recorder/upload_keys.py), a valid token, or from a logged-in session that passes the CSRF check, as
DRF's SessionAuthentication asks) for the caller's own recording is stored by ONE statement
(`STORE_FAST`: token → active user, ownership, the recording's time window, `INSERT … ON CONFLICT
DO NOTHING`, the recording's last position) and answered 201. Anything else — no or bad
credentials, a resend, a recording that is not the caller's, a body that fails any check — is
handed untouched to the DRF view, which answers as it always has (same statuses, JSON bodies and
CSRF rule). The fast path only ever answers 201, so what it does is a subset of what the DRF view
does; `tests/recorder/test_batch_fast_path.py` holds the two to the same answers.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import chain

import numpy as np
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied

from recorder.staging import (
    EARLY_TOLERANCE_S,
    MAX_FIXES,
    MAX_RECORDING_S,
    MAX_SEQ,
    UPDATE_LAST_SEEN,
    BatchRejected,
    check_ranges,
)
from recorder.upload_keys import key_from_header, key_hash

# A body larger than this is not a phone's batch (600 fixes ≈ 60 kB): the DRF view deals with it.
MAX_FAST_BODY = 256 * 1024
_VALUE_TYPES = {int, float, type(None)}

_WHO = {
    "token": """r.uploaded_by_id = (SELECT k.user_id FROM authtoken_token k
                 JOIN auth_user u ON u.id = k.user_id WHERE k.key = %(key)s AND u.is_active)""",
    "session": "r.uploaded_by_id = %(uid)s",
    # The recording's upload key (recorder/upload_keys.py): its hash, the recording still open,
    # its uploader still active — checked here, so a key batch is one round trip.
    "key": """r.upload_key_hash = %(khash)s AND r.status = 'open'
              AND EXISTS (SELECT 1 FROM auth_user u WHERE u.id = r.uploaded_by_id AND u.is_active)""",
}
# The DRF path's two queries and STORE_BATCH in one statement; nothing is written unless the
# caller owns the recording and every fix lies in its window (start − 10 min … start + 1 day).
_STORE_FAST = (
    """
WITH rec AS (
  SELECT r.id FROM recorder_recording r
  WHERE r.id = %(rec)s AND {who}
    AND extract(epoch FROM r.started_at) BETWEEN %(tmax)s - %(span)s AND %(tmin)s + %(early)s
), ins AS (
  INSERT INTO recorder_batch (recording_id, seq, received_at, t, lon, lat, acc)
  SELECT rec.id, %(seq)s, now(), %(t)s::float8[], %(lon)s::float8[], %(lat)s::float8[],
         %(acc)s::float8[]
  FROM rec
  ON CONFLICT (recording_id, seq) DO NOTHING
  RETURNING 1
)"""
    + UPDATE_LAST_SEEN
)
STORE_FAST = {kind: _STORE_FAST.format(who=who) for kind, who in _WHO.items()}


def _no_constants(name: str) -> float:
    raise ValueError(name)  # NaN / Infinity: DRF's strict JSON parser refuses them


def good_batch(body: bytes, now: float) -> tuple[int, np.ndarray] | None:
    """(seq, fixes as an n×4 array t/lon/lat/acc) when every check the DRF view makes (except the
    recording's window, checked in SQL) passes; None sends the request to the DRF view."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except ValueError:
        return None
    if type(data) is not dict:
        return None
    seq, fixes = data.get("seq"), data.get("fixes")
    if type(seq) is not int or not 0 <= seq <= MAX_SEQ:
        return None
    if type(fixes) is not list or not 1 <= len(fixes) <= MAX_FIXES:
        return None
    try:
        rows = [(f["t"], f["lon"], f["lat"], f["acc"]) for f in fixes]
    except (TypeError, KeyError):
        return None
    if not set(map(type, chain.from_iterable(rows))) <= _VALUE_TYPES:
        return None
    try:
        arr = np.array(rows, dtype=np.float64)  # None → NaN
    except (OverflowError, ValueError, TypeError):
        return None
    if np.isnan(arr[:, :3]).any():  # a missing t/lon/lat: the DRF view names the fix
        return None
    try:
        check_ranges(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], None, now)
    except BatchRejected:
        return None
    return seq, arr


def _pg_array(values: np.ndarray) -> str:
    # repr() is the shortest exact decimal of a float; PostgreSQL reads "nan" as NaN.
    return "{" + ",".join(map(repr, values.tolist())) + "}"


def _params(recording_id: uuid.UUID, seq: int, arr: np.ndarray) -> dict:
    t = arr[:, 0]
    last = int(np.argmax(t))
    lacc = float(arr[last, 3])
    return {
        "rec": recording_id,
        "seq": seq,
        "t": _pg_array(t),
        "lon": _pg_array(arr[:, 1]),
        "lat": _pg_array(arr[:, 2]),
        "acc": _pg_array(arr[:, 3]),
        "tmin": float(t.min()),
        "tmax": float(t[last]),
        "early": EARLY_TOLERANCE_S,
        "span": MAX_RECORDING_S,
        "lt": datetime.fromtimestamp(float(t[last]), UTC),
        "llon": float(arr[last, 1]),
        "llat": float(arr[last, 2]),
        "lacc": None if lacc != lacc else lacc,
    }


def _execute(sql: str, params: dict) -> bool:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone() is not None


def _store(sql: str, params: dict) -> bool:
    """Run the statement on the kept connection without the per-request `SELECT 1` health check:
    a connection that broke meanwhile fails the statement itself, which then runs once more on a
    new one (safe: a stored batch is never stored twice)."""
    if connection.connection is not None:
        connection.health_check_done = True
    try:
        return _execute(sql, params)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return _execute(sql, params)


def _token_key(header: bytes) -> str | None:
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return None
    try:
        return parts[1].decode()
    except UnicodeError:
        return None


def _who(request: HttpRequest) -> tuple[str, dict] | None:
    """("token", {key}) or ("session", {uid}) when the caller can be identified the way DRF
    would accept (token first, then a session with a passing CSRF check); else None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        upload_key = key_from_header(header)
        if upload_key is not None:
            return "key", {"khash": key_hash(upload_key)}
        key = _token_key(header.encode("iso-8859-1", "replace"))
        return None if key is None else ("token", {"key": key})
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        SessionAuthentication().enforce_csrf(request)
    except PermissionDenied:
        return None
    return "session", {"uid": user.pk}


def fast_batch(request: HttpRequest, pk: uuid.UUID) -> HttpResponse | None:
    """201 for a good batch stored now; None: let the DRF view answer."""
    if request.content_type != "application/json" or request.encoding not in (None, "utf-8"):
        return None
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length.isdigit() or int(length) > MAX_FAST_BODY:
        return None
    who = _who(request)
    if who is None:
        return None
    batch = good_batch(request.body, time.time())
    if batch is None:
        return None
    seq, arr = batch
    kind, ident = who
    if not _store(STORE_FAST[kind], _params(pk, seq, arr) | ident):
        return None  # not the caller's, outside the window, a resend …: the DRF view says which
    response = HttpResponse(
        b'{"stored":true,"seq":%d,"fixes":%d}' % (seq, arr.shape[0]),
        status=201,
        content_type="application/json",
    )
    response["Vary"] = "Accept"
    response["Allow"] = "POST, OPTIONS"
    return response


def with_fast_path(drf_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The DRF view's callable, answering good batches itself (keeps `cls`/`initkwargs` so that
    the OpenAPI schema still documents the DRF view)."""

    def view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
        if request.method == "POST":
            response = fast_batch(request, pk)
            if response is not None:
                return response
        return drf_view(request, pk=pk)

    view.cls = drf_view.cls
    view.initkwargs = drf_view.initkwargs
    view.csrf_exempt = True  # as DRF's: CSRF is checked for session callers only (above / DRF)
    return view
