from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from geo.models import StreetOffice
from stewards.sheet_import import import_stewards


class Command(BaseCommand):
    help = "Import stewards from a sign-up sheet (.csv/.xlsx); bad rows are listed, good rows imported."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--street-office", required=True, help="street office code")
        parser.add_argument("--dry-run", action="store_true", help="check every row, save nothing")

    def handle(self, *args, path: Path, street_office: str, dry_run: bool, **options):
        office = StreetOffice.objects.filter(code=street_office).first()
        if office is None:
            raise CommandError(f"no street office with code {street_office!r}")
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        with transaction.atomic():
            report = import_stewards(path.read_bytes(), path.name, street_office_id=office.pk)
            if dry_run:
                # Really roll back: we are inside the atomic block, so this undoes every row.
                transaction.set_rollback(True)
        for error in report.errors:
            self.stdout.write(f"row {error.row}: {' '.join(error.messages)}")
        verb = "would import" if dry_run else "imported"
        self.stdout.write(f"{verb} {len(report.created)}, failed {len(report.errors)}")
