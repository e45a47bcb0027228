"""Parameters of the patrol rule 「每2人为一组，对认领的片区每天要开展不少于2小时巡视工作」.

The defaults are the seed values; a street office overrides any of them through its
`patrols.RuleSettings` row (see `RuleSettings.params()`). Pure Python: no ORM here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import time
from typing import Any


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class RuleParams:
    # 每2人为一组: everyone in the group must be present and together.
    group_size: int = 2
    # 每天不少于2小时: minutes together, inside the claimed area, at walking speed, per local day.
    min_minutes: float = 120.0
    # Together = every member within this many metres of every other at the same second.
    # 30 m tolerates two phones' GPS error (5-15 m each in alleys) while two people 200 m apart fail.
    together_m: float = 30.0
    # Inside = within this many metres of one of the pair's claimed segments (centre lines).
    inside_m: float = 25.0
    # Walking speed range in m/s over the smoothing window. Below the minimum is standing still
    # (short stops are forgiven, see stop_tolerance_s); above the maximum is a vehicle: brisk walking
    # is at most ~2 m/s and smoothed GPS jitter adds ~0.3 m/s, while bicycles, e-bikes and buses in
    # a street run at 3 m/s and more.
    walk_speed_min: float = 0.2
    walk_speed_max: float = 2.5
    # Speed is the displacement over this window (centred), which averages out GPS jitter.
    speed_window_s: int = 30
    # A stop (talking to a resident, looking at a hazard) up to this long between walking stretches
    # still counts as patrolling.
    stop_tolerance_s: int = 300
    # A signal loss up to this long (a narrow alley, a passage) is bridged by linear interpolation;
    # longer gaps are "no data" and count for nothing.
    gap_tolerance_s: int = 180
    # Optional required periods of the local day, e.g. (("06:00", "09:00"), ("14:00", "17:00"), ...)
    # for 「每天分三个时段」; each must hold at least slot_min_minutes of qualifying patrol.
    time_slots: tuple[tuple[str, str], ...] = ()
    slot_min_minutes: float = 20.0
    # The common time grid for the members' tracks.
    grid_step_s: int = 1
    # Coverage: a segment sample point is walked when a walking track point lies within cover_m of
    # it and the track heads along the segment (within cover_angle_deg); a parallel street 40 m
    # away or a perpendicular crossing does not count.
    cover_m: float = 15.0
    cover_angle_deg: float = 35.0
    sample_step_m: float = 5.0
    # Two covering moments further apart than this are two patrols of the segment.
    pass_gap_s: int = 600
    timezone: str = "Asia/Shanghai"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.group_size < 1:
            raise ValueError("group_size must be at least 1")
        if self.min_minutes < 0:
            raise ValueError("min_minutes must not be negative")
        if not 0 <= self.walk_speed_min < self.walk_speed_max:
            raise ValueError("need 0 <= walk_speed_min < walk_speed_max")
        if self.grid_step_s < 1 or self.speed_window_s < 2:
            raise ValueError("grid_step_s >= 1 and speed_window_s >= 2")
        slots = tuple((str(a), str(b)) for a, b in self.time_slots)
        for start, end in slots:
            if _parse_hhmm(start) >= _parse_hhmm(end):
                raise ValueError(f"time slot {start}-{end} must end after it starts")
        object.__setattr__(self, "time_slots", slots)

    @property
    def slots(self) -> list[tuple[time, time]]:
        return [(_parse_hhmm(a), _parse_hhmm(b)) for a, b in self.time_slots]

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("extra")
        data["time_slots"] = [list(s) for s in self.time_slots]
        return data

    def digest(self) -> str:
        """A short hash stored with each verdict, so stale verdicts are recognisable."""
        blob = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None) -> RuleParams:
        """Defaults updated with a street office's overrides; unknown keys are an error."""
        overrides = dict(overrides or {})
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"unknown rule parameters: {sorted(unknown)}")
        if "time_slots" in overrides:
            overrides["time_slots"] = tuple(tuple(s) for s in overrides["time_slots"])
        return cls(**overrides)


DEFAULT_PARAMS = RuleParams()
