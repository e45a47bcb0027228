"""Import a 311-style CSV export into a street office's hazard reports (thin: args -> importer -> counts)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geo.models import StreetOffice
from hazards.closed_loop import ensure_default_categories
from hazards.open311.csv_import import BOSTON_311, import_csv

MAPPINGS = {"boston": BOSTON_311}


class Command(BaseCommand):
    help = "导入 311 格式的 CSV 工单（默认/占位坐标的行会被标记并跳过）"

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--office", required=True, help="street office code")
        parser.add_argument("--mapping", default="boston", choices=sorted(MAPPINGS))
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, path, office, mapping, dry_run, **opts):
        so = StreetOffice.objects.filter(code=office).first()
        if so is None:
            raise CommandError(f"没有代码为 {office} 的街道")
        ensure_default_categories(so)
        res = import_csv(path, so, MAPPINGS[mapping], dry_run=dry_run)
        for issue in res.flagged:
            self.stdout.write(f"flagged row {issue.row} ({issue.external_id}): {issue.reason}")
        for issue in res.skipped:
            self.stdout.write(f"skipped row {issue.row} ({issue.external_id}): {issue.reason}")
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{verb} {res.created}, unchanged {res.unchanged}, flagged {len(res.flagged)}, "
            f"skipped {len(res.skipped)}; placeholder points: {res.placeholders}"
        )
