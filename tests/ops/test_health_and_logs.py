"""/healthz for monitoring (database, job queue, disk) and errors logged as JSON lines."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.test import RequestFactory

from jobs.queue import enqueue
from ops.logs import JsonFormatter
from patrols import tasks

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_queue_and_disk(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["ok"] is True and body["database"]["ok"] is True
    assert body["queue"]["queued"] == 0 and body["disk"]["free_bytes"] > 0


def test_a_job_waiting_for_long_makes_healthz_fail_with_503(client):
    enqueue(tasks.evaluate_office_day, office_id=1, day="2024-05-14")
    assert client.get("/healthz").json()["queue"]["queued"] == 1
    with connection.cursor() as cur:  # nobody took it for an hour: no worker is running
        cur.execute("UPDATE procrastinate_events SET at = now() - interval '1 hour'")
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp["Retry-After"]
    assert resp.json()["queue"]["ok"] is False
    assert resp.json()["queue"]["oldest_queued_seconds"] >= 3600


def test_errors_are_logged_as_one_json_object_a_line():
    request = RequestFactory().get("/api/hazards/reports/")
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("django.request").makeRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            (request.path,),
            exc_info=__import__("sys").exc_info(),
            extra={"request": request, "status_code": 500},
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["path"] == "/api/hazards/reports/"
    assert entry["status"] == 500 and entry["exception_type"] == "ValueError"
    assert "broken" in entry["exception"]
