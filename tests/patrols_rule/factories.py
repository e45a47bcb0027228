"""Tiny fixtures on the synthetic block near 116.31, 40.00 (see synth.py for the sketch)."""

from __future__ import annotations

from datetime import date

import numpy as np
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon

from geo.models import Community, Grid, Segment, StreetOffice
from grids.models import Claim
from stewards.models import Pair, PairMember, Steward

from . import synth


def _square(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    (lon0, lon1), (lat0, lat1) = synth.to_lonlat(np.array([x0, x1]), np.array([y0, y1]))
    return MultiPolygon(Polygon.from_bbox((lon0, lat0, lon1, lat1)), srid=4326)


def block_office(code: str = "110108001") -> dict:
    """An office with one community and grid, the block's four alleys + N street, one pair
    claiming the four alleys from 2024-01-01."""
    office = StreetOffice.objects.create(
        name="测试街道", code=code, geom=_square(-500, -500, 800, 700)
    )
    community = Community.objects.create(
        name="测试社区", code=code + "01", geom=_square(-500, -500, 800, 700), street_office=office
    )
    grid = Grid.objects.create(
        name="一网格",
        code=code + "0101",
        geom=_square(-500, -500, 800, 700),
        community=community,
        street_office=office,
    )
    segments = {}
    for key, line in [*synth.BLOCK.items(), ("n", synth.N_STREET)]:
        geom = GEOSGeometry(line.wkt, srid=4326)
        segments[key] = Segment.objects.create(
            name={1: "南巷", 2: "东巷", 3: "北巷", 4: "西巷", "n": "北街"}[key],
            road_class="living_street",
            source="test",
            source_id=f"{code}-{key}",
            geom=geom,
            length_m=geom.transform(3857, clone=True).length * np.cos(np.radians(synth.LAT0)),
            street_office=office,
            community=community,
            grid=grid,
        )
    pair = make_pair(office, community, "第一组", [segments[k] for k in (1, 2, 3, 4)])
    return {
        "office": office,
        "community": community,
        "grid": grid,
        "segments": segments,
        "pair": pair,
    }


def make_pair(office, community, name: str, claimed: list[Segment]) -> Pair:
    pair = Pair.objects.create(
        street_office=office, community=community, name=name, formed_on=date(2024, 1, 1)
    )
    for i in range(2):
        steward = Steward.objects.create(
            street_office=office,
            community=community,
            name=f"{name}管家{i + 1}",
            status=Steward.Status.ACTIVE,
        )
        PairMember.objects.create(pair=pair, steward=steward, joined_on=date(2024, 1, 1))
    for seg in claimed:
        Claim.objects.create(
            street_office=office, pair=pair, segment=seg, valid_from=date(2024, 1, 1)
        )
    return pair


def stewards_of(pair: Pair) -> list[int]:
    return list(pair.members.order_by("steward_id").values_list("steward_id", flat=True))


class DictLoader:
    """A points_loader over in-memory tracks, honouring the requested window like the real one."""

    def __init__(self, tracks: dict[int, tuple]) -> None:
        self.tracks = tracks
        self.calls: list[tuple] = []

    def __call__(self, steward_ids, start, end):
        self.calls.append((tuple(steward_ids), start, end))
        out = {}
        for sid in steward_ids:
            if sid in self.tracks:
                t, lon, lat = self.tracks[sid]
                keep = (t >= start.timestamp()) & (t < end.timestamp())
                out[sid] = (t[keep], lon[keep], lat[keep])
        return out


def four_pairs_walking(block: dict, t0: float) -> tuple[list[Pair], dict[int, tuple]]:
    """The block's pair plus three more, each with one alley, and every member's synthetic walk
    from ``t0`` (lengths and phases differ per pair): enough pairs for a forked office run."""
    pair = block["pair"]
    # A segment has one pair at a time (exclusion constraint): hand alleys 1 and 3 over first.
    Claim.objects.filter(
        pair=pair, segment__in=[block["segments"][1], block["segments"][3]]
    ).delete()
    pairs = [pair] + [
        make_pair(block["office"], block["community"], f"第{i}组", [block["segments"][k]])
        for i, k in ((2, "n"), (3, 1), (4, 3))
    ]
    tracks = {}
    for i, p in enumerate(pairs):
        a, b = stewards_of(p)
        tracks[a] = synth.walk(t0, 2000 + 1000 * i, seed=10 + i)
        tracks[b] = synth.walk(t0, 2000 + 1000 * i, seed=20 + i, phase_m=50.0 * i)
    return pairs, tracks
