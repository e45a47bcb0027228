from django.core.management.base import BaseCommand

from demo.stewards import seed
from geo.models import StreetOffice


class Command(BaseCommand):
    help = "Create demo stewards, pairs and assignments for every (or one) street office; safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--street-office", help="code of one street office (default: all)")

    def handle(self, *args, **options):
        offices = StreetOffice.objects.order_by("code")
        if options["street_office"]:
            offices = offices.filter(code=options["street_office"])
        for office in offices:
            c = seed(office)
            self.stdout.write(
                f"{office.name}: stewards created {c.stewards_created}, pairs created {c.pairs_created}, "
                f"claims created {c.claims_created}"
            )
