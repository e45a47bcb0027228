"""Posted sign-up sheets, kept as private files only while their import job waits (they carry ID
numbers, which the database never holds), checked cheaply before they are queued."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import time
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from stewards.sheet_import import HEADINGS, REQUIRED, _heading

EXTENSIONS = (".csv", ".xlsx", ".xlsm")


def folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "sheets"


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(data: bytes, filename: str) -> str:
    """Write the sheet privately (owner-only); returns its stored name."""
    folder().mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex + Path(filename).suffix.lower()
    fd = os.open(folder() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return name


def load(stored_as: str) -> bytes | None:
    path = folder() / Path(stored_as).name
    return path.read_bytes() if stored_as and path.exists() else None


def remove(stored_as: str) -> None:
    if stored_as:
        (folder() / Path(stored_as).name).unlink(missing_ok=True)


def headings(data: bytes, filename: str) -> list[str]:
    """The first row only (cheap even for a large sheet)."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ValidationError(
                _("文件不是有效的 Excel 表格（.xlsx），请用 Excel 另存后重试。")
            ) from exc
        first = next(book.worksheets[0].iter_rows(values_only=True, max_row=1), ())
        return [str(v).strip() for v in first if v is not None]
    head = data[:65536]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("gb18030", errors="replace")
    return [h.strip() for h in next(csv.reader(io.StringIO(text)), [])]


def check(data: bytes, filename: str) -> None:
    """Size, type and heading row, before anything is stored: ValidationError with the reason."""
    limit = settings.ALLEY_SHEET_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(
            _("报名表有 %(got).1f MB，超过上限 %(max).0f MB；请分成几个文件导入。")
            % {"got": len(data) / 1e6, "max": limit / 1e6}
        )
    if not filename.lower().endswith(EXTENSIONS):
        raise ValidationError(_("只能导入 CSV 或 Excel（.xlsx）格式的报名表。"))
    found = {HEADINGS[h] for h in headings(data, filename) if h in HEADINGS}
    missing = [_heading(f) for f in REQUIRED if f not in found]
    if missing:
        raise ValidationError(
            _("首行表头缺少：%(missing)s。请使用报名表模板的表头。")
            % {"missing": "、".join(missing)}
        )


def prune_stale(max_age_days: float = 7.0) -> int:
    """Sheets whose import never finished (a job that failed for good) are not kept: they carry
    ID numbers. Returns how many files went."""
    cutoff = time.time() - max_age_days * 86400
    gone = 0
    for path in folder().iterdir() if folder().exists() else []:
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            gone += 1
    return gone
