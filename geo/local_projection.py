"""Metres for the spatial measurements: a transverse Mercator centred near the data."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer


class LocalProjection:
    """WGS-84 lon/lat <-> metres on a transverse Mercator centred near the data.

    Centred projections keep scale error below 1e-5 over a district (UTM would too, but a zone
    edge can run through a city); the centre is rounded so nearby calls share one transformer.
    """

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        proj = f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
        self._fwd = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
        self._inv = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)

    @classmethod
    def around(cls, lon: np.ndarray | float, lat: np.ndarray | float) -> LocalProjection:
        lon0 = float(np.nanmedian(lon))
        lat0 = float(np.nanmedian(lat))
        return _cached_projection(round(lon0, 1), round(lat0, 1))

    def forward(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    def inverse(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self._inv.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(lon), np.asarray(lat)

    def geometries(self, geoms: Sequence[shapely.Geometry] | np.ndarray) -> np.ndarray:
        """Project shapely geometries given in lon/lat."""
        arr = np.asarray(geoms, dtype=object)
        return shapely.transform(arr, lambda c: np.column_stack(self.forward(c[:, 0], c[:, 1])))


@lru_cache(maxsize=64)
def _cached_projection(lon0: float, lat0: float) -> LocalProjection:
    return LocalProjection(lon0, lat0)
