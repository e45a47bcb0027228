"""Recompute patrol verdicts and alley coverage of a street office over a date range."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from geo.models import StreetOffice
from patrols.evaluation import evaluate_street_office
from patrols.tasks import fan_out_evaluation


class Command(BaseCommand):
    help = _("按巡查规则重新计算一个街道在日期范围内每组每天的判定和街巷覆盖")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--office", required=True, help=_("街道代码"))
        parser.add_argument("--from", dest="start", required=True, type=date.fromisoformat)
        parser.add_argument("--to", dest="end", required=True, type=date.fromisoformat)
        parser.add_argument(
            "--workers", type=int, default=min(2, os.cpu_count() or 1), help=_("并行计算的进程数")
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help=_("不在本进程计算：每天一个后台任务，由任务进程（可在多台机器上）执行"),
        )

    def handle(
        self, *args, office: str, start: date, end: date, workers: int, enqueue: bool, **options
    ) -> None:
        try:
            street_office = StreetOffice.objects.get(code=office)
        except StreetOffice.DoesNotExist as exc:
            raise CommandError(_("没有代码为 %(code)s 的街道") % {"code": office}) from exc
        if end < start:
            raise CommandError(_("结束日期早于开始日期"))
        if enqueue:
            days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            ids = fan_out_evaluation(days, [street_office.id])
            self.stdout.write(self.style.SUCCESS(_("已排队 %(n)d 个任务") % {"n": len(ids)}))
            return
        began = time.perf_counter()

        def progress(i: int, n: int, message: str) -> None:
            self.stdout.write(f"[{i}/{n}] {message}")

        stats = evaluate_street_office(
            street_office, start, end, progress=progress, workers=workers
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "完成：%(days)d 天，%(pd)d 组日，%(ok)d 达标，%(rows)d 条覆盖记录，用时 %(s).1f 秒"
                )
                % {
                    "days": stats.days,
                    "pd": stats.pair_days,
                    "ok": stats.compliant,
                    "rows": stats.coverage_rows,
                    "s": time.perf_counter() - began,
                }
            )
        )
