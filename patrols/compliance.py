"""The supervisors' compliance table: filters over stored verdicts, and its CSV/Excel export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Claim
from patrols.models import PairDayVerdict
from patrols.rule import floor_to


@dataclass
class ComplianceFilter:
    start: date
    end: date
    community: int | None = None
    grid: int | None = None
    verdict: str = ""  # "", "compliant", "noncompliant"
    pair: int | None = None

    @classmethod
    def from_query(cls, q) -> ComplianceFilter:
        today = timezone.localdate()

        def day(name: str, default: date) -> date:
            try:
                return date.fromisoformat(q.get(name, ""))
            except ValueError:
                return default

        def num(name: str) -> int | None:
            value = q.get(name, "")
            return int(value) if value.isascii() and value.isdigit() else None

        end = day("to", today)
        start = day("from", end - timedelta(days=6))
        verdict = q.get("verdict", "")
        return cls(
            start=min(start, end),
            end=max(start, end),
            community=num("community"),
            grid=num("grid"),
            verdict=verdict if verdict in ("compliant", "noncompliant") else "",
            pair=num("pair"),
        )

    def apply(self, office_id: int, *, with_verdict: bool = True) -> QuerySet[PairDayVerdict]:
        """The verdicts the filter selects; `with_verdict=False` ignores the 达标/未达标 choice
        (the compliance rate is over every pair-day the other filters select: "only the failed
        ones" must not make the rate read 0 %)."""
        qs = PairDayVerdict.objects.filter(
            street_office_id=office_id, day__range=(self.start, self.end)
        )
        if self.community:
            qs = qs.filter(community_id=self.community)
        if self.grid:
            # A pair belongs to the grids of the segments it claims.
            qs = qs.filter(
                pair_id__in=Claim.objects.filter(segment__grid_id=self.grid).values("pair_id")
            )
        if self.verdict and with_verdict:
            qs = qs.filter(compliant=self.verdict == "compliant")
        if self.pair:
            qs = qs.filter(pair_id=self.pair)
        return qs.select_related("pair", "community").order_by(
            "-day", "community__name", "pair__name"
        )


def headers() -> list[str]:
    return [
        _("日期"),
        _("社区"),
        _("巡查组"),
        _("判定"),
        _("同行且在片区内步行（分钟）"),
        _("同行（分钟）"),
        _("同行且在片区内（分钟）"),
        _("组员片区内步行（分钟）"),
        _("认领街巷走过比例"),
        _("原因"),
    ]


def row(v: PairDayVerdict) -> list:
    per_member = v.numbers.get("minutes_inside_per_member", [])
    return [
        v.day.isoformat(),
        v.community.name,
        v.pair.name,
        _("达标") if v.compliant else _("未达标"),
        v.minutes_qualifying,
        v.minutes_together,
        v.minutes_together_inside,
        " / ".join(f"{floor_to(m, 1):.1f}" for m in per_member),
        round(v.walked_share, 3),
        "；".join(v.reasons),
    ]


def to_csv(qs) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers())
    for v in qs.iterator(chunk_size=2000):
        writer.writerow(row(v))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly


def to_xlsx(qs) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("巡查达标"))
    ws.append(headers())
    for v in qs.iterator(chunk_size=2000):
        ws.append(row(v))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
