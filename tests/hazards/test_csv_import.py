from __future__ import annotations

import pytest

from hazards.models import HazardEvent, HazardReport
from hazards.open311.csv_import import BOSTON_311, detect_placeholders, import_csv
from tests.conftest import data_file

from .factories import make_office

pytestmark = pytest.mark.django_db


def test_boston_csv_imports_81_and_flags_the_19_on_the_default_point():
    path = data_file("reports", "boston311-100.csv")
    office = make_office()
    res = import_csv(path, office, BOSTON_311)
    assert res.created == 81 and len(res.flagged) == 19 and res.skipped == []
    assert res.placeholders == [(42.3594, -71.0587)]
    assert all("42.3594" in f.reason for f in res.flagged)
    qs = HazardReport.objects.filter(street_office=office, source="import")
    assert qs.count() == 81 and qs.filter(location__isnull=True).count() == 0
    assert (
        qs.filter(status="closed").exclude(closed_at=None).count()
        == qs.filter(status="closed").count()
    )
    assert qs.filter(category__code="parking").count() >= 20
    assert HazardEvent.objects.filter(report__in=qs).count() == 81
    # Idempotent: a second run creates nothing.
    again = import_csv(path, office, BOSTON_311)
    assert again.created == 0 and again.unchanged == 81 and qs.count() == 81


@pytest.mark.django_db(transaction=True)
def test_dry_run_rolls_back_outside_a_test_transaction():
    office = make_office()
    res = import_csv(data_file("reports", "boston311-100.csv"), office, BOSTON_311, dry_run=True)
    assert res.created == 81 and HazardReport.objects.count() == 0


def test_placeholder_detection_needs_a_large_repeated_share():
    coords = [(40.0 + i / 1000, 116.3) for i in range(95)] + [(40.1, 116.4)] * 5
    assert detect_placeholders(coords) == {(40.1, 116.4)}
    assert detect_placeholders(coords[:95] + [(40.1, 116.4)] * 2) == set()


def test_the_command_reports_counts_and_flagged_rows():
    from io import StringIO

    from django.core.management import call_command

    office = make_office()
    out = StringIO()
    path = data_file("reports", "boston311-100.csv")
    call_command("import_311_csv", str(path), office=office.code, stdout=out)
    text = out.getvalue()
    assert "created 81, unchanged 0, flagged 19" in text
    assert text.count("flagged row") == 19
    assert HazardReport.objects.filter(street_office=office).count() == 81
