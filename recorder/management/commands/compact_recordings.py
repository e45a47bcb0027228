"""Compact idle recordings into tracks (run every few minutes from cron or a job queue)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from recorder.compaction import compact_idle, idle_minutes


class Command(BaseCommand):
    help = "把一段时间没有新数据的巡查记录整理成轨迹，并重新判定相关组日。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--idle-minutes",
            type=float,
            default=None,
            help=f"多久没有新批次算作空闲（默认 {idle_minutes():g} 分钟）",
        )

    def handle(self, *args, idle_minutes: float | None = None, **options) -> None:
        results = compact_idle(idle_minutes)
        stored = sum(1 for r in results if r.upload_id and not r.duplicate)
        for r in results:
            if r.rejected:
                self.stdout.write(f"{r.recording.pk}: {r.rejected}")
        self.stdout.write(f"整理 {len(results)} 条记录，新存轨迹上传 {stored} 个。")
