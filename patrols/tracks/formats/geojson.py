"""GeoJSON: lines with per-vertex times in properties (or a 4th coordinate), or timed Points."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.buffer import PointBuffer
from patrols.tracks.formats.columns import epoch_or_iso
from patrols.tracks.formats.points import PointChunk, RefKind

_TIME_LIST_KEYS = ("coordTimes", "times", "timestamps", "coordinateProperties.times")
_TIME_KEYS = ("time", "timestamp", "datetime", "when", "t")


def iter_geojson(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """LineString/MultiLineString with per-vertex times in properties, or timed Point features."""
    try:
        doc = json.load(fileobj)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrackRejected(
            _("GeoJSON 解析失败：%(err)s。") % {"err": exc}, code="bad_json"
        ) from None
    if not isinstance(doc, dict):
        raise TrackRejected(_("这不是 GeoJSON 对象。"), 422, code="not_a_track")
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features") or []
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    buf = PointBuffer(RefKind.POINT)
    seg_no = -1
    point_seg: int | None = None
    n = 0
    skipped: set[str] = (
        set()
    )  # geometry types that are not tracks (a Polygon, a GeometryCollection)
    for feature in features:
        if not isinstance(feature, dict):
            continue
        geom = feature.get("geometry") or {}
        props = feature.get("properties") or {}
        gtype = geom.get("type")
        coords = geom.get("coordinates") or []
        if gtype == "Point":
            t = next((props[k] for k in _TIME_KEYS if props.get(k) not in (None, "")), None)
            if t is None and len(coords) >= 4:
                t = coords[3]
            if point_seg is None:
                seg_no += 1
                point_seg = seg_no
            lines, line_times, line_segs = [[coords]], [[t]], [point_seg]
        elif gtype in ("LineString", "MultiLineString"):
            lines = [coords] if gtype == "LineString" else list(coords)
            tl = next((props[k] for k in _TIME_LIST_KEYS if props.get(k)), None)
            if tl is None:
                tl = [[c[3] if len(c) >= 4 else None for c in line] for line in lines]
            elif gtype == "LineString":
                tl = [tl]
            line_times = list(tl)
            line_segs = []
            for _line in lines:
                seg_no += 1
                line_segs.append(seg_no)
        else:
            skipped.add(str(gtype))
            continue
        for line, lt, s in zip(lines, line_times, line_segs, strict=False):
            if lt is not None and len(lt) != len(line):
                raise TrackRejected(
                    _("GeoJSON 线第 %(k)d 段：时间有 %(t)d 个而坐标有 %(c)d 个，数量必须一致。")
                    % {"k": s + 1, "t": len(lt), "c": len(line)},
                    code="bad_geojson",
                )
            for c, t in zip(line, lt, strict=False):
                n += 1
                ok = isinstance(c, list | tuple) and len(c) >= 2
                buf.add(epoch_or_iso(t), c[1] if ok else "nan", c[0] if ok else "nan", s, n)
    if n == 0 and skipped:
        raise TrackRejected(
            _(
                "这个 GeoJSON 里只有 %(types)s 几何，没有轨迹点：轨迹应是 LineString / "
                "MultiLineString，或带时间的 Point。画出的区域（Polygon）不是巡查记录。"
            )
            % {"types": "、".join(sorted(skipped))},
            422,
            code="not_a_track",
        )
    # No chunk before the end: the whole document is in memory already.
    yield from buf.flush()
