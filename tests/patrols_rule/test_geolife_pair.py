"""GeoLife users 003 and 004 on the Beijing day 2008-10-24: a real pair, checked independently.

Parameters of the independent computation below (and of the rule run it is compared with):
1 s grid; linear interpolation only across gaps <= 180 s; together = within 30 m (haversine);
speed = displacement over a centred 30 s window; walking = 0.5-2.5 m/s for both, no forgiven stops.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
import shapely

from geo.importers.streets import prepare_segments
from geo.local_days import local_day_bounds_epoch as local_day_bounds
from patrols.pair_day import assess_pair_day
from patrols.rule import Failure
from patrols.rule_config import RuleParams
from tests.conftest import data_file, geolife_file

from .geolife import read_user

DAY = date(2008, 10, 24)
PARAMS = RuleParams(walk_speed_min=0.5, walk_speed_max=2.5, speed_window_s=30, stop_tolerance_s=0)
R_EARTH = 6_371_008.8


@pytest.fixture(scope="module")
def pair():
    return {
        3: read_user(geolife_file("003")),
        4: read_user(geolife_file("004")),
    }


def haversine(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * R_EARTH * np.arcsin(np.sqrt(a))


def independent(pair):
    """Straight np.interp in degrees + haversine: no projection, no shared code with patrols."""
    start, end = local_day_bounds(DAY, "Asia/Shanghai")
    grid = np.arange(start, end)
    out = {}
    for sid, (t, lon, lat) in pair.items():
        t, first = np.unique(t, return_index=True)
        lon, lat = lon[first], lat[first]
        before = np.searchsorted(t, grid, side="right") - 1
        after = np.searchsorted(t, grid, side="left")
        ok = (before >= 0) & (after < len(t))
        span = np.where(ok, t[np.minimum(after, len(t) - 1)] - t[np.maximum(before, 0)], np.inf)
        ok &= span <= 180
        glon = np.where(ok, np.interp(grid, t, lon), np.nan)
        glat = np.where(ok, np.interp(grid, t, lat), np.nan)
        speed = np.full(len(grid), np.nan)
        speed[15:-15] = haversine(glon[:-30], glat[:-30], glon[30:], glat[30:]) / 30
        out[sid] = (glon, glat, speed)
    (lon3, lat3, v3), (lon4, lat4, v4) = out[3], out[4]
    with np.errstate(invalid="ignore"):
        together = haversine(lon3, lat3, lon4, lat4) <= 30
        walking = (v3 >= 0.5) & (v3 <= 2.5) & (v4 >= 0.5) & (v4 <= 2.5)
    # Longest run of together seconds.
    padded = np.concatenate(([0], together.astype(np.int8), [0]))
    starts, ends = np.flatnonzero(np.diff(padded) == 1), np.flatnonzero(np.diff(padded) == -1)
    i = np.argmax(ends - starts)
    return {
        "together_min": together.sum() / 60,
        "together_walking_min": (together & walking).sum() / 60,
        "longest_min": (ends[i] - starts[i]) / 60,
        "longest_start": grid[starts[i]],
        "lonlat": (lon3[together], lat3[together], lon4[together], lat4[together]),
    }


@pytest.fixture(scope="module")
def reference(pair):
    return independent(pair)


@pytest.fixture(scope="module")
def walked_segments(reference, wudaokou_osm_module):
    """The real OSM alleys within 20 m of where they were together: 'a claim covering their walk'."""
    columns, _, _ = prepare_segments(wudaokou_osm_module)
    lines = columns["geom"]
    lon3, lat3, lon4, lat4 = reference["lonlat"]
    pts = shapely.points(np.concatenate([lon3, lon4]), np.concatenate([lat3, lat4]))
    tree = shapely.STRtree(lines)
    # 20 m in degrees at 40° N, generous on longitude: a selection, not a measurement.
    hit = np.unique(tree.query(pts, predicate="dwithin", distance=0.00024)[1])
    return list(range(len(hit))), list(lines[hit])


@pytest.fixture(scope="module")
def wudaokou_osm_module():
    return data_file("osm", "wudaokou.osm")


def test_the_independent_reference_matches_the_data_readme(reference):
    assert 35 <= reference["together_min"] <= 45
    assert 22 <= reference["together_walking_min"] <= 28
    assert 10 <= reference["longest_min"] <= 12
    start = datetime.fromtimestamp(reference["longest_start"], UTC)
    assert (start.hour, start.minute // 10) == (11, 2)  # 11:20-11:29 UTC


def test_together_figures_agree_with_the_independent_computation(pair, reference):
    a = assess_pair_day(pair, [], [], DAY, PARAMS)
    m = a.measurement
    assert m.seconds_together / 60 == pytest.approx(reference["together_min"], abs=0.5)
    assert m.seconds_together_walking / 60 == pytest.approx(
        reference["together_walking_min"], abs=1.5
    )
    assert m.longest_together_s / 60 == pytest.approx(reference["longest_min"], abs=0.2)
    assert m.longest_together_start == pytest.approx(reference["longest_start"], abs=30)


def test_the_real_pair_is_not_compliant_under_the_two_hour_rule(pair, walked_segments):
    ids, lines = walked_segments
    v = assess_pair_day(pair, ids, lines, DAY, PARAMS).verdict
    assert not v.compliant
    assert v.failed_codes == [Failure.TOGETHER]
    assert "120.0 分钟" in v.reasons[0]
    assert 35 <= v.minutes_together <= 45


def test_the_real_pair_is_compliant_under_a_ten_minute_rule_with_a_claim_on_their_walk(
    pair, walked_segments
):
    ids, lines = walked_segments
    assert len(lines) >= 3
    a = assess_pair_day(pair, ids, lines, DAY, RuleParams(min_minutes=10))
    assert a.verdict.compliant, a.verdict.reasons
    assert a.verdict.minutes_qualifying >= 10
    assert a.verdict.walked_share > 0.2
    # With a claim elsewhere (the same alleys moved 1 km north), the same walk is outside the area.
    moved = [shapely.transform(g, lambda c: c + [0.0, 0.009]) for g in lines]
    away = assess_pair_day(pair, ids, moved, DAY, RuleParams(min_minutes=10)).verdict
    assert not away.compliant
    assert away.failed_codes == [Failure.INSIDE]
