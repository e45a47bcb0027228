"""Excel export of a quarter (积分与考核台账) for the street office's records."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from credits.board import leaderboard
from credits.grading import GRADE_LABELS
from credits.models import Assessment
from credits.quarterly import settings_for
from geo.models import StreetOffice

ASSESSMENT_HEADER = [
    "社区",
    "姓名",
    "排名",
    "金牌管家",
    "得分",
    "等级",
    "已确认",
    "有效巡查日",
    "达标日",
    "巡查时长（分钟）",
    "认领街巷覆盖率",
    "隐患上报（核实）",
    "案件办结",
    "评价次数",
    "平均星级",
    "积分余额",
    "本季度获得积分",
    "本季度兑换积分",
    "理由",
    "公式版本",
]


def quarter_workbook(office: StreetOffice, quarter: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{quarter} 考核"
    ws.append(ASSESSMENT_HEADER)
    assessments = {
        a.steward_id: a for a in Assessment.objects.filter(street_office=office, quarter=quarter)
    }
    for comm, rows in leaderboard(office, quarter).items():
        for r in rows:
            a = assessments.get(r.steward_id)
            inp = a.inputs if a else {}
            ws.append(
                [
                    comm.name,
                    r.name,
                    r.rank,
                    "是" if r.gold else "",
                    float(r.score) if r.score is not None else None,
                    str(r.grade_label),
                    "是" if r.confirmed else "否",
                    inp.get("eligible_days"),
                    inp.get("compliant_days"),
                    inp.get("patrol_minutes"),
                    inp.get("claimed_coverage_share"),
                    inp.get("verified_reports"),
                    inp.get("resolved_cases"),
                    len(inp.get("ratings") or []) if a else None,
                    inp.get("rating_mean"),
                    r.balance,
                    r.earned_in_quarter,
                    r.redeemed_in_quarter,
                    "；".join(x["text"] for x in a.reasons) if a else "",
                    a.formula_version if a else "",
                ]
            )
    _, params = settings_for(office)
    pws = wb.create_sheet("公式与权重")
    pws.append(["参数", "值"])
    for k, v in params.as_dict().items():
        pws.append([k, v])
    pws.append(["formula_version", params.formula_version])
    pws.append(["等级", "；".join(f"{k}={v}" for k, v in GRADE_LABELS.items())])
    for sheet in (ws, pws):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    ws.column_dimensions["S"].width = 80
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
