"""GCJ-02 / BD-09 ↔ WGS-84 against published reference points, round trips, no shift abroad."""

from __future__ import annotations

import numpy as np
import pytest

from geo import coords
from patrols.tracks.cleaning import haversine_m

# googollee/eviltransform test vectors: (wgs lat, wgs lon, gcj lat, gcj lon).
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def test_wgs_to_gcj_matches_published_points() -> None:
    wlat, wlon, glat, glon = np.array(EVILTRANSFORM).T
    lon, lat = coords.wgs84_to_gcj02(wlon, wlat)
    assert np.allclose(lon, glon, atol=1e-6) and np.allclose(lat, glat, atol=1e-6)


def test_gcj_to_wgs_recovers_published_points_within_a_metre() -> None:
    wlat, wlon, glat, glon = np.array(EVILTRANSFORM).T
    lon, lat = coords.gcj02_to_wgs84(glon, glat)
    assert haversine_m(lon, lat, wlon, wlat).max() < 1.0


def test_bd09_matches_coordtransform_reference() -> None:
    # wandergis/coordtransform README values for (116.404, 39.915).
    assert np.allclose(
        coords.gcj02_to_bd09(116.404, 39.915), (116.41036949371029, 39.92133699351021), atol=1e-9
    )
    assert np.allclose(
        coords.bd09_to_gcj02(116.404, 39.915), (116.39762729119315, 39.90865673957631), atol=1e-9
    )
    assert np.allclose(
        coords.wgs84_to_gcj02(116.404, 39.915), (116.41024449916938, 39.91640428150164), atol=1e-9
    )


def test_round_trips_inside_china_are_under_a_metre() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(75, 135, 20000)
    lat = rng.uniform(18, 53, 20000)
    for fwd, inv in (
        (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
    ):
        back_lon, back_lat = inv(*fwd(lon, lat))
        assert haversine_m(back_lon, back_lat, lon, lat).max() < 1.0


def test_offsets_inside_china_are_hundreds_of_metres() -> None:
    lon, lat = coords.wgs84_to_gcj02(116.31, 40.0)
    assert 100 < float(haversine_m(lon, lat, 116.31, 40.0)) < 1000
    lon, lat = coords.wgs84_to_bd09(116.31, 40.0)
    assert 500 < float(haversine_m(lon, lat, 116.31, 40.0)) < 2000


@pytest.mark.parametrize(
    "lon,lat", [(-104.9903, 39.7392), (153.0251, -27.4698), (13.75, 46.43), (139.9, 35.7)]
)
def test_no_gcj_shift_outside_china(lon: float, lat: float) -> None:
    assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert coords.gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert coords.to_wgs84(lon, lat, "gcj02") == (lon, lat)


def test_to_wgs84_dispatches_on_declared_system() -> None:
    glon, glat = coords.from_wgs84(116.31, 40.0, "bd09")
    lon, lat = coords.to_wgs84(glon, glat, coords.CRS.BD09)
    assert float(haversine_m(lon, lat, 116.31, 40.0)) < 1.0
    with pytest.raises(ValueError):
        coords.to_wgs84(1, 2, "epsg:3857")
