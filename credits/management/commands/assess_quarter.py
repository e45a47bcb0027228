from django.core.management.base import BaseCommand, CommandError

from credits import quarterly
from credits.grading import quarter_bounds
from geo.models import StreetOffice


class Command(BaseCommand):
    help = "计算一个街道某季度的小巷管家考核（可重复运行：未确认的结果按相同数据重算，已确认的等级不会被覆盖）。"

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="街道代码")
        parser.add_argument("--quarter", required=True, help="季度，如 2026Q3")

    def handle(self, *args, **opts):
        office = StreetOffice.objects.filter(code=opts["office"]).first()
        if office is None:
            raise CommandError(f"没有代码为 {opts['office']!r} 的街道")
        try:
            quarter_bounds(opts["quarter"])
            run = quarterly.assess_quarter(office, opts["quarter"], quarterly.default_sources())
        except (ValueError, quarterly.SourceNotAvailable) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{office.name} {opts['quarter'].upper()}：新建 {run.created}，更新 {run.updated}，"
                f"不变 {run.unchanged}，已确认保留 {run.confirmed_kept}；评定 {run.graded} 人，"
                f"数据不足不评定 {run.ungraded} 人"
            )
        )
