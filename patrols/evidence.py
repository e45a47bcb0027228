"""Is a pair's "together" the evidence of two people? Sources of the members' tracks, compared.

Two phones walking side by side never agree to the centimetre: their fixes differ by metres and
drift. So seconds together are not credited where the two members' tracks come from
- the same original file (one checksum uploaded for both members),
- the same recording device (the recorder's device id), or
- coinciding fixes: the same timestamps with coordinates equal to ~1e-7° on most shared seconds
  (a file copied and renamed, or one phone's export edited).
Uploads made by someone other than the steward (a supervisor, a partner) are noted, not refused.

`Evidence` holds, per pair of members, the time intervals not credited and why; the rule
(`patrols.together.measure_pair_day(uncredited=…)`, `patrols.rule.verdict(evidence=…)`) uses it.
Everything is vectorised over the loaded points; the track sources are one query per run
(`patrols.tracks.store.track_sources`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

from patrols.tracks.series import TrackArrays, common_times, merge_intervals

COINCIDE_DEG = 1.5e-7  # 7 decimals written by one tool and read back: ~1 cm
MIN_COINCIDENT = 10  # fewer coinciding fixes than this is chance, not a copy
MAJORITY_WINDOW_S = 300.0  # "most shared seconds" is judged over ±5 minutes around each


class Cause:
    SAME_FILE = "same_file"
    SAME_DEVICE = "same_device"
    COINCIDENT = "coincident_fixes"


@dataclass(frozen=True)
class TrackSource:
    steward_id: int
    start: float
    end: float
    sha256: str
    device_id: str
    proxy_by: str  # username of whoever uploaded it for the steward; "" for the steward


@dataclass
class Evidence:
    """Per member pair (sorted steward ids): intervals (k × 2, epoch s) not credited, and causes."""

    uncredited: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    causes: set[str] = field(default_factory=set)
    proxies: list[tuple[int, str]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)

    def intervals(self, a: int, b: int) -> np.ndarray | None:
        return self.uncredited.get((min(a, b), max(a, b)))


def _shared_source(a: list[TrackSource], b: list[TrackSource], key: str) -> np.ndarray:
    """Overlaps of a's and b's tracks that share a checksum or device id (k × 2)."""
    out = [
        (max(x.start, y.start), min(x.end, y.end))
        for x, y in itertools.product(a, b)
        if getattr(x, key)
        and getattr(x, key) == getattr(y, key)
        and x.start <= y.end
        and y.start <= x.end
    ]
    return np.array(out, dtype=float).reshape(-1, 2)


def coincident_intervals(a: TrackArrays, b: TrackArrays, reach_s: float) -> np.ndarray:
    """Where most fixes at the same timestamps also share coordinates (k × 2), ± reach_s."""
    ta, xa, ya = (np.asarray(v, dtype=float) for v in a)
    tb, xb, yb = (np.asarray(v, dtype=float) for v in b)
    common, ia, ib = common_times(ta, tb)
    if common.size < MIN_COINCIDENT:
        return np.zeros((0, 2))
    same = np.abs(xa[ia] - xb[ib]) <= COINCIDE_DEG
    if np.count_nonzero(same) < MIN_COINCIDENT:  # (two phones: the longitudes alone differ)
        return np.zeros((0, 2))
    same &= np.abs(ya[ia] - yb[ib]) <= COINCIDE_DEG
    if int(same.sum()) < MIN_COINCIDENT:
        return np.zeros((0, 2))
    # Share of coinciding fixes among the shared timestamps within ±MAJORITY_WINDOW_S.
    csum = np.concatenate([[0], np.cumsum(same)])
    lo = np.searchsorted(common, common - MAJORITY_WINDOW_S, side="left")
    hi = np.searchsorted(common, common + MAJORITY_WINDOW_S, side="right")
    copied = same & ((csum[hi] - csum[lo]) * 2 > (hi - lo))
    t = common[copied]
    return merge_intervals(np.column_stack([t - reach_s, t + reach_s]))


def assess_evidence(
    member_ids: Iterable[int],
    tracks: Mapping[int, TrackArrays],
    sources: Mapping[int, list[TrackSource]],
    reach_s: float,
) -> Evidence:
    """Compare every two members' sources and fixes; `reach_s` is the rule's gap tolerance."""
    ev = Evidence()
    members = sorted(set(member_ids))
    for sid in members:
        for who in sorted({s.proxy_by for s in sources.get(sid, []) if s.proxy_by}):
            ev.proxies.append((sid, who))
    empty = (np.zeros(0),) * 3
    for a, b in itertools.combinations(members, 2):
        parts = []
        for cause, iv in (
            (Cause.SAME_FILE, _shared_source(sources.get(a, []), sources.get(b, []), "sha256")),
            (
                Cause.SAME_DEVICE,
                _shared_source(sources.get(a, []), sources.get(b, []), "device_id"),
            ),
            (
                Cause.COINCIDENT,
                coincident_intervals(tracks.get(a, empty), tracks.get(b, empty), reach_s),
            ),
        ):
            if len(iv):
                ev.causes.add(cause)
                parts.append(iv)
        if parts:
            ev.uncredited[a, b] = merge_intervals(np.concatenate(parts))
    return ev


def uncredited_reason(ev: Evidence, minutes: float) -> str | None:
    """Why `minutes` of being close were not credited (None when nothing was left out)."""
    if not ev.causes or minutes <= 0:
        return None
    texts = {
        Cause.SAME_FILE: _("两名组员的轨迹来自同一个上传文件（校验值相同）"),
        Cause.SAME_DEVICE: _("两名组员的轨迹由同一台设备记录"),
        Cause.COINCIDENT: _("两名组员的定位点时间和坐标完全重合（两部手机不会一厘米不差）"),
    }
    why = "；".join(texts[c] for c in sorted(ev.causes))
    return _("%(min).1f 分钟同行不计入：%(why)s，不能证明两人同行。") % {
        "min": minutes,
        "why": why,
    }


def proxy_notes(ev: Evidence) -> list[str]:
    """ "X's track was uploaded by Y": a supervisor (or partner) uploading for a steward."""
    return [
        _("%(name)s 的轨迹由 %(who)s 代为上传。") % {"name": ev.names.get(sid, sid), "who": who}
        for sid, who in ev.proxies
    ]
