"""Importing the sign-up sheet: bad rows are reported by row number, good rows are imported."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from stewards.models import Steward
from stewards.sheet_import import import_stewards
from tests.grids import factories as f

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 1)
HEAD = "姓名,性别,出生年月,民族,政治面貌,文化程度,身份证号码,健康状况,联系电话,在职/退休,工作单位,家庭住址,认领街巷,社区"


@pytest.fixture
def comm():
    return f.community(f.office(), name="清华园社区")


def test_bad_rows_are_reported_and_the_rest_imported(comm):
    good1, good2 = f.id_number(1, dt.date(1958, 3, 4)), f.id_number(2, dt.date(1962, 8, 9))
    bad_check = good1[:-1] + ("0" if good1[-1] != "0" else "1")
    minor = f.id_number(3, dt.date(2010, 1, 1))
    rows = [
        HEAD,
        f"王淑珍,女,1958-03-04,汉族,中共党员,高中,{good1},良好,13800000001,退休,,清华园1号楼,成府路,清华园社区",
        f"李建国,男,1960-01-01,汉族,群众,大专,{bad_check},良好,13800000002,退休,,,,清华园社区",
        f",男,,汉族,群众,,{good2},良好,13800000003,在职,,,,清华园社区",
        f"张秀英,女,,汉族,少先队员,,{f.id_number(4)},良好,13800000004,在职,,,,清华园社区",
        f"刘德胜,男,,汉族,群众,,{f.id_number(5)},良好,13800000005,在职,,,,不存在社区",
        f"陈少年,男,,汉族,群众,,{minor},良好,13800000006,在职,,,,清华园社区",
        f"赵重复,女,,汉族,群众,,{good1},良好,13800000007,退休,,,,清华园社区",
        f"周海燕,女,1962.08,汉族,共青团员,本科,{good2},良好,13800000008,在职,某公司,,,清华园社区",
    ]
    report = import_stewards(
        "\n".join(rows).encode("utf-8-sig"),
        "sheet.csv",
        street_office_id=comm.street_office_id,
        today=TODAY,
    )
    assert report.as_dict()["created"] == 2
    errors = {e.row: " ".join(e.messages) for e in report.errors}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert "校验位" in errors[3]
    assert "姓名" in errors[4]
    assert "政治面貌" in errors[5]
    assert "不存在社区" in errors[6]
    assert "18" in errors[7]
    assert "已在本街道登记" in errors[8]
    for message in errors.values():
        for number in (good1, good2, bad_check, minor):
            assert number not in message
    wang = Steward.objects.get(name="王淑珍")
    assert (wang.gender, wang.political_status, wang.employment, wang.birth_date) == (
        "F",
        "cpc",
        "retired",
        dt.date(1958, 3, 4),
    )
    assert wang.status == Steward.Status.APPLIED and wang.claimed_alleys == "成府路"
    zhou = Steward.objects.get(name="周海燕")
    assert zhou.birth_date == dt.date(1962, 8, 9)  # year-month on the form, exact day from the ID


def test_excel_sheets_are_read_too(comm):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["姓名", "身份证号码", "联系电话", "社区", "出生年月"])
    ws.append(
        [
            "王淑珍",
            f.id_number(11, dt.date(1958, 3, 4)),
            13800000001,
            "清华园社区",
            dt.datetime(1958, 3, 4),
        ]
    )
    ws.append(["李建国", "123", 13800000002, "清华园社区", None])
    buf = io.BytesIO()
    book.save(buf)
    report = import_stewards(
        buf.getvalue(), "sheet.xlsx", street_office_id=comm.street_office_id, today=TODAY
    )
    assert len(report.created) == 1
    assert [e.row for e in report.errors] == [3]
    assert Steward.objects.get().phone == "13800000001"


def test_gbk_csv_from_chinese_excel_is_decoded(comm):
    text = f"姓名,身份证号码,联系电话,社区\n王淑珍,{f.id_number(12)},13800000001,清华园社区\n"
    report = import_stewards(
        text.encode("gb18030"), "sheet.csv", street_office_id=comm.street_office_id, today=TODAY
    )
    assert len(report.created) == 1 and not report.errors
