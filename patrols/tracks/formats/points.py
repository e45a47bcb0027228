"""The one shape every track format is read into: chunks of t, lat, lon, seg, ref columns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from django.utils.translation import gettext as _


class TrackFormat(StrEnum):
    GPX = "gpx"
    KML = "kml"
    GEOJSON = "geojson"
    CSV = "csv"
    PLT = "plt"


class RefKind(StrEnum):
    LINE = "line"
    POINT = "point"


@dataclass
class PointChunk:
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    seg: np.ndarray
    ref: np.ndarray


@dataclass
class RawPoints(PointChunk):
    ref_kind: RefKind
    format: TrackFormat

    @property
    def size(self) -> int:
        return int(self.t.size)

    def where(self, i: int) -> str:
        """Human description of point i's place in the file (for messages)."""
        if self.ref_kind is RefKind.LINE:
            return _("第 %(n)d 行") % {"n": int(self.ref[i])}
        return _("第 %(n)d 个点") % {"n": int(self.ref[i])}
