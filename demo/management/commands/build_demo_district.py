from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.district_build import build

WUDAOKOU_BBOX = (116.3084, 39.9905, 116.3320, 40.0123)  # the <bounds> of the OSM extract


class Command(BaseCommand):
    help = "从 OSM 数据生成演示街道（街巷、社区、网格），写入 data/shapefiles/wudaokou.gpkg。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--osm", default=str(settings.BASE_DIR / "tests" / "data" / "osm" / "wudaokou.osm")
        )
        parser.add_argument("--out", default=str(settings.DEMO_DATA_DIR / "wudaokou.gpkg"))

    def handle(self, *args, **o):
        counts = build(Path(o["osm"]), Path(o["out"]), WUDAOKOU_BBOX)
        self.stdout.write(self.style.SUCCESS(", ".join(f"{k}: {v}" for k, v in counts.items())))
