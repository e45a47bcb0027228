"""Credit jobs (procrastinate, see jobs/queue.py): the quarterly assessment, one job per office."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from credits import quarterly
from geo.models import StreetOffice
from jobs.queue import job, periodic


def previous_quarter(today: date) -> str:
    """'2026Q3' for any day of 2026Q4: the quarter that has just ended."""
    last = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)
    return f"{last.year}Q{(last.month - 1) // 3 + 1}"


@job("credits.assess_quarter", queue="periodic")
def assess_office_quarter(office_id: int, quarter: str) -> dict:
    run = quarterly.assess_quarter(
        StreetOffice.objects.get(id=office_id), quarter, quarterly.default_sources()
    )
    return {"graded": run.graded, "ungraded": run.ungraded}


@periodic("0 4 2 1,4,7,10 *", "credits.quarterly_assessment")
def quarterly_assessment() -> None:
    """On the 2nd of a quarter's first month (after the last nightly evaluation of the quarter)."""
    quarter = previous_quarter(timezone.localdate())
    for office_id in StreetOffice.objects.values_list("id", flat=True):
        assess_office_quarter.defer(office_id=office_id, quarter=quarter)
