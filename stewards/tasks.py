"""Steward jobs (procrastinate, see jobs/queue.py): importing a posted sign-up sheet."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jobs.errors import JobFailed
from jobs.queue import job, periodic
from stewards import sheet_store
from stewards.models import SheetImport
from stewards.sheet_import import import_stewards


@job("stewards.import_sheet", queue="imports")
def import_sheet(sheet: int) -> dict:
    """The whole sheet in one transaction: a job that stops half-way (worker lost, database gone)
    leaves no stewards behind and its retry starts clean. Rows refused for their content are
    reported with their reasons, as the import always did; the file is removed once done."""
    row = SheetImport.objects.filter(pk=sheet).first()
    data = sheet_store.load(row.stored_as) if row else None
    if data is None:
        raise JobFailed(_("报名表文件已不在服务器上，请重新上传。"))
    with transaction.atomic():
        report = import_stewards(
            data, row.filename, street_office_id=row.street_office_id, user=row.uploaded_by
        )
        SheetImport.objects.filter(pk=row.pk).update(stored_as="")
    sheet_store.remove(row.stored_as)
    return report.as_dict()


@periodic("45 4 * * *", "stewards.prune_stale_sheets")
def nightly_prune_sheets() -> None:
    sheet_store.prune_stale()
