"""Import stewards from the sign-up sheet (CSV or Excel) with a report per bad row.

Columns are the headings of the official form (附件1); order does not matter. Good rows are imported
even when others fail; each row runs in its own savepoint. Error messages never echo the ID number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from geo.models import Community
from stewards.models import Steward
from stewards.registry import register_steward

# Sheet heading -> form field. Several spellings seen on real forms are accepted.
HEADINGS: dict[str, str] = {
    "姓名": "name",
    "性别": "gender",
    "出生年月": "birth_date",
    "出生日期": "birth_date",
    "民族": "ethnicity",
    "政治面貌": "political_status",
    "文化程度": "education",
    "学历": "education",
    "身份证号码": "id_card",
    "身份证号": "id_card",
    "健康状况": "health",
    "联系电话": "phone",
    "电话": "phone",
    "在职/退休": "employment",
    "在职或退休": "employment",
    "工作单位": "employer",
    "家庭住址": "address",
    "认领街巷": "claimed_alleys",
    "工作经历": "work_history",
    "志愿服务经历": "volunteer_history",
    "社区": "community",
}
REQUIRED = ("name", "id_card", "community", "phone")


@dataclass
class RowError:
    row: int  # 1-based sheet row, the heading being row 1
    messages: list[str]


@dataclass
class ImportReport:
    created: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "failed": len(self.errors),
            "errors": [{"row": e.row, "messages": e.messages} for e in self.errors],
        }


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows as {heading: text} from a .csv (UTF-8, with or without BOM, or GB18030) or .xlsx file."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        values = [
            ["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        if not values:
            return []
        head = [str(h).strip() for h in values[0]]
        return [dict(zip(head, [_cell_text(v) for v in row], strict=False)) for row in values[1:]]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")  # Excel on Chinese Windows saves CSV in GBK
    reader = csv.DictReader(io.StringIO(text))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def _cell_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _choice(value: str, choices: type, label: str) -> str:
    if not value:
        return ""
    for member in choices:
        if value in (member.value, str(member.label)) or str(member.label).startswith(value):
            return member.value
    raise ValidationError(
        f"{label}“{value}”不在可选项中：{'、'.join(str(m.label) for m in choices)}。"
    )


def _date(value: str) -> dt.date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m", "%Y.%m", "%Y年%m月"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"出生年月“{value}”无法识别，请写成 1960-05-01。")


def import_stewards(
    data: bytes,
    filename: str,
    *,
    street_office_id: int,
    user: Any = None,
    today: dt.date | None = None,
) -> ImportReport:
    report = ImportReport()
    communities = {c.name: c for c in Community.objects.filter(street_office_id=street_office_id)}
    for index, raw in enumerate(read_rows(data, filename), start=2):
        row = {HEADINGS[k]: v for k, v in raw.items() if k in HEADINGS}
        if not any(row.values()):
            continue  # blank line at the end of a sheet
        messages: list[str] = [f"缺少“{_heading(f)}”。" for f in REQUIRED if not row.get(f)]
        community = communities.get(row.get("community", ""))
        if row.get("community") and community is None:
            messages.append(f"社区“{row['community']}”不属于本街道。")
        form: dict[str, Any] = {}
        try:
            form["gender"] = _choice(row.get("gender", ""), Steward.Gender, "性别")
            form["political_status"] = _choice(
                row.get("political_status", ""), Steward.PoliticalStatus, "政治面貌"
            )
            form["employment"] = _choice(row.get("employment", ""), Steward.Employment, "在职/退休")
        except ValidationError as exc:
            messages.extend(exc.messages)
        birth = None
        try:
            birth = _date(row.get("birth_date", ""))
        except ValidationError as exc:
            messages.extend(exc.messages)
        if messages:
            report.errors.append(RowError(index, messages))
            continue
        for key in ("name", "phone", "ethnicity", "education", "health", "employer", "address",
                    "claimed_alleys", "work_history", "volunteer_history"):  # fmt: skip
            form[key] = row.get(key, "")
        # A form giving only year and month cannot contradict the ID number's exact birthday.
        if birth and len(row.get("birth_date", "")) > 8:
            form["birth_date"] = birth
        try:
            with transaction.atomic():
                steward = register_steward(
                    community=community, id_card=row["id_card"], user=user, today=today, **form
                )
        except ValidationError as exc:
            report.errors.append(RowError(index, exc.messages))
            continue
        except IntegrityError:
            report.errors.append(RowError(index, ["该身份证号码已在本街道登记过小巷管家。"]))
            continue
        report.created.append(steward.pk)
    return report


def _heading(field_name: str) -> str:
    return next(k for k, v in HEADINGS.items() if v == field_name)
