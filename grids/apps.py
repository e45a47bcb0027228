from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("网格与认领")

    def ready(self) -> None:
        # Claims follow their streets whenever the street importer writes a new network version.
        from geo.importers.areas import on_describe_claims
        from geo.importers.versioning import on_network_change
        from grids.street_changes import carry_claims, describe_claims

        on_network_change(carry_claims)
        # Area imports list the claims an overlapping polygon would move.
        on_describe_claims(describe_claims)
