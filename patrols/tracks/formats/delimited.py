"""Delimited text: CSV (columns found by header name or mapped) and GeoLife PLT."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.buffer import PointBuffer
from patrols.tracks.formats.columns import epoch_or_iso
from patrols.tracks.formats.points import PointChunk, RefKind

_LAT_NAMES = ("lat", "latitude", "纬度", "y", "lat_deg")
_LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x", "lon_deg")
_TIME_NAMES = ("time", "timestamp", "datetime", "date_time", "utc", "时间", "定位时间", "gps_time")


def parse_column_mapping(spec: str | None) -> dict[str, str]:
    """'lat=纬度,lon=经度,time=时间' → {'lat': '纬度', ...}."""
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip() in ("lat", "lon", "time"):
                mapping[k.strip()] = v.strip()
    return mapping


def _pick(header: list[str], names: tuple[str, ...], mapped: str | None, what: str) -> int:
    lowered = [h.strip().lower() for h in header]
    if mapped:
        if mapped.lower() in lowered:
            return lowered.index(mapped.lower())
        raise TrackRejected(
            _("CSV 中找不到指定的%(what)s列“%(col)s”；表头为：%(header)s。")
            % {"what": what, "col": mapped, "header": ", ".join(header)},
            code="csv_columns",
        )
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise TrackRejected(
        _(
            "CSV 中找不到%(what)s列；表头为：%(header)s。请用 columns 参数指定，例如 lat=纬度,lon=经度,time=时间。"
        )
        % {"what": what, "header": ", ".join(header)},
        422,
        code="csv_columns",
    )


def iter_csv(
    fileobj: IO[bytes], columns: dict[str, str] | None = None, naive_tz: str = "UTC"
) -> Iterator[PointChunk]:
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", errors="strict", newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, dialect)
        header = next(reader, None)
        if not header:
            return
        columns = columns or {}
        i_lat = _pick(header, _LAT_NAMES, columns.get("lat"), _("纬度"))
        i_lon = _pick(header, _LON_NAMES, columns.get("lon"), _("经度"))
        i_time = _pick(header, _TIME_NAMES, columns.get("time"), _("时间"))
        width = max(i_lat, i_lon, i_time) + 1
        buf = PointBuffer(RefKind.LINE, naive_tz)
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            line = reader.line_num
            if len(row) < width:
                raise TrackRejected(
                    _("第 %(n)d 行只有 %(k)d 列，缺少经纬度或时间。") % {"n": line, "k": len(row)},
                    code="csv_row",
                )
            raw_t = row[i_time].strip()
            t = epoch_or_iso(float(raw_t)) if _is_number(raw_t) else raw_t
            if buf.add(t, row[i_lat].strip(), row[i_lon].strip(), 0, line):
                yield buf.take()
        yield from buf.flush()
    except UnicodeDecodeError:
        raise TrackRejected(
            _("CSV 文件不是 UTF-8 编码，请另存为 UTF-8 后再上传。"), code="csv_encoding"
        ) from None
    finally:
        text.detach()


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def iter_plt(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """GeoLife 1.3: 6 header lines, then lat,lon,0,alt_ft,days_since_1899,date,time (UTC)."""
    text = io.TextIOWrapper(fileobj, encoding="utf-8", errors="replace", newline="")
    try:
        buf = PointBuffer(RefKind.LINE)
        for line_no, line in enumerate(text, start=1):
            if line_no <= 6 or not line.strip():
                continue
            parts = line.strip().split(",")
            if len(parts) < 7:
                raise TrackRejected(
                    _("第 %(n)d 行字段不足（GeoLife PLT 每行应有 7 个字段）。") % {"n": line_no},
                    code="plt_row",
                )
            if buf.add(f"{parts[5]}T{parts[6]}Z", parts[0], parts[1], 0, line_no):
                yield buf.take()
        yield from buf.flush()
    finally:
        text.detach()
