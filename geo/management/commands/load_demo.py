from django.core.management.base import BaseCommand

from geo.demo import load_demo_district


class Command(BaseCommand):
    help = "加载演示街道（五道口）：区域、街巷段；可重复运行。"

    def handle(self, *args, **o):
        office = load_demo_district(progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"{office.name}: {office.segments.count()} 个街巷段"))
