"""simulate_patrols: a pair walks its claimed segments; re-running stores nothing twice."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.contrib.gis.geos import LineString
from django.core.management import call_command

from geo.local_days import local_day_bounds
from geo.models import Segment
from grids.models import Claim
from patrols.models import Track, TrackUpload
from patrols.tracks.store import load_points
from tests.patrols_tracks import factories as f

pytestmark = pytest.mark.django_db


def test_simulated_week_goes_through_ingest_and_is_idempotent() -> None:
    office = f.office()
    a, b = f.steward(office), f.steward(office)
    pair = f.pair(a, b)
    coords = [
        ((116.310, 40.000), (116.315, 40.000)),
        ((116.315, 40.000), (116.315, 40.004)),
        ((116.310, 40.000), (116.310, 40.004)),
    ]
    for k, (p, q) in enumerate(coords):
        seg = Segment.objects.create(
            name=f"巷{k}",
            road_class="footway",
            source="test",
            source_id=str(k),
            geom=LineString(p, q, srid=4326),
            length_m=400,
            street_office=office,
        )
        Claim.objects.create(
            street_office=office, pair=pair, segment=seg, valid_from=date(2024, 1, 1)
        )

    out = StringIO()
    call_command("simulate_patrols", days=2, end=date(2024, 5, 2), scenario="normal", stdout=out)
    assert "uploads created: 4" in out.getvalue()
    assert TrackUpload.objects.count() == 4
    pts = load_points([a.pk, b.pk], *local_day_bounds(date(2024, 5, 2)))
    assert pts[a.pk][0].size > 1000 and pts[b.pk][0].size > 1000
    assert not Track.objects.exclude(flags=[]).exists()  # walking, not riding

    again = StringIO()
    call_command("simulate_patrols", days=2, end=date(2024, 5, 2), scenario="normal", stdout=again)
    assert "uploads created: 0, unchanged (already stored): 4" in again.getvalue()
    assert TrackUpload.objects.count() == 4
