"""Import 311-style CSV exports (e.g. Boston's) with a column mapping.

Geocoders put cases they cannot place on a city default point (Boston: City Hall, 42.3594,-71.0587).
Such rows would form a fake hotspot, so they are detected — a configured placeholder list, plus the
modal coordinate when it is shared by many rows — and flagged instead of imported as located reports.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from geo.models import Grid, StreetOffice
from hazards.models import HazardCategory, HazardEvent, HazardReport


@dataclass
class ColumnMapping:
    external_id: str
    requested: str
    lat: str
    lon: str
    service: str
    description: str = ""
    address: str = ""
    status: str = ""
    closed: str = ""
    closed_values: tuple[str, ...] = ("closed",)
    time_format: str = "%Y-%m-%d %H:%M:%S"
    time_zone: str = "Asia/Shanghai"
    # source service/type value -> our category code; anything else goes to `default_category`.
    categories: dict[str, str] = field(default_factory=dict)
    default_category: str = "other"
    placeholders: tuple[tuple[float, float], ...] = ()  # known (lat, lon) default points


BOSTON_311 = ColumnMapping(
    external_id="case_enquiry_id",
    requested="open_dt",
    lat="latitude",
    lon="longitude",
    service="type",
    description="case_title",
    address="location",
    status="case_status",
    closed="closed_dt",
    time_zone="America/New_York",
    categories={
        "Illegal Parking": "parking",
        "Parking Enforcement": "parking",
        "Abandoned Vehicles": "parking",
        "Request for Pothole Repair": "infrastructure",
        "Sidewalk Repair (Make Safe)": "infrastructure",
        "Street Light Outages": "infrastructure",
        "Traffic Signal Inspection": "infrastructure",
        "Missed Trash/Recycling/Yard Waste/Bulk Item": "clutter",
        "Schedule a Bulk Item Pickup": "clutter",
        "Schedule a Bulk Item Pickup SS": "clutter",
        "Improper Storage of Trash (Barrels)": "clutter",
        "Needle Pickup": "safety",
        "Unsafe Dangerous Conditions": "safety",
        "Building Inspection Request": "illegal-construction",
        "CE Collection": "clutter",
        "Requests for Street Cleaning": "clutter",
        "Empty Litter Basket": "clutter",
        "Graffiti Removal": "clutter",
        "PWD Graffiti": "clutter",
        "Poor Conditions of Property": "safety",
        "Electrical": "wiring",
        "Unsatisfactory Utilities - Electrical  Plumbing": "wiring",
        "Sidewalk Cover / Manhole": "infrastructure",
        "Sign Repair": "infrastructure",
        "Knockdown Replacement": "infrastructure",
        "Loud Parties/Music/People": "dispute",
    },
)


class CsvLayoutError(ValueError):
    """The file does not fit the mapping as a whole (a missing column, another date format)."""


# Mapping fields that name a column, and those every file must have.
COLUMN_FIELDS = ("external_id", "requested", "lat", "lon", "service", "description", "address",
                 "status", "closed")  # fmt: skip
REQUIRED_FIELDS = ("external_id", "requested", "lat", "lon", "service")
# A point further than this beyond the office's boundary is reported as outside it.
OUTSIDE_M = 1000.0


def mapping_with(
    base: ColumnMapping | None,
    *,
    mapping_file: Path | str | None = None,
    columns: dict[str, str] | None = None,
    date_format: str | None = None,
) -> ColumnMapping:
    """``base`` (or an empty mapping) with a JSON mapping file's keys, then ``field=header`` pairs
    and a date format from the command line on top."""
    values: dict = dataclasses.asdict(base) if base else {f: "" for f in REQUIRED_FIELDS}
    if mapping_file:
        try:
            loaded = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CsvLayoutError(f"cannot read the mapping file {mapping_file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise CsvLayoutError(f"the mapping file {mapping_file} must hold a JSON object")
        values.update(loaded)
    values.update(columns or {})
    if date_format:
        values["time_format"] = date_format
    known = {f.name for f in dataclasses.fields(ColumnMapping)}
    if unknown := sorted(set(values) - known):
        raise CsvLayoutError(
            f"unknown mapping keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    for key in ("closed_values", "placeholders"):
        values[key] = tuple(tuple(v) if isinstance(v, list) else v for v in values.get(key, ()))
    return ColumnMapping(**values)


def check_layout(header: list[str], rows: list[dict], mapping: ColumnMapping) -> list[str]:
    """One clear error for a file that cannot fit: a missing required column, or the date format.
    Returns the optional fields whose column is not in the file (they are left empty)."""
    if missing := [f for f in REQUIRED_FIELDS if not getattr(mapping, f)]:
        raise CsvLayoutError(f"the mapping names no column for: {', '.join(missing)}")
    wanted = {f: getattr(mapping, f) for f in REQUIRED_FIELDS}
    if absent := [f"{name} (for {f})" for f, name in wanted.items() if name not in header]:
        raise CsvLayoutError(
            f"missing column(s): {'; '.join(absent)}. The file has: {', '.join(header)}. "
            "Map them with --column field=header or --mapping file.json."
        )
    sample = next(
        (r[mapping.requested].strip() for r in rows if (r[mapping.requested] or "").strip()), None
    )
    if sample is not None:
        try:
            datetime.strptime(sample, mapping.time_format)
        except ValueError:
            raise CsvLayoutError(
                f"column {mapping.requested}: '{sample}' does not match the date format "
                f"'{mapping.time_format}' (e.g. {datetime(2026, 11, 1, 8, 30).strftime(mapping.time_format)}); "
                "give the file's format with --date-format, e.g. '%m/%d/%Y %H:%M'."
            ) from None
    optional = [f for f in COLUMN_FIELDS if f not in REQUIRED_FIELDS and getattr(mapping, f)]
    return [f for f in optional if getattr(mapping, f) not in header]


def rows_outside(office: StreetOffice, parsed: list[ParsedRow]) -> list[int]:
    """Row numbers whose point lies more than OUTSIDE_M beyond the office (one PostGIS query)."""
    located = [(i, ll) for i, _, ll in parsed if ll]
    if not located:
        return []
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT p.i FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS p(i, lat, lon),
                 geo_streetoffice o
            WHERE o.id = %s AND NOT ST_DWithin(
                ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography, o.geom::geography, %s)
            ORDER BY p.i
            """,
            [[i for i, _ in located], [ll[0] for _, ll in located],
             [ll[1] for _, ll in located], office.pk, OUTSIDE_M],
        )  # fmt: skip
        return [row[0] for row in cur.fetchall()]


@dataclass
class RowIssue:
    row: int  # 1-based data row number (header = row 0)
    external_id: str
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    flagged: list[RowIssue] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)
    placeholders: list[tuple[float, float]] = field(default_factory=list)
    outside: list[int] = field(default_factory=list)  # rows beyond the office (still imported)
    absent_optional: list[str] = field(default_factory=list)  # optional fields left empty


def detect_placeholders(
    coords: list[tuple[float, float]], *, min_share: float = 0.05, min_rows: int = 5
) -> set[tuple[float, float]]:
    """Coordinates shared by at least max(min_rows, min_share·n) rows: geocoder defaults.

    Real distinct cases almost never share a coordinate to 5 decimals; a default point collects a
    large share of all rows.
    """
    counts = Counter((round(a, 5), round(b, 5)) for a, b in coords)
    floor = max(min_rows, int(min_share * len(coords)))
    return {c for c, n in counts.items() if n >= floor}


def _parse_time(raw: str, mapping: ColumnMapping) -> datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    naive = datetime.strptime(raw, mapping.time_format)
    return naive.replace(tzinfo=ZoneInfo(mapping.time_zone))


ParsedRow = tuple[int, dict, tuple[float, float] | None]  # (1-based row, row, (lat, lon) or None)


def _read_rows(source: Path | str | io.TextIOBase) -> tuple[list[str], list[dict]]:
    if isinstance(source, str | Path):
        with open(source, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            return list(reader.fieldnames or []), list(reader)
    reader = csv.DictReader(source)
    return list(reader.fieldnames or []), list(reader)


def _with_coordinates(rows: list[dict], mapping: ColumnMapping) -> list[ParsedRow]:
    parsed: list[ParsedRow] = []
    for i, row in enumerate(rows, start=1):
        try:
            ll = (float(row[mapping.lat]), float(row[mapping.lon]))
        except (TypeError, ValueError, KeyError):
            ll = None
        parsed.append((i, row, ll))
    return parsed


@dataclass
class _RowSorter:
    """Decides each row: a new report, or a skipped / flagged / unchanged row counted in `result`."""

    office: StreetOffice
    mapping: ColumnMapping
    cats: dict[str, HazardCategory]
    placeholders: set[tuple[float, float]]
    existing: set[str]  # external ids already imported for the office (and earlier rows)
    result: ImportResult

    def report_for(self, i: int, row: dict, ll: tuple[float, float] | None) -> HazardReport | None:
        mapping, result = self.mapping, self.result
        ext = (row.get(mapping.external_id) or "").strip()
        if not ext:
            result.skipped.append(RowIssue(i, "", "没有编号列的值"))
            return None
        if ll is None:
            result.skipped.append(RowIssue(i, ext, "缺少或无法解析经纬度"))
            return None
        if (round(ll[0], 5), round(ll[1], 5)) in self.placeholders:
            result.flagged.append(RowIssue(i, ext, f"默认/占位坐标 {ll[0]},{ll[1]}"))
            return None
        default_cat = self.cats.get(mapping.default_category)
        cat = self.cats.get(mapping.categories.get(row.get(mapping.service, ""), ""), default_cat)
        if cat is None:
            result.skipped.append(RowIssue(i, ext, "街道没有“其他”类别，无法归类"))
            return None
        if ext in self.existing:
            result.unchanged += 1
            return None
        try:
            opened = _parse_time(row.get(mapping.requested, ""), mapping) or timezone.now()
            closed = _parse_time(row.get(mapping.closed, ""), mapping) if mapping.closed else None
        except ValueError:
            result.skipped.append(RowIssue(i, ext, "时间格式无法解析"))
            return None
        report = _new_report(self.office, mapping, row, ext, ll, cat, opened, closed)
        self.existing.add(ext)  # a repeated id later in the file is unchanged, not a duplicate
        return report


def _new_report(
    office: StreetOffice,
    mapping: ColumnMapping,
    row: dict,
    ext: str,
    ll: tuple[float, float],
    cat: HazardCategory,
    opened: datetime,
    closed: datetime | None,
) -> HazardReport:
    is_closed = (row.get(mapping.status, "") or "").strip().lower() in mapping.closed_values
    return HazardReport(
        street_office=office,
        category=cat,
        department=cat.department,
        description=(row.get(mapping.description) or "").strip(),
        address=(row.get(mapping.address) or "").strip()[:300],
        location=Point(ll[1], ll[0], srid=4326),
        status=HazardReport.Status.CLOSED if is_closed else HazardReport.Status.REPORTED,
        closed_at=closed if is_closed else None,
        reporter_kind=HazardReport.ReporterKind.ANONYMOUS,
        source=HazardReport.Source.IMPORT,
        external_id=ext,
        created_at=opened,
    )


def _save(new: list[HazardReport], *, dry_run: bool) -> int:
    """Insert the reports with their grid, community and first event; returns how many."""
    with transaction.atomic():
        created = HazardReport.objects.bulk_create(new)
        ids = [r.pk for r in created]
        # Set-based: each imported point picks up the grid (and its community) that covers it.
        grid = Grid.objects.filter(geom__covers=OuterRef("location"))
        HazardReport.objects.filter(pk__in=ids).update(
            grid_id=Subquery(grid.values("id")[:1]),
            community_id=Subquery(grid.values("community_id")[:1]),
        )
        now = timezone.now()
        HazardEvent.objects.bulk_create(
            HazardEvent(report=r, to_status=r.status, actor_role="import", note="导入", at=now)
            for r in created
        )
        if dry_run:
            transaction.set_rollback(True)
    return len(created)


def import_csv(
    source: Path | str | io.TextIOBase,
    office: StreetOffice,
    mapping: ColumnMapping,
    *,
    dry_run: bool = False,
) -> ImportResult:
    """Upsert by (office, external id): re-running an import creates nothing new."""
    header, rows = _read_rows(source)
    absent = check_layout(header, rows, mapping)
    mapping = dataclasses.replace(mapping, **dict.fromkeys(absent, ""))
    result = ImportResult(absent_optional=absent)
    cats = {c.code: c for c in HazardCategory.objects.filter(street_office=office)}
    parsed = _with_coordinates(rows, mapping)
    placeholders = {(round(a, 5), round(b, 5)) for a, b in mapping.placeholders}
    placeholders |= detect_placeholders([ll for _, _, ll in parsed if ll])
    result.placeholders = sorted(placeholders)
    result.outside = rows_outside(office, parsed)
    existing = set(
        HazardReport.objects.filter(
            street_office=office, source=HazardReport.Source.IMPORT
        ).values_list("external_id", flat=True)
    )
    sorter = _RowSorter(office, mapping, cats, placeholders, existing, result)
    new = [r for i, row, ll in parsed if (r := sorter.report_for(i, row, ll)) is not None]
    result.created = _save(new, dry_run=dry_run)
    return result
