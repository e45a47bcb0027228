"""load_demo: the demo district, its stewards and claims, simulated patrols, reports and points."""

from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from demo.district import load_demo_district
from demo.hazards import seed_demo_reports
from demo.stewards import create_demo_accounts, seed


class Command(BaseCommand):
    help = "加载演示街道（五道口）：区域、街巷段、小巷管家、巡查组、认领和演示账号；可重复运行。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days", type=int, default=7, help="days of simulated patrols up to yesterday (7)"
        )

    def handle(self, *args, **o):
        office = load_demo_district(progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(f"{office.name}: {office.segments.current().count()} 个街巷段")
        )
        counts = seed(office)
        self.stdout.write(
            f"小巷管家 +{counts.stewards_created}，巡查组 +{counts.pairs_created}，认领 +{counts.claims_created}"
        )
        accounts = create_demo_accounts(office)
        self.stdout.write(self.style.SUCCESS(f"演示账号 +{accounts}"))
        # A week of simulated patrols (normal and deviant cases), uploaded through the real ingest.
        days = max(1, o["days"])
        call_command("simulate_patrols", days=days, office=office.code, stdout=self.stdout)
        yesterday = timezone.localdate() - timedelta(days=1)
        call_command(
            "evaluate_patrols",
            office=office.code,
            start=yesterday - timedelta(days=days - 1),
            end=yesterday,
            stdout=self.stdout,
        )
        reports = seed_demo_reports(office)
        self.stdout.write(self.style.SUCCESS(f"隐患上报 +{reports}"))
        # Points for the week's compliant days and the verified reports (idempotent by reference).
        call_command(
            "award_points",
            office=office.code,
            start=yesterday - timedelta(days=59),
            end=yesterday,
            stdout=self.stdout,
        )
