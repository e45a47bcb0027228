from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from credits import quarterly
from credits.ledger import AdjustmentResult, book_adjustments, book_awards, booked_for
from credits.rules import adjustment_lines, award_lines, patrol_day_expectations
from geo.models import StreetOffice


class Command(BaseCommand):
    help = "按街道积分规则，把 [--from, --to) 期间已判定的巡查日、核实的上报和办结的案件记入积分台账（可重复运行，不会重复记分）。"

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="街道代码")
        parser.add_argument(
            "--from",
            dest="start",
            required=True,
            type=date.fromisoformat,
            help="起始日期（含），如 2026-07-01",
        )
        parser.add_argument(
            "--to",
            dest="end",
            required=True,
            type=date.fromisoformat,
            help="结束日期（不含），如 2026-10-01",
        )
        parser.add_argument("--chunk-days", type=int, default=7, help="每批处理的天数（显示进度）")
        parser.add_argument(
            "--recheck",
            action="store_true",
            help="按当前判定和规则重新核算已记分的巡查日，差额记为更正（判定重算后使用；规则改动也会追溯）",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="只演练：计算并报告，但不写入台账"
        )

    def handle(self, *args, **opts):
        office = StreetOffice.objects.filter(code=opts["office"]).first()
        if office is None:
            raise CommandError(f"没有代码为 {opts['office']!r} 的街道")
        if opts["end"] <= opts["start"]:
            raise CommandError("--to 必须晚于 --from（--to 当天不含）")
        rules, _params = quarterly.settings_for(office)
        sources = quarterly.default_sources()
        total_offered = total_inserted = total_points = 0
        adjusted = adjusted_points = 0
        pending = []
        with transaction.atomic():
            for lo, hi in quarterly.days(opts["start"], opts["end"], opts["chunk_days"]):
                try:
                    patrol_days, reports = quarterly.award_facts(office, lo, hi, sources)
                except quarterly.SourceNotAvailable as exc:
                    raise CommandError(str(exc)) from exc
                result = book_awards(award_lines(patrol_days, reports, rules), office.pk)
                # Days re-evaluated since they were booked get correction entries, never edits.
                # Opt-in, because it also re-values past days under a changed rule.
                adj = AdjustmentResult()
                if opts["recheck"]:
                    expected = patrol_day_expectations(patrol_days, rules)
                    adj = book_adjustments(
                        adjustment_lines(expected, booked_for(expected)), office.pk
                    )
                total_offered += result.offered
                total_inserted += result.inserted
                total_points += result.points
                adjusted += adj.booked
                adjusted_points += adj.points
                pending += adj.pending
                self.stdout.write(
                    f"{lo} – {hi}: 新记 {result.inserted} 条 / {result.points} 分，"
                    f"已记过 {result.already_booked} 条，重新判定更正 {adj.booked} 条 / {adj.points:+d} 分"
                )
            if opts["dry_run"]:
                transaction.set_rollback(True)
        verb = "演练（未写入）" if opts["dry_run"] else "完成"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}：新记 {total_inserted} 条共 {total_points} 分；已记过未重复 "
                f"{total_offered - total_inserted} 条；重新判定更正 {adjusted} 条共 {adjusted_points:+d} 分"
            )
        )
        for line in pending:
            self.stdout.write(
                self.style.WARNING(
                    f"待人工处理：管家 #{line.steward_id} 应扣 {-line.amount} 分（{line.reference}），"
                    f"但余额不足（积分已兑换）；请规划员核实后用更正处理"
                )
            )
