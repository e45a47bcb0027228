"""Track upload: parse → convert to WGS-84 → clean → COPY, all or nothing.

One entry point (`ingest_file`) serves the API, the mobile page, the simulator and the benchmark.
A rejected upload raises `TrackRejected` before anything is written; a failure while writing
rolls the transaction back and deletes the stored original, so nothing is left behind.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import IO

import numpy as np
import shapely
from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.coords import CRS, to_wgs84
from patrols.models import TrackUpload
from patrols.tracks.cleaning import CleaningParams, CleanTrack, clean
from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import RawPoints, TrackFormat, detect_format, read_points
from patrols.tracks.partitions import ensure_partitions
from patrols.tracks.queries import COPY_TRACKS
from stewards.models import Steward

__all__ = ["IngestResult", "TrackRejected", "ingest_file", "ingest_points", "max_upload_bytes"]

_READ_BLOCK = 1 << 20
_WHOLE_BYTES = 16 << 20  # read into memory at once up to this size


def max_upload_bytes() -> int:
    return int(getattr(settings, "ALLEY_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))


@dataclass
class IngestResult:
    upload: TrackUpload
    duplicate: bool
    report: dict = field(default_factory=dict)
    # The job `ingest_file(..., enqueue=...)` deferred in the upload's own transaction.
    job_id: int | None = None

    @cached_property
    def track_ids(self) -> list[int]:
        # Asked for only by callers that show the tracks: bulk ingest saves the round trip.
        return list(self.upload.tracks.order_by("started_at").values_list("id", flat=True))


def _too_large(limit: int) -> TrackRejected:
    return TrackRejected(
        _("文件超过 %(mb).0f MB 的上限，请按天分开导出后再上传。") % {"mb": limit / 1024 / 1024},
        413,
        code="too_large",
    )


def _size_and_checksum(fileobj: IO[bytes], limit: int) -> tuple[int, str, bytes, IO[bytes]]:
    """Size, sha256 and first 4 KB of the upload, and the file to read it from from now on.

    A file up to _WHOLE_BYTES is read once into memory: the hash, the parser (a BytesIO over
    the same bytes hands them over without a copy) and the stored original all use that one
    copy. Larger files are hashed block by block and read again from `fileobj`, so memory
    stays flat.
    """
    fileobj.seek(0)
    data = fileobj.read(_WHOLE_BYTES + 1)
    size, head = len(data), data[:4096]
    if size > limit:
        raise _too_large(limit)
    if size <= _WHOLE_BYTES:
        return size, hashlib.sha256(data).hexdigest(), head, io.BytesIO(data)
    digest = hashlib.sha256(data)
    del data
    while block := fileobj.read(_READ_BLOCK):
        size += len(block)
        if size > limit:
            raise _too_large(limit)
        digest.update(block)
    fileobj.seek(0)
    return size, digest.hexdigest(), head, fileobj


class _OneChunkFile(File):
    """The original handed to storage in one chunk (Django's default is 64 KB): one write, and
    a file read into memory (see _size_and_checksum) is passed on without another copy."""

    DEFAULT_CHUNK_SIZE = _WHOLE_BYTES


_STEWARDS_OFFICE = object()  # default of `office_area`: look it up from the steward


def _office_area(steward: Steward) -> shapely.Geometry | None:
    geom = steward.street_office.geom
    return shapely.from_wkb(bytes(geom.wkb)) if geom else None


# Binary COPY: arrays go over the wire as the server's own array_recv format built by numpy, the
# line as EWKB, so neither side formats or parses a decimal per vertex.
_FLOAT8_OID = 701
_VARCHAR_OID = 1043
_COPY_TYPES = [
    "int8",  # steward_id
    "int8",  # street_office_id
    "int8",  # upload_id
    "timestamptz",  # started_at
    "timestamptz",  # ended_at
    "bytea",  # geom: EWKB, read by geometry_recv
    "bytea",  # times: float8[] in binary array format
    "int4",  # point_count
    "float8",  # length_m
    "text",  # source_crs
    "bytea",  # flags: varchar[] in binary array format
    "timestamptz",  # created_at
]
_FLOAT8_ITEM = np.dtype([("len", ">i4"), ("value", ">f8")])


def binary_float8_array(values: np.ndarray) -> bytes:
    """A float8[] in PostgreSQL's binary array format (header, then length + big-endian value)."""
    items = np.empty(values.size, dtype=_FLOAT8_ITEM)
    items["len"] = 8
    items["value"] = values
    return struct.pack(">iiiii", 1, 0, _FLOAT8_OID, values.size, 1) + items.tobytes()


def binary_varchar_array(values: list[str]) -> bytes:
    if not values:
        return struct.pack(">iii", 0, 0, _VARCHAR_OID)
    parts = [struct.pack(">iiiii", 1, 0, _VARCHAR_OID, len(values), 1)]
    for v in values:
        raw = v.encode()
        parts.append(struct.pack(">i", len(raw)) + raw)
    return b"".join(parts)


def _started_at(track: CleanTrack) -> datetime:
    return datetime.fromtimestamp(float(track.t[0]), tz=UTC)


def _copy_tracks(tracks: list[CleanTrack], upload: TrackUpload, source_crs: str) -> None:
    now = timezone.now()
    with connection.cursor() as cur, cur.cursor.copy(COPY_TRACKS) as copy:
        copy.set_types(_COPY_TYPES)
        for tr in tracks:
            line = shapely.set_srid(shapely.linestrings(np.column_stack([tr.lon, tr.lat])), 4326)
            copy.write_row(
                (
                    upload.steward_id,
                    upload.street_office_id,
                    upload.pk,
                    _started_at(tr),
                    datetime.fromtimestamp(float(tr.t[-1]), tz=UTC),
                    shapely.to_wkb(line, include_srid=True),
                    binary_float8_array(tr.t),
                    tr.point_count,
                    tr.length_m,
                    source_crs,
                    binary_varchar_array(tr.flags),
                    now,
                )
            )


def _source_crs(crs: str) -> CRS:
    try:
        return CRS(crs or CRS.WGS84)
    except ValueError:
        raise TrackRejected(
            _("未知坐标系“%(crs)s”：可选 wgs84、gcj02（高德/腾讯/微信）、bd09（百度）。")
            % {"crs": crs},
            code="unknown_crs",
        ) from None


def _track_format(fmt: str | None, filename: str, head: bytes) -> TrackFormat:
    """The declared format, else the one detected from the file's first bytes and name."""
    if not fmt:
        return detect_format(filename, head)
    try:
        return TrackFormat(fmt)
    except ValueError:
        raise TrackRejected(
            _("不支持的格式“%(fmt)s”：可选 gpx、kml、geojson、csv、plt。") % {"fmt": fmt},
            415,
            code="unknown_format",
        ) from None


def _store(
    upload: TrackUpload,
    fileobj: IO[bytes],
    tracks: list[CleanTrack],
    report_dict: dict,
    enqueue: Callable[[TrackUpload], int] | None = None,
    in_transaction: bool = False,
) -> IngestResult:
    """Save the original and COPY the tracks in one transaction; on failure delete the original.
    `in_transaction`: the caller's transaction is the store's (no savepoint); a repeated file then
    raises IntegrityError and the caller's transaction rolls back."""
    fileobj.seek(0)
    stored_name = None
    # Before the upload's transaction, so a new month's partition (a brief lock on the parent
    # table) is committed on its own instead of being held for the whole write.
    ensure_partitions(_started_at(tr) for tr in tracks)
    try:
        with transaction.atomic(savepoint=not in_transaction):
            upload.file.save(upload.sha256, _OneChunkFile(fileobj), save=False)
            stored_name = upload.file.name
            upload.save()
            _copy_tracks(tracks, upload, upload.source_crs)
            # The follow-up job commits with the upload or not at all.
            job_id = enqueue(upload) if enqueue else None
    except IntegrityError:
        # The same file arrived twice at once: the other request stored it.
        _delete_stored(upload, stored_name)
        if in_transaction:
            raise
        existing = TrackUpload.objects.filter(steward=upload.steward, sha256=upload.sha256).first()
        if existing is None:
            raise
        return IngestResult(existing, True, existing.cleaning_report)
    except BaseException:
        _delete_stored(upload, stored_name)
        raise
    return IngestResult(upload, False, report_dict, job_id)


def ingest_file(
    fileobj: IO[bytes],
    *,
    filename: str,
    steward: Steward,
    uploaded_by=None,
    crs: str = CRS.WGS84,
    fmt: str | None = None,
    columns: dict[str, str] | None = None,
    params: CleaningParams | None = None,
    now: float | None = None,
    enqueue: Callable[[TrackUpload], int] | None = None,
) -> IngestResult:
    """Store one uploaded file for `steward`; raises TrackRejected with a specific message.
    `enqueue(upload)` runs inside the storing transaction (to defer its follow-up job)."""
    source_crs = _source_crs(crs)
    size, sha256, head, fileobj = _size_and_checksum(fileobj, max_upload_bytes())
    if size == 0:
        raise TrackRejected(_("文件为空（0 字节），请重新导出轨迹后上传。"), code="empty_file")

    existing = TrackUpload.objects.filter(steward=steward, sha256=sha256).first()
    if existing is not None:
        return IngestResult(existing, True, existing.cleaning_report)

    track_format = _track_format(fmt, filename, head)
    naive_tz = settings.TIME_ZONE if track_format is TrackFormat.CSV else "UTC"
    points = read_points(fileobj, track_format, columns=columns, naive_tz=naive_tz)
    if source_crs is not CRS.WGS84 and points.size:
        points.lon, points.lat = to_wgs84(points.lon, points.lat, source_crs)
    upload = TrackUpload(
        steward=steward,
        street_office_id=steward.street_office_id,
        sha256=sha256,
        original_filename=filename[:255],
        size_bytes=size,
        format=track_format.value,
        source_crs=source_crs.value,
        uploaded_by=uploaded_by,
    )
    return _clean_and_store(upload, points, fileobj, params=params, now=now, enqueue=enqueue)


def _clean_and_store(
    upload: TrackUpload,
    points: RawPoints,
    fileobj: IO[bytes],
    *,
    params: CleaningParams | None,
    now: float | None,
    origin: dict | None = None,
    enqueue: Callable[[TrackUpload], int] | None = None,
    office_area: shapely.Geometry | None | object = _STEWARDS_OFFICE,
    in_transaction: bool = False,
) -> IngestResult:
    """The common tail of every ingest: clean, report, then store original and tracks."""
    if office_area is _STEWARDS_OFFICE:
        office_area = _office_area(upload.steward)
    tracks, report = clean(points, area=office_area, params=params, now=now)
    upload.cleaning_report = report.as_dict() | {
        "format": upload.format,
        "source_crs": upload.source_crs,
        **({"origin": origin} if origin else {}),
    }
    return _store(upload, fileobj, tracks, upload.cleaning_report, enqueue, in_transaction)


def ingest_points(
    points: RawPoints,
    original: bytes,
    *,
    filename: str,
    steward: Steward,
    uploaded_by=None,
    origin: dict | None = None,
    params: CleaningParams | None = None,
    now: float | None = None,
    enqueue: Callable[[TrackUpload], int] | None = None,
    office_area: shapely.Geometry | None | object = _STEWARDS_OFFICE,
    in_transaction: bool = False,
) -> IngestResult:
    """Store points already in memory (the patrol recorder's fixes) exactly as an upload would.

    `original` is the file kept for audit (its format is `points.format`); its checksum dedupes
    like a file's. Cleaning, partitions, COPY and the all-or-nothing store are the file path's.
    `origin` (e.g. {"device_id": …, "recording": …}) is kept in the report as "origin":
    `patrols.evidence` compares devices through it. `uploaded_by` may be a user or a user id;
    `office_area` saves the look-up when the caller has the steward's office area at hand;
    `in_transaction` stores in the caller's transaction (see `_store`).
    """
    sha256 = hashlib.sha256(original).hexdigest()
    # No look-up first (a recorder never sends the same points twice): the unique constraint
    # catches a repeat, and _store answers with the stored upload as a duplicate.
    upload = TrackUpload(
        steward=steward,
        street_office_id=steward.street_office_id,
        sha256=sha256,
        original_filename=filename[:255],
        size_bytes=len(original),
        format=points.format.value,
        source_crs=CRS.WGS84.value,
        uploaded_by_id=getattr(uploaded_by, "pk", uploaded_by),
    )
    return _clean_and_store(
        upload,
        points,
        io.BytesIO(original),
        params=params,
        now=now,
        origin=origin,
        enqueue=enqueue,
        office_area=office_area,
        in_transaction=in_transaction,
    )


def _delete_stored(upload: TrackUpload, name: str | None) -> None:
    if name:
        upload.file.storage.delete(name)
