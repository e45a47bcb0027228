"""Which track format a file is in: by content first, then by file name."""

from __future__ import annotations

from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats.points import TrackFormat

_EXTENSIONS = {
    ".gpx": TrackFormat.GPX,
    ".kml": TrackFormat.KML,
    ".geojson": TrackFormat.GEOJSON,
    ".json": TrackFormat.GEOJSON,
    ".csv": TrackFormat.CSV,
    ".txt": TrackFormat.CSV,
    ".plt": TrackFormat.PLT,
}


def detect_format(filename: str, head: bytes) -> TrackFormat:
    """By content first (phones name files oddly), then by extension."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"geolife trajectory"):
        return TrackFormat.PLT
    if text.startswith(b"<"):
        if b"<gpx" in text:
            return TrackFormat.GPX
        if b"<kml" in text:
            return TrackFormat.KML
    if text.startswith(b"{"):
        return TrackFormat.GEOJSON
    name = filename.lower()
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    if text and b"," in text.split(b"\n", 1)[0]:
        return TrackFormat.CSV
    raise TrackRejected(
        _(
            "无法识别文件格式“%(name)s”：支持 GPX、KML、GeoJSON、CSV（含经纬度和时间列）和 GeoLife PLT。"
        )
        % {"name": filename},
        415,
        code="unknown_format",
    )
