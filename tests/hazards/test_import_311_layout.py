"""import_311_csv says what does not fit (a column, the date format), takes mappings from the
command line or a file, and flags points outside the office."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hazards.models import HazardReport

from .factories import make_office

pytestmark = pytest.mark.django_db
# Inside make_office("T1") (116.30–116.32, 40.00–40.01), and one row in Shanghai.
CSV = """编号,受理时间,纬度,经度,类别,描述
A1,2026/11/01 08:30,40.005,116.305,Illegal Parking,乱停车
A2,2026/11/02 09:00,40.006,116.306,Electrical,飞线
A3,2026/11/03 10:00,31.23,121.47,Other,远处
"""
COLUMNS = ["external_id=编号", "requested=受理时间", "lat=纬度", "lon=经度", "service=类别"]


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "hotline.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_a_missing_column_is_one_error_naming_it(csv_path):
    make_office()
    with pytest.raises(CommandError) as err:
        call_command("import_311_csv", str(csv_path), office="T1", stdout=StringIO())
    assert "case_enquiry_id" in str(err.value) and "编号" in str(err.value)
    assert HazardReport.objects.count() == 0


def test_another_date_format_is_one_error_naming_the_format(csv_path):
    make_office()
    with pytest.raises(CommandError) as err:
        call_command("import_311_csv", str(csv_path), office="T1", column=COLUMNS)
    assert "%Y-%m-%d %H:%M:%S" in str(err.value) and "2026/11/01 08:30" in str(err.value)
    assert HazardReport.objects.count() == 0


def test_columns_and_date_format_on_the_command_line_and_outside_points_flagged(csv_path):
    office = make_office()
    out = StringIO()
    call_command(
        "import_311_csv", str(csv_path), office="T1", column=COLUMNS,
        date_format="%Y/%m/%d %H:%M", stdout=out,
    )  # fmt: skip
    assert HazardReport.objects.filter(street_office=office).count() == 3
    text = out.getvalue()
    assert "outside the street office T1" in text and "1 rows: 3" in text


def test_a_mapping_file(csv_path, tmp_path):
    make_office()
    mapping = tmp_path / "m.json"
    fields = dict(c.split("=") for c in COLUMNS)
    mapping.write_text(json.dumps({**fields, "time_format": "%Y/%m/%d %H:%M"}), encoding="utf-8")
    out = StringIO()
    call_command("import_311_csv", str(csv_path), office="T1", mapping=str(mapping), stdout=out)
    assert "created 3" in out.getvalue()
    with pytest.raises(CommandError, match="field=header"):
        call_command("import_311_csv", str(csv_path), office="T1", column=["nope"])
