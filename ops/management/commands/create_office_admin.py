"""manage.py create_office_admin <office-code> <username>: an office's first administrator."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geo.models import StreetOffice
from ops.staffing import invitation_path, make_office_admin


class Command(BaseCommand):
    help = (
        "创建（或授予）一个街道的管理员：可在管理后台为本街道邀请人员、分配角色、签发 Open311 密钥"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("office", help="街道代码")
        parser.add_argument("username")
        parser.add_argument(
            "--base-url",
            default="",
            help="站点地址（如 https://alley.example.org），用于打印邀请链接",
        )

    def handle(self, *args, office: str, username: str, base_url: str, **options) -> None:
        street_office = StreetOffice.objects.filter(code=office).first()
        if street_office is None:
            raise CommandError(f"没有代码为 {office!r} 的街道")
        user, created = make_office_admin(street_office, username)
        self.stdout.write(
            self.style.SUCCESS(
                f"{username} 现为 {street_office.name} 的管理员（{'新账号' if created else '已有账号'}）"
            )
        )
        if created or not user.has_usable_password():
            self.stdout.write(
                f"设置密码的一次性链接：{base_url.rstrip('/')}{invitation_path(user)}"
            )
