"""Hazard jobs (procrastinate, see jobs/queue.py): hotspot runs too large for a web request."""

from __future__ import annotations

import json

from django.utils.dateparse import parse_datetime
from django.utils.translation import override

from geo.models import StreetOffice
from hazards.hotspots import hotspot_answer
from jobs.queue import job


@job("hazards.compute_hotspots", queue="hotspots")
def compute_hotspots(
    office: int,
    category: int | None,
    start: str | None,
    end: str | None,
    cell_m: float,
    alpha: float,
    language: str,
) -> dict:
    """Compute (or find cached) one hotspot answer, which fills HotspotCache for the page and API.

    The result is only its status (and a refusal's reason): the cells themselves are read from the
    office-scoped hotspot API or page, never from the job."""
    with override(language):
        body, code = hotspot_answer(
            StreetOffice.objects.get(pk=office),
            category_id=category,
            start=parse_datetime(start) if start else None,
            end=parse_datetime(end) if end else None,
            cell_m=cell_m,
            alpha=alpha,
        )
    if code != 200:
        return {"status": code, "refused": True, "detail": json.loads(body).get("detail", "")}
    head = json.loads(body[: body.index(',"cells":')] + "}")  # no need to parse 50,000 cells
    return {"status": 200, "n_hot": head["n_hot"], "n_cells": head["n_cells"]}
