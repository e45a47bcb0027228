from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from patrols.tracks.partitions import partitions, prune


class Command(BaseCommand):
    help = (
        "按保留期删除原始 GPS 轨迹：整月分区删除，随后删除不再有轨迹的上传记录和原始文件。"
        "巡查判定、覆盖率和积分保留。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-months",
            type=int,
            default=settings.ALLEY_TRACK_RETENTION_MONTHS,
            help="保留最近几个自然月（含本月，UTC），默认取 ALLEY_TRACK_RETENTION_MONTHS",
        )
        parser.add_argument("--dry-run", action="store_true", help="只报告将删除的内容，不删除")
        parser.add_argument(
            "--list", dest="list_only", action="store_true", help="列出现有的月分区后退出"
        )

    def handle(self, *args, keep_months: int, dry_run: bool, list_only: bool, **options):
        if list_only:
            for p in partitions():
                self.stdout.write(f"{p.name}  {p.month:%Y-%m}  ≈{p.estimated_rows} 条轨迹")
            return
        if keep_months < 1:
            raise CommandError("--keep-months 至少为 1。")
        result = prune(keep_months, dry_run=dry_run, progress=self.stdout.write)
        verb = "将删除" if dry_run else "已删除"
        self.stdout.write(
            self.style.SUCCESS(
                f"保留 {result.cutoff:%Y-%m} 起的轨迹；{verb} {len(result.partitions)} 个月分区、"
                f"{result.tracks} 条轨迹、{result.uploads} 个上传记录、{result.files} 个原始文件。"
            )
        )
