"""Simulate a week (or N days) of patrols for every pair with claimed segments, through ingest."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q
from django.utils import timezone

from demo.simulate import SCENARIOS, gpx_bytes, simulate_pair_day
from grids.models import Claim
from patrols.tracks.ingest import TrackRejected, ingest_file
from stewards.models import Pair

# Mostly compliant pairs, with every deviant case present in a demo week.
DEFAULT_MIX = {
    "normal": 0.6,
    "absent": 0.08,
    "apart": 0.08,
    "vehicle": 0.06,
    "outside": 0.06,
    "short": 0.08,
    "midnight": 0.04,
}


class Command(BaseCommand):
    help = "模拟巡查轨迹（演示与基准测试用）：每组按认领街巷步行，含 GPS 噪声、信号中断与异常情形。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            help="last local day (default yesterday)",
        )
        parser.add_argument("--seed", type=int, default=20240501)
        parser.add_argument(
            "--scenario", choices=SCENARIOS, default=None, help="force one scenario for all pairs"
        )
        parser.add_argument("--office", default=None, help="street office code (default: all)")

    def handle(
        self,
        *args: object,
        days: int,
        end: date | None,
        seed: int,
        scenario: str | None,
        office: str | None,
        **options: object,
    ) -> None:
        end = end or (timezone.localdate() - timedelta(days=1))
        names, probs = list(DEFAULT_MIX), np.array(list(DEFAULT_MIX.values()))
        # Deterministic order and per-pair-day seeds: a re-run must reproduce the same files, so the
        # checksum recognises them instead of storing a second patrol for the same people and time.
        pairs = (
            Pair.objects.filter(dissolved_on__isnull=True)
            .order_by("id")
            .prefetch_related("members__steward__street_office")
        )
        if office:
            pairs = pairs.filter(street_office__code=office)
        created = skipped = rejected = 0
        for pair in pairs:
            members = [m.steward for m in pair.members.all() if m.left_on is None][:2]
            if len(members) < 2:
                continue
            for k in range(days):
                day = end - timedelta(days=days - 1 - k)
                claims = Claim.objects.filter(pair=pair, valid_from__lte=day).filter(
                    Q(valid_to__isnull=True) | Q(valid_to__gt=day)
                )
                lines = [
                    c.segment.geom for c in claims.select_related("segment").order_by("segment_id")
                ]
                if not lines:
                    continue
                rng = np.random.default_rng([seed, pair.pk, day.toordinal()])
                sc = scenario or str(rng.choice(names, p=probs / probs.sum()))
                tracks = simulate_pair_day(lines, day, scenario=sc, seed=int(rng.integers(2**31)))
                for steward, key in zip(members, ("a", "b"), strict=True):
                    if tracks[key][0].size < 2:
                        continue
                    data = gpx_bytes(tracks[key], name=f"{pair.name} {day} {sc}")
                    try:
                        res = ingest_file(
                            io.BytesIO(data),
                            filename=f"sim-{day}-{steward.pk}-{sc}.gpx",
                            steward=steward,
                        )
                    except TrackRejected as exc:
                        rejected += 1
                        self.stderr.write(f"{steward} {day} {sc}: {exc}")
                        continue
                    if res.duplicate:
                        skipped += 1
                    else:
                        created += 1
        self.stdout.write(
            f"uploads created: {created}, unchanged (already stored): {skipped}, rejected: {rejected}"
        )
