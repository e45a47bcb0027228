import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from geo.importers.change_report import report_lines
from geo.importers.reading import ImportFileError
from geo.importers.streets import import_streets


class Command(BaseCommand):
    help = "导入街巷网络（shapefile、GeoPackage、GeoJSON、OSM .osm/.pbf），在交叉口切分为街巷段。"

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--source", help="数据集名称（默认取文件名）；同名数据集重复导入会更新而不是重复"
        )
        parser.add_argument("--layer")
        parser.add_argument("--name-field")
        parser.add_argument("--class-field")
        parser.add_argument("--id-field")
        parser.add_argument("--encoding", help="属性编码，例如 GBK")
        parser.add_argument("--srid", type=int, help="文件未声明坐标系时使用的 EPSG 代码")
        parser.add_argument("--all-classes", action="store_true", help="保留所有道路等级")
        parser.add_argument("--on", type=dt.date.fromisoformat, help="生效日期（默认今天）")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="只演练：列出路网变化和受影响的认领，不写入数据库",
        )

    def handle(self, *args, **opts):
        try:
            result = import_streets(
                opts["path"],
                source=opts["source"],
                dry_run=opts["dry_run"],
                on=opts["on"],
                progress=lambda msg: self.stdout.write(msg),
                layer=opts["layer"],
                name_field=opts["name_field"],
                class_field=opts["class_field"],
                id_field=opts["id_field"],
                encoding=opts["encoding"],
                assume_srid=opts["srid"],
                all_classes=opts["all_classes"],
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
        for line in report_lines(result.counts, result.report.get("claims", [])):
            self.stdout.write(line)
        if result.run_id:
            self.stdout.write(_("路网导入 #%(id)d") % {"id": result.run_id})
