"""Re-importing the Wudaokou extract after real mapper edits: claims follow their streets.

The edits (tests/network/osm_edits.py) are made on the OSM XML itself: a footway joined to the
middle of a claimed way (a new junction splits a piece and renumbers the pieces after it), a
claimed way deleted, a claimed way re-drawn with new nodes, two claimed ways merged into one.
"""

from __future__ import annotations

import json

import pytest

from geo.importers.streets import import_streets
from geo.models import NetworkImport, Segment
from grids.assignment import AssignmentError, undo
from grids.models import AssignmentChange, Claim
from grids.street_changes import undo_network_import
from patrols import coverage_queries
from patrols.models import SegmentCoverage
from tests.network.conftest import PATROL_DAYS, REIMPORT, SOURCE, claimed_m, edited_copy

pytestmark = pytest.mark.django_db

ALL_EDITS = ("footway", "delete", "redraw", "merge")


def _by_street(net, claimed: dict) -> dict:
    """Claimed metres per (pair, street), the two merged ways counted as one street."""
    merged = {net.ways["merge_a"], net.ways["merge_b"]}
    out: dict = {}
    for (pair, way), m in claimed.items():
        key = (pair, "merged" if way in merged else way)
        out[key] = out.get(key, 0.0) + m
    return out


def test_every_claim_stays_on_its_street(network, tmp_path):
    net = network
    before = _by_street(net, claimed_m(REIMPORT))
    path = edited_copy(net, tmp_path, *ALL_EDITS)
    result = import_streets(path, source=SOURCE, on=REIMPORT)
    after = _by_street(net, claimed_m(REIMPORT))

    deleted = net.ways["delete"]
    for key, metres in before.items():
        if key[1] == deleted:
            assert key not in after  # nothing left to hold: ended, and reported below
            continue
        # Same pair, same street, same length (re-drawing moves a street by a metre or so).
        assert after.get(key, 0.0) == pytest.approx(metres, rel=0.01, abs=2.0), key
    # No pair gained a stretch of another street.
    assert set(after) <= set(before)

    counts = result.counts
    # Deleting a way also removes the junctions it made: pieces of the ways it crossed merge too.
    assert counts["split"] >= 1 and counts["merged"] >= 1 and counts["redrawn"] >= 1
    assert counts["new"] >= 1  # the footway
    assert counts["retired"] >= 1  # the deleted way
    assert counts["unchanged"] > 1000 and counts["renumbered"] >= 1

    rows = result.report["claims"]
    lost = [r for r in rows if r["class"] == "retired"]
    assert lost and all(r["new_segments"] == [] and r["not_carried_m"] == r["old_m"] for r in lost)
    assert {r["pair_name"] for r in lost} == {"B"}
    split = [r for r in rows if r["class"] == "split"]
    assert len(split) == 1 and len(split[0]["new_segments"]) == 2
    assert split[0]["carried_m"] == pytest.approx(split[0]["old_m"], abs=1.0)
    merged = [r for r in rows if r["class"] == "merged"]
    assert len(merged) == 2 and {r["pair_name"] for r in merged} == {"C"}
    # Every claim ended by the import is in the report: none moved or vanished silently.
    ended = Claim.objects.filter(valid_to=REIMPORT, change__isnull=False)
    assert sorted(ended.values_list("pk", flat=True)) == sorted(r["claim"] for r in rows)
    batch = AssignmentChange.objects.get(kind=AssignmentChange.Kind.NETWORK)
    assert NetworkImport.objects.get(pk=result.run_id).report["batches"] == [batch.pk]


def test_footway_alone_splits_one_piece_and_renumbers_without_churn(network, tmp_path):
    net = network
    way = net.ways["split"]
    pieces_before = dict(
        Segment.objects.current().filter(source_id__startswith=f"{way}:").values_list("pk", "geom")
    )
    result = import_streets(edited_copy(net, tmp_path, "footway"), source=SOURCE, on=REIMPORT)
    assert result.counts["split"] == 1 and result.counts["retired"] == 0
    assert result.counts["renumbered"] >= 1  # the pieces after the new junction
    retired = Segment.objects.get(retired_by_id=result.run_id)
    assert retired.pk in pieces_before and retired.retired_on == REIMPORT
    # The other pieces of the way keep their rows (and their history), even when renumbered.
    kept = set(pieces_before) - {retired.pk}
    assert set(Segment.objects.current().filter(pk__in=kept).values_list("pk", flat=True)) == kept
    pair = net.pairs["A"]
    halves = Claim.objects.on(REIMPORT).filter(pair=pair, segment__imported_by_id=result.run_id)
    assert halves.count() == 2
    assert sum(c.segment.length_m for c in halves) == pytest.approx(retired.length_m, abs=0.5)


def _features(net, day) -> dict[int, dict]:
    doc = json.loads(coverage_queries.coverage_geojson(net.office.id, day, day))
    return {f["id"]: f for f in doc["features"]}


def test_coverage_history_is_kept_and_drawn_on_the_streets_of_its_day(network, tmp_path):
    net = network
    rows_before = SegmentCoverage.objects.count()
    day = PATROL_DAYS[2]
    drawn_before = _features(net, day)
    import_streets(edited_copy(net, tmp_path, *ALL_EDITS), source=SOURCE, on=REIMPORT)

    assert SegmentCoverage.objects.count() == rows_before
    drawn_after = _features(net, day)
    # Last month's map is last month's network, walked shares included.
    assert drawn_after == drawn_before
    walked = [f for f in drawn_after.values() if f["properties"]["share"] > 0]
    retired_ids = set(Segment.objects.filter(retired_on=REIMPORT).values_list("pk", flat=True))
    assert {f["id"] for f in walked} & retired_ids
    # Today's map is today's network: no retired segment, every new one.
    today = json.loads(coverage_queries.coverage_geojson(net.office.id, REIMPORT, REIMPORT))
    ids_today = {f["id"] for f in today["features"]}
    assert not ids_today & retired_ids
    new_ids = set(Segment.objects.filter(valid_from=REIMPORT).values_list("pk", flat=True))
    assert new_ids and new_ids <= ids_today
    # Walked coverage of a past day is measured on that day's network.
    ids, _ = coverage_queries.segments_for_office(net.office.id, day=day)
    assert retired_ids <= set(ids.tolist()) and not new_ids & set(ids.tolist())


def test_dry_run_reports_and_writes_nothing(network, tmp_path):
    net = network

    def state():
        return (
            sorted(Segment.objects.values_list("pk", "source_id", "retired_on")),
            sorted(Claim.objects.values_list("pk", "valid_to")),
            NetworkImport.objects.count(),
            AssignmentChange.objects.count(),
        )

    before = state()
    path = edited_copy(net, tmp_path, *ALL_EDITS)
    dry = import_streets(path, source=SOURCE, on=REIMPORT, dry_run=True)
    assert state() == before
    assert dry.run_id is None and dry.report["claims"]
    real = import_streets(path, source=SOURCE, on=REIMPORT)
    assert real.counts == dry.counts
    assert len(real.report["claims"]) == len(dry.report["claims"])


def test_same_file_again_changes_nothing(network):
    net = network
    before = sorted(Segment.objects.values_list("pk", "source_id", "retired_on"))
    result = import_streets(net.osm_path, source=SOURCE, on=REIMPORT)
    assert result.counts["split"] == result.counts["retired"] == result.counts["new"] == 0
    assert sorted(Segment.objects.values_list("pk", "source_id", "retired_on")) == before
    assert not AssignmentChange.objects.filter(kind=AssignmentChange.Kind.NETWORK).exists()


def test_undo_puts_network_and_claims_back(network, tmp_path):
    net = network

    def state():
        return (
            sorted(Segment.objects.current().values_list("pk", "source_id", "name")),
            sorted(Claim.objects.on(REIMPORT).values_list("pair_id", "segment_id")),
        )

    before = state()
    result = import_streets(edited_copy(net, tmp_path, *ALL_EDITS), source=SOURCE, on=REIMPORT)
    assert state() != before
    run = NetworkImport.objects.get(pk=result.run_id)
    with pytest.raises(AssignmentError, match="路网导入"):
        undo(AssignmentChange.objects.get(pk__in=run.report["batches"]))
    undo_network_import(run, on=REIMPORT)
    assert state() == before
    # Undone the same day: the import's pieces were never part of the network.
    assert not Segment.objects.valid_on(REIMPORT).filter(imported_by=run).exists()
    with pytest.raises(AssignmentError, match="撤销过"):
        undo_network_import(run)
    # And the file can be imported again afterwards.
    again = import_streets(edited_copy(net, tmp_path, *ALL_EDITS), source=SOURCE, on=REIMPORT)
    assert again.counts == result.counts
