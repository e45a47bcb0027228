"""File downloads (Excel, CSV): one response shape for every export in the system."""

from __future__ import annotations

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(content: bytes | str, filename: str, content_type: str) -> HttpResponse:
    """An attachment named ``filename`` (ASCII names only: every browser reads them the same)."""
    resp = HttpResponse(content, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


def xlsx_download(content: bytes, stem: str) -> HttpResponse:
    return download(content, f"{stem}.xlsx", XLSX)


def csv_download(content: bytes | str, stem: str) -> HttpResponse:
    return download(content, f"{stem}.csv", CSV)
