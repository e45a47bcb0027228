"""manage.py import_stewards: imports good rows, lists bad ones, and --dry-run really saves nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from stewards.models import Steward, StewardStatusChange
from tests.grids import factories as f


def _sheet(tmp_path, comm_name: str):
    path = tmp_path / "sheet.csv"
    path.write_text(
        f"姓名,身份证号码,联系电话,社区\n甲,{f.id_number(31)},138,{comm_name}\n乙,123,139,{comm_name}\n",
        encoding="utf-8",
    )
    return path


# Outside the test transaction: a dry run that only "rolled back" inside TestCase would pass falsely.
@pytest.mark.django_db(transaction=True)
def test_dry_run_rolls_back_for_real(tmp_path):
    comm = f.community(f.office("DRY"), name="试点社区")
    out = io.StringIO()
    call_command(
        "import_stewards",
        str(_sheet(tmp_path, comm.name)),
        "--street-office",
        "DRY",
        "--dry-run",
        stdout=out,
    )
    assert "would import 1, failed 1" in out.getvalue() and "row 3:" in out.getvalue()
    assert Steward.objects.count() == 0 and StewardStatusChange.objects.count() == 0


@pytest.mark.django_db
def test_import_saves_the_good_rows(tmp_path):
    comm = f.community(f.office("IMP"), name="试点社区")
    out = io.StringIO()
    call_command(
        "import_stewards", str(_sheet(tmp_path, comm.name)), "--street-office", "IMP", stdout=out
    )
    assert "imported 1, failed 1" in out.getvalue()
    assert list(Steward.objects.values_list("name", flat=True)) == ["甲"]
