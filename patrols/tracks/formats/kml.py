"""KML: gx:Track, timed Placemark Points and (untimed) LineStrings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.buffer import PointBuffer
from patrols.tracks.formats.points import PointChunk, RefKind
from patrols.tracks.formats.xml_safety import local_name, xml_events


def iter_kml(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """KML: gx:Track (when + gx:coord pairs), timed Placemark Points, and LineStrings (untimed)."""
    buf = PointBuffer(RefKind.POINT)
    seg_no = -1
    n = 0
    saw_kml = False
    whens: list[str | None] = []
    coords: list[str] = []
    placemark_time: str | None = None
    placemark_points: list[str] = []
    point_seg: int | None = None

    def add(ts: list[Any], cs: list[str], seg: int) -> None:
        nonlocal n
        for t, c in zip(ts, cs, strict=False):
            parts = c.replace(",", " ").split()
            n += 1
            lon, lat = (parts + ["nan", "nan"])[:2]
            buf.add(t, lat, lon, seg, n)

    for event, el in xml_events(fileobj):
        local = local_name(el.tag)
        if event == "start":
            if local == "kml":
                saw_kml = True
            elif local == "Track":
                seg_no += 1
                whens, coords = [], []
            elif local == "Placemark":
                placemark_time, placemark_points = None, []
            continue
        if local == "when":
            whens.append(el.text)
            if el.text and not coords and placemark_time is None:
                placemark_time = el.text.strip()
        elif local == "coord":
            coords.append(el.text or "")
        elif local == "Track":
            if len(whens) != len(coords):
                raise TrackRejected(
                    _(
                        "KML gx:Track 第 %(k)d 段：<when> 有 %(w)d 个而 <gx:coord> 有 %(c)d 个，数量必须一致。"
                    )
                    % {"k": seg_no + 1, "w": len(whens), "c": len(coords)},
                    code="bad_kml",
                )
            add(whens, coords, seg_no)
            whens, coords = [], []
            placemark_time = None
            el.clear()
        elif local == "coordinates":
            placemark_points.append(el.text or "")
        elif local == "Placemark":
            tuples = [c for text in placemark_points for c in text.split()]
            if len(tuples) == 1 and placemark_time:
                # Timed points (one Placemark each) form one segment, like a logger's waypoints.
                if point_seg is None:
                    seg_no += 1
                    point_seg = seg_no
                add([placemark_time], tuples, point_seg)
            elif tuples:
                seg_no += 1
                add([None] * len(tuples), tuples, seg_no)
            placemark_time, placemark_points = None, []
            el.clear()
        if buf.full:
            yield buf.take()
    if not saw_kml:
        raise TrackRejected(_("这不是 KML 文件：缺少 <kml> 根元素。"), 422, code="not_a_track")
    yield from buf.flush()
