from django.core.management.base import BaseCommand, CommandError

from geo.importers.areas import LEVELS, import_areas
from geo.importers.reading import ImportFileError


class Command(BaseCommand):
    help = "导入区域多边形（街道、社区、网格），按代码更新，可映射字段。"

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--level", required=True, choices=sorted(LEVELS))
        parser.add_argument("--name-field")
        parser.add_argument("--code-field")
        parser.add_argument("--parent-field", help="上级区域代码所在字段")
        parser.add_argument("--parent-code", help="所有要素共用的上级区域代码")
        parser.add_argument("--layer")
        parser.add_argument("--encoding")
        parser.add_argument("--srid", type=int)
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="新范围与同级现有区域重叠时，用新范围替换重叠部分（默认拒绝并列出重叠）",
        )

    def handle(self, *args, **o):
        try:
            result = import_areas(
                o["path"],
                level=o["level"],
                name_field=o["name_field"],
                code_field=o["code_field"],
                parent_field=o["parent_field"],
                parent_code=o["parent_code"],
                layer=o["layer"],
                encoding=o["encoding"],
                assume_srid=o["srid"],
                dry_run=o["dry_run"],
                replace=o["replace"],
                progress=self.stdout.write,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
