"""Stored verdicts and coverage: the upload re-check and the office run agree (real PostGIS)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command

from patrols import coverage_queries as grid_queries
from patrols.evaluation import evaluate_pair_day, evaluate_street_office, reevaluate_after_upload
from patrols.models import PairDayVerdict, RuleSettings, SegmentCoverage

from . import factories, synth

pytestmark = pytest.mark.django_db
DAY = date(2024, 5, 14)
T0 = synth.local(2024, 5, 14, 8, 0)


@pytest.fixture
def block():
    return factories.block_office()


def walked_block(pair, duration=7500, **kw):
    a, b = factories.stewards_of(pair)
    return {
        a: synth.walk(T0, duration, seed=1, **kw),
        b: synth.walk(T0, duration, seed=2, phase_m=4.0, **kw),
    }


def test_evaluate_pair_day_stores_a_compliant_verdict_and_claimed_coverage(block):
    pair = block["pair"]
    loader = factories.DictLoader(walked_block(pair))
    v = evaluate_pair_day(pair, DAY, points_loader=loader)
    assert v.compliant
    assert v.minutes_qualifying == pytest.approx(125, abs=0.5)
    assert v.failed_codes == [] and v.reasons == []
    assert v.numbers["minutes_together"] == pytest.approx(125, abs=0.5)
    assert v.walked_share > 0.97
    rows = SegmentCoverage.objects.filter(pair=pair, day=DAY)
    claimed = {r.segment_id: r for r in rows if r.claimed}
    assert set(claimed) == {block["segments"][k].id for k in (1, 2, 3, 4)}
    for r in claimed.values():
        assert r.covered_share > 0.95
        assert 8 <= r.patrol_count <= 9  # 8.25 rounds of the 1 km block, 15 min apart
        assert set(r.covered_bits) <= {"0", "1"}
    # The unclaimed N street, 40 m away and parallel, was not walked: no row.
    assert not rows.filter(segment=block["segments"]["n"]).exists()
    # The loader was asked for the local day plus padding, for both members.
    ((ids, start, end),) = loader.calls
    assert set(ids) == set(factories.stewards_of(pair))
    assert start.timestamp() < synth.local(2024, 5, 14) and end.timestamp() > synth.local(
        2024, 5, 15
    )


def test_the_office_run_gives_the_same_numbers_as_the_upload_recheck(block):
    pair = block["pair"]
    other = factories.make_pair(
        block["office"], block["community"], "第二组", [block["segments"]["n"]]
    )
    tracks = walked_block(pair, duration=5000)
    # The second pair walks the N street, alone (one member absent).
    path = synth.np.array([(-100, 240), (400, 240), (-100, 240)], dtype=float)
    tracks[factories.stewards_of(other)[0]] = synth.walk(T0, 3000, path_xy=path, seed=5)
    loader = factories.DictLoader(tracks)
    single = evaluate_pair_day(pair, DAY, points_loader=loader)
    single_cov = sorted(
        SegmentCoverage.objects.filter(pair=pair, day=DAY).values_list(
            "segment_id", "covered_bits", "patrol_count", "last_patrolled_at"
        )
    )
    messages = []
    stats = evaluate_street_office(
        block["office"],
        date(2024, 5, 13),
        date(2024, 5, 15),
        points_loader=loader,
        progress=lambda i, n, msg: messages.append(msg),
    )
    assert stats.days == 3 and stats.pair_days == 6 and stats.compliant == 0
    again = PairDayVerdict.objects.get(pair=pair, day=DAY)
    assert again.numbers == single.numbers
    assert again.failed_codes == single.failed_codes == ["not_together"]
    assert (
        sorted(
            SegmentCoverage.objects.filter(pair=pair, day=DAY).values_list(
                "segment_id", "covered_bits", "patrol_count", "last_patrolled_at"
            )
        )
        == single_cov
    )
    lone = PairDayVerdict.objects.get(pair=other, day=DAY)
    assert lone.failed_codes == ["members_missing"]
    assert lone.walked_share > 0.9
    assert any("2024-05-15" in m for m in messages)
    assert PairDayVerdict.objects.filter(day=date(2024, 5, 13), minutes_qualifying=0).count() == 2


def test_office_overrides_change_the_verdict(block):
    pair = block["pair"]
    RuleSettings.objects.create(street_office=block["office"], overrides={"min_minutes": 60})
    loader = factories.DictLoader(walked_block(pair, duration=4000))
    v = evaluate_pair_day(pair, DAY, points_loader=loader)
    assert v.compliant
    RuleSettings.objects.filter(street_office=block["office"]).update(
        overrides={"min_minutes": 120}
    )
    assert not evaluate_pair_day(pair, DAY, points_loader=loader).compliant


def test_an_upload_crossing_midnight_updates_both_days(block):
    pair = block["pair"]
    a, b = factories.stewards_of(pair)
    start = synth.local(2024, 5, 14, 23, 0)
    loader = factories.DictLoader(
        {a: synth.walk(start, 7200, seed=1), b: synth.walk(start, 7200, seed=2)}
    )
    verdicts = reevaluate_after_upload(a, start, start + 7200, points_loader=loader)
    assert [v.day for v in verdicts] == [date(2024, 5, 14), date(2024, 5, 15)]
    assert [round(v.minutes_qualifying) for v in verdicts] == [60, 60]


def test_coverage_rollups_and_geojson(block):
    pair = block["pair"]
    evaluate_pair_day(pair, DAY, points_loader=factories.DictLoader(walked_block(pair)))
    office = block["office"]
    (row,) = grid_queries.coverage_rollup(office.id, DAY, DAY, "pair")
    assert row["key"] == pair.id and row["share"] > 0.95
    assert row["claimed_m"] == pytest.approx(1000, rel=0.02)
    (whole,) = grid_queries.coverage_rollup(
        office.id, date(2024, 5, 1), date(2024, 5, 31), "office"
    )
    assert whole["share"] == pytest.approx(row["share"])
    doc = json.loads(grid_queries.coverage_geojson(office.id, DAY, DAY))
    props = {f["properties"]["name"]: f["properties"] for f in doc["features"]}
    assert props["北街"]["share"] == 0 and props["北街"]["claimed"] is False
    assert (
        props["南巷"]["share"] > 0.95
        and 8 <= props["南巷"]["patrols"] <= 9
        and props["南巷"]["claimed"]
    )
    empty = json.loads(grid_queries.coverage_geojson(office.id, date(2024, 6, 1), date(2024, 6, 2)))
    assert all(f["properties"]["share"] == 0 for f in empty["features"])


def test_the_command_reports_progress_and_counts(block, monkeypatch, capsys):
    pair = block["pair"]
    loader = factories.DictLoader(walked_block(pair))
    monkeypatch.setattr("patrols.evaluation._default_loader", lambda: loader)
    call_command(
        "evaluate_patrols",
        "--office",
        block["office"].code,
        "--from",
        "2024-05-14",
        "--to",
        "2024-05-14",
    )
    out = capsys.readouterr().out
    assert "1 组日" in out and "1 达标" in out
    assert PairDayVerdict.objects.get(pair=pair, day=DAY).compliant


def test_coverage_by_anyone_includes_other_pairs_but_by_pair_does_not(block):
    pair = block["pair"]
    other = factories.make_pair(
        block["office"], block["community"], "第二组", [block["segments"]["n"]]
    )
    a, b = factories.stewards_of(other)
    south = synth.np.array([(0, 0), (300, 0), (0, 0)], dtype=float)
    loader = factories.DictLoader(
        {
            a: synth.walk(T0, 1200, path_xy=south, seed=3),
            b: synth.walk(T0, 1200, path_xy=south, seed=4),
        }
    )
    evaluate_street_office(block["office"], DAY, DAY, points_loader=loader)
    anyone = {
        f["properties"]["name"]: f["properties"]
        for f in json.loads(grid_queries.coverage_geojson(block["office"].id, DAY, DAY))["features"]
    }
    by_pair = {
        f["properties"]["name"]: f["properties"]
        for f in json.loads(
            grid_queries.coverage_geojson(block["office"].id, DAY, DAY, by_pair=True)
        )["features"]
    }
    assert (
        anyone["南巷"]["share"] > 0.95 and anyone["南巷"]["patrols"] == 1
    )  # 20 min back and forth
    assert by_pair["南巷"]["share"] == 0  # the claiming pair never came
    (row,) = [
        r
        for r in grid_queries.coverage_rollup(block["office"].id, DAY, DAY, "pair")
        if r["key"] == pair.id
    ]
    assert row["share"] == 0


def test_rule_settings_reject_unknown_or_invalid_parameters(block):
    from django.core.exceptions import ValidationError

    bad = RuleSettings(street_office=block["office"], overrides={"min_minute": 90})
    with pytest.raises(ValidationError, match="unknown"):
        bad.full_clean()
    worse = RuleSettings(
        street_office=block["office"], overrides={"time_slots": [["09:00", "06:00"]]}
    )
    with pytest.raises(ValidationError):
        worse.full_clean()
    RuleSettings(street_office=block["office"], overrides={"min_minutes": 90}).full_clean()


def test_the_command_rejects_an_unknown_office(block):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有代码为"):
        call_command(
            "evaluate_patrols", "--office", "nope", "--from", "2024-05-14", "--to", "2024-05-14"
        )


def test_forked_workers_store_the_same_verdicts_and_coverage_as_one_process(block, monkeypatch):
    monkeypatch.setattr("patrols.evaluation.PARALLEL_MIN_PAIRS", 2)
    pairs, tracks = factories.four_pairs_walking(block, T0)
    loader = factories.DictLoader(tracks)

    def snapshot():
        verdicts = sorted(
            PairDayVerdict.objects.filter(day=DAY).values_list("pair_id", "compliant", "numbers")
        )
        cov = sorted(
            SegmentCoverage.objects.filter(day=DAY).values_list(
                "segment_id", "pair_id", "covered_bits", "patrol_count", "last_patrolled_at"
            )
        )
        return verdicts, cov

    evaluate_street_office(block["office"], DAY, DAY, points_loader=loader, workers=1)
    one = snapshot()
    evaluate_street_office(block["office"], DAY, DAY, points_loader=loader, workers=2)
    assert snapshot() == one
    assert len(one[0]) == 4 and len(one[1]) > 4
