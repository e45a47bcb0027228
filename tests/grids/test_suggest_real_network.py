"""The suggest split on the real Wudaokou OSM network (tests/data): balanced, few pieces."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from geo.importers.streets import import_streets
from geo.models import Segment
from grids import suggest
from grids.network import JUMP_SLACK, adjacency, components
from tests.grids import factories as f

pytestmark = pytest.mark.django_db


def test_real_network_split_is_balanced_and_mostly_contiguous(wudaokou_osm):
    so = f.office()
    comm = f.community(so)
    # The Tsinghua east gate area: a dense, well-connected part of the file.
    comm.geom = MultiPolygon(Polygon.from_bbox((116.325, 39.995, 116.345, 40.010)), srid=4326)
    comm.save()
    import_streets(wudaokou_osm, source="osm-test")
    inside = Segment.objects.filter(geom__within=comm.geom)
    inside.update(street_office=so, community=comm)
    pairs = [f.pair(comm) for _ in range(4)]
    segs = suggest.load_segs(comm.segments.all())
    assert len(segs) > 100

    proposal = suggest.suggest(comm)
    assert sorted(i for v in proposal.values() for i in v) == sorted(s.id for s in segs)
    length = {s.id: s.length_m for s in segs}
    totals = [sum(length[i] for i in proposal[p.pk]) for p in pairs]
    mean = sum(totals) / len(totals)
    assert min(totals) >= (1 - JUMP_SLACK) * mean * 0.95 and max(totals) <= 1.25 * mean, totals
    adj = adjacency(segs)
    network_pieces = len(components([s.id for s in segs], adj))
    pieces = [len(components(proposal[p.pk], adj)) for p in pairs]
    # Each pair grows one contiguous region; extra pieces only come from the network's own gaps.
    assert sum(pieces) <= network_pieces + len(pairs), (pieces, network_pieces)
