"""The rule on simulated pairs, one deviant case each (see synth.py for the block's sketch)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from patrols.pair_day import assess_pair_day
from patrols.rule import Failure
from patrols.rule_config import DEFAULT_PARAMS, RuleParams

from . import synth

DAY = date(2024, 5, 14)
T0 = synth.local(2024, 5, 14, 8, 0)  # 08:00 Beijing time
TWO_H = 7200
ids, lines = synth.claimed()


def assess(tracks, params=DEFAULT_PARAMS, day=DAY):
    return assess_pair_day(tracks, ids, lines, day, params)


def pair_walk(duration_s=TWO_H + 300, start=T0, **kw):
    a = synth.walk(start, duration_s, seed=1, **kw)
    b = synth.walk(start, duration_s, seed=2, phase_m=kw.pop("phase_m", 0.0) + 4.0, **kw)
    return {1: a, 2: b}


def test_a_pair_walking_its_block_together_for_2h05_is_compliant():
    a = assess(pair_walk())
    assert a.verdict.compliant, a.verdict.reasons
    assert a.verdict.failed == []
    assert a.verdict.minutes_qualifying == pytest.approx(125, abs=0.5)
    assert a.verdict.minutes_inside_per_member == pytest.approx([125, 125], abs=0.5)
    # 2h at 1.1 m/s goes round the 1 km block ~8 times: every alley walked end to end.
    assert a.verdict.walked_share > 0.97
    assert (a.claimed.patrols >= 1).all()


def test_one_partner_absent_fails_for_missing_member():
    tracks = pair_walk()
    del tracks[2]
    tracks[2] = (np.zeros(0), np.zeros(0), np.zeros(0))
    a = assess(tracks)
    assert not a.verdict.compliant
    assert a.verdict.failed_codes == [Failure.MEMBERS]
    assert "1 名组员" in a.verdict.reasons[0]
    # The present member's own patrol is still reported.
    assert a.verdict.minutes_inside_per_member[0] == pytest.approx(125, abs=0.5)
    assert a.verdict.minutes_together == 0


def test_partners_200_m_apart_on_the_same_block_are_not_together():
    a_track = synth.walk(T0, TWO_H + 300, seed=1)
    b_track = synth.walk(T0, TWO_H + 300, seed=2, phase_m=200.0)  # 200 m behind along the loop
    a = assess({1: a_track, 2: b_track})
    assert not a.verdict.compliant
    assert a.verdict.failed_codes == [Failure.TOGETHER]
    # Each of them did patrol inside the area: only togetherness failed.
    assert min(a.verdict.minutes_inside_per_member) > 120
    assert a.verdict.minutes_together < 5


def test_a_vehicle_ride_through_the_area_does_not_count():
    # Both ride round the block at 6 m/s (an e-bike) for 2h05: together, inside, but not walking.
    a = assess(pair_walk(speed=6.0))
    assert not a.verdict.compliant
    assert a.verdict.failed_codes == [Failure.WALKING]
    assert a.verdict.minutes_together_inside > 120
    assert a.verdict.minutes_qualifying < 1
    assert a.verdict.walked_share == 0


def test_a_ride_in_the_middle_of_a_walk_is_subtracted():
    walk1 = pair_walk(duration_s=3600)
    ride = pair_walk(duration_s=1800, start=T0 + 3600, speed=7.0)
    walk2 = pair_walk(duration_s=3600, start=T0 + 5400)
    tracks = {k: synth.join(walk1[k], ride[k], walk2[k]) for k in (1, 2)}
    a = assess(tracks)
    assert a.verdict.minutes_together_inside == pytest.approx(150, abs=1)
    assert a.verdict.minutes_qualifying == pytest.approx(120, abs=2)
    min_ok = assess(tracks, RuleParams(min_minutes=115))
    assert min_ok.verdict.compliant


def test_patrolling_outside_the_claimed_area_fails_and_covers_nothing():
    # They walk the parallel N street 40 m north of the north alley, for 2h05.
    path = np.array([(-100, 240), (400, 240), (-100, 240)], dtype=float)
    a = assess(pair_walk(path_xy=path))
    assert not a.verdict.compliant
    assert a.verdict.failed_codes == [Failure.INSIDE]
    assert a.verdict.minutes_together > 120
    # Not even the north alley, 40 m away and parallel, is covered.
    assert a.verdict.walked_share == 0
    assert a.claimed.walked_m.sum() == 0


def test_a_gcj02_upload_is_only_right_after_conversion():
    tracks = pair_walk()
    gcj = {}
    for k, (t, lon, lat) in tracks.items():
        glon, glat = synth.wgs84_to_gcj02(lon, lat)
        gcj[k] = (t, glon, glat)
    shift = np.hypot(
        (gcj[1][1] - tracks[1][1]) * synth.M_PER_DEG_LON,
        (gcj[1][2] - tracks[1][2]) * synth.M_PER_DEG_LAT,
    )
    assert shift.min() > 100  # GCJ-02 in Beijing sits hundreds of metres off WGS-84
    raw = assess(gcj)
    assert not raw.verdict.compliant
    assert raw.verdict.failed_codes == [Failure.INSIDE]
    converted = {k: (t, *synth.gcj02_to_wgs84(lon, lat)) for k, (t, lon, lat) in gcj.items()}
    fixed = assess(converted)
    assert fixed.verdict.compliant, fixed.verdict.reasons
    assert fixed.verdict.minutes_qualifying == pytest.approx(125, abs=0.5)


def test_a_patrol_crossing_midnight_counts_for_each_day_its_part():
    start = synth.local(2024, 5, 14, 23, 0)
    tracks = pair_walk(duration_s=TWO_H, start=start)
    first = assess(tracks, day=date(2024, 5, 14))
    second = assess(tracks, day=date(2024, 5, 15))
    assert first.verdict.minutes_qualifying == pytest.approx(60, abs=0.2)
    assert second.verdict.minutes_qualifying == pytest.approx(60, abs=0.2)
    assert not first.verdict.compliant and not second.verdict.compliant
    hourly = RuleParams(min_minutes=60)
    assert assess(tracks, hourly, date(2024, 5, 14)).verdict.compliant
    assert assess(tracks, hourly, date(2024, 5, 15)).verdict.compliant
    assert assess(tracks, day=date(2024, 5, 16)).verdict.minutes_qualifying == 0


def test_a_two_minute_gps_gap_in_an_alley_does_not_break_the_patrol():
    tracks = pair_walk(duration_s=TWO_H + 60)
    gap_from, gap_to = T0 + 3000, T0 + 3120
    gapped = {k: synth.without(tr, gap_from, gap_to) for k, tr in tracks.items()}
    a = assess(gapped)
    assert a.verdict.compliant, a.verdict.reasons
    assert a.verdict.minutes_qualifying == pytest.approx(121, abs=0.3)
    assert a.measurement.longest_qualifying_s > 7000  # one stretch, not two
    # The same gap with a 60 s tolerance is "no data": the patrol falls short.
    strict = assess(gapped, RuleParams(gap_tolerance_s=60))
    assert not strict.verdict.compliant
    assert strict.verdict.minutes_qualifying == pytest.approx(119, abs=0.3)


def test_exactly_at_the_threshold_is_compliant_and_one_second_less_is_not():
    exact = assess(pair_walk(duration_s=TWO_H, noise_m=0.0))
    assert exact.measurement.seconds_qualifying == TWO_H
    assert exact.verdict.compliant
    short = assess(pair_walk(duration_s=TWO_H - 1, noise_m=0.0))
    assert short.measurement.seconds_qualifying == TWO_H - 1
    assert not short.verdict.compliant
    assert "119.98" not in short.verdict.reasons[0]  # reasons are rounded to 0.1 min
    assert short.verdict.failed_codes == [Failure.TOGETHER]


def test_required_time_slots_each_need_their_minutes():
    slots = (("06:00", "09:00"), ("14:00", "17:00"), ("19:00", "21:00"))
    params = RuleParams(min_minutes=90, time_slots=slots, slot_min_minutes=30)
    morning = pair_walk(duration_s=2400, start=synth.local(2024, 5, 14, 7, 0))
    afternoon = pair_walk(duration_s=2400, start=synth.local(2024, 5, 14, 15, 0))
    evening = pair_walk(duration_s=2400, start=synth.local(2024, 5, 14, 19, 30))
    all3 = {k: synth.join(morning[k], afternoon[k], evening[k]) for k in (1, 2)}
    assert assess(all3, params).verdict.compliant
    two = {
        k: synth.join(
            morning[k], pair_walk(duration_s=4800, start=synth.local(2024, 5, 14, 14, 0))[k]
        )
        for k in (1, 2)
    }
    v = assess(two, params).verdict
    assert not v.compliant
    assert v.failed_codes == [Failure.SLOT]
    assert "19:00–21:00" in v.reasons[0]


def test_params_override_and_digest():
    p = RuleParams.from_overrides({"min_minutes": 90, "time_slots": [["06:00", "09:00"]]})
    assert p.min_minutes == 90 and p.time_slots == (("06:00", "09:00"),)
    assert p.digest() != RuleParams().digest()
    with pytest.raises(ValueError, match="unknown"):
        RuleParams.from_overrides({"min_minute": 90})
    with pytest.raises(ValueError):
        RuleParams(walk_speed_min=3, walk_speed_max=2)
