from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecorderConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recorder"
    verbose_name = _("巡查记录仪")

    def ready(self) -> None:
        from recorder import upload_keys  # noqa: F401  (connects the logout signal)
