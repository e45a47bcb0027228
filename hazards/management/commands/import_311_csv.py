"""Import a 311-style CSV export into a street office's hazard reports (thin: args -> importer -> counts).

The columns come from a preset (``--preset boston``), a JSON mapping file (``--mapping file.json``:
``{"external_id": "编号", "requested": "受理时间", "lat": "纬度", "lon": "经度", "service": "类别",
"time_format": "%Y/%m/%d %H:%M"}``), and ``--column field=header`` / ``--date-format`` on top.
A file that does not fit (a missing column, another date format) stops with one error naming it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geo.models import StreetOffice
from hazards.closed_loop import ensure_default_categories
from hazards.open311.csv_import import (
    BOSTON_311,
    COLUMN_FIELDS,
    OUTSIDE_M,
    CsvLayoutError,
    import_csv,
    mapping_with,
)

PRESETS = {"boston": BOSTON_311}


def _columns(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, header = pair.partition("=")
        if not sep or name not in COLUMN_FIELDS:
            raise CommandError(
                f"--column {pair!r}: expected field=header with field one of {', '.join(COLUMN_FIELDS)}"
            )
        out[name] = header
    return out


class Command(BaseCommand):
    help = "导入 311 格式的 CSV 工单（默认/占位坐标的行会被标记并跳过）"

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--office", required=True, help="street office code")
        parser.add_argument(
            "--preset",
            choices=sorted(PRESETS),
            help="column preset (default: boston unless --mapping)",
        )
        parser.add_argument("--mapping", help="JSON file: {field: header, time_format: …}")
        parser.add_argument(
            "--column", action="append", default=[], help="field=header, repeatable"
        )
        parser.add_argument("--date-format", help="strptime format of the date columns")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, path, office, preset, mapping, column, date_format, dry_run, **opts):
        so = StreetOffice.objects.filter(code=office).first()
        if so is None:
            raise CommandError(f"没有代码为 {office} 的街道")
        if mapping in PRESETS:  # the former `--mapping boston`
            preset, mapping = mapping, None
        base = PRESETS[preset] if preset else (None if mapping else BOSTON_311)
        try:
            cols = mapping_with(
                base, mapping_file=mapping, columns=_columns(column), date_format=date_format
            )
            ensure_default_categories(so)
            res = import_csv(path, so, cols, dry_run=dry_run)
        except CsvLayoutError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        if res.absent_optional:
            self.stdout.write(
                f"optional columns not in the file, left empty: {', '.join(res.absent_optional)}"
            )
        for issue in res.flagged:
            self.stdout.write(f"flagged row {issue.row} ({issue.external_id}): {issue.reason}")
        for issue in res.skipped:
            self.stdout.write(f"skipped row {issue.row} ({issue.external_id}): {issue.reason}")
        if res.outside:
            rows = ", ".join(map(str, res.outside[:10])) + (" …" if len(res.outside) > 10 else "")
            self.stdout.write(
                f"outside the street office {so.code} (more than {OUTSIDE_M:.0f} m beyond it): "
                f"{len(res.outside)} rows: {rows}"
            )
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{verb} {res.created}, unchanged {res.unchanged}, flagged {len(res.flagged)}, "
            f"skipped {len(res.skipped)}, outside {len(res.outside)}; "
            f"placeholder points: {res.placeholders}"
        )
