"""The quarter's claimed-alley coverage SQL (bit_or of the daily coverage bits, length-weighted).

grids.SegmentCoverage belongs to the patrol-rule module (issue #5); until it is merged the test
builds a TEMP table of the same columns (a temp table also shadows the real one after the merge,
so this test keeps testing exactly the SQL).

    segment 1 (100 m, 4 pieces):  Jul 1  1100
                                   Jul 2  0011   -> quarter 1111 = 100 %
    segment 2 (300 m, 3 pieces):  Jun 30 111    (previous quarter: ignored)
                                   Jul 1  100    -> quarter 100  = 33 %
    steward A (member all along):  (100*1 + 300/3) / 400 = 0.5
    steward B (left the pair on Jun 1): no share
"""

from datetime import date

from django.contrib.gis.geos import LineString
from django.db import connection

from credits.queries import claimed_coverage_by_steward
from geo.models import Segment
from stewards.models import PairMember

from . import factories as f


def test_quarter_coverage_is_bit_or_over_days_weighted_by_length(db):
    so = f.office()
    comm = f.community(so)
    a, b = f.steward(comm, "张大爷"), f.steward(comm, "李阿姨")
    p = f.pair(comm, a, b)
    PairMember.objects.filter(steward=b).update(left_on=date(2026, 6, 1))
    line = LineString((116.31, 40.0), (116.311, 40.0), srid=4326)
    s1 = Segment.objects.create(
        road_class="alley", source="t", source_id="1", geom=line, length_m=100
    )
    s2 = Segment.objects.create(
        road_class="alley", source="t", source_id="2", geom=line, length_m=300
    )
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE grids_segmentcoverage (segment_id bigint, pair_id bigint,"
            " street_office_id bigint, day date, claimed boolean, covered_bits varbit)"
        )
        cur.executemany(
            "INSERT INTO grids_segmentcoverage VALUES (%s, %s, %s, %s, %s, %s::varbit)",
            [
                (s1.pk, p.pk, so.pk, date(2026, 7, 1), True, "1100"),
                (s1.pk, p.pk, so.pk, date(2026, 7, 2), True, "0011"),
                (s2.pk, p.pk, so.pk, date(2026, 6, 30), True, "111"),
                (s2.pk, p.pk, so.pk, date(2026, 7, 1), True, "100"),
                # Walked but not claimed: not part of the claimed share.
                (s2.pk, p.pk + 1, so.pk, date(2026, 7, 1), False, "111"),
            ],
        )
    got = claimed_coverage_by_steward(so.pk, date(2026, 7, 1), date(2026, 10, 1))
    assert got == {a.pk: 0.5}
