"""Backups are tested by restoring them: scripts/backup.sh dumps the database, restores the dump
into a new database and compares the row count of every table (README, "Deployment")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests.patrols_tracks import factories as f

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _backup(*args: str) -> subprocess.CompletedProcess:
    s = connection.settings_dict
    url = f"postgis://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    return subprocess.run(
        ["scripts/backup.sh", *args],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_dump_restores_into_a_new_database_with_the_same_rows(tmp_path):
    office = f.office()
    a, b = f.steward(office), f.steward(office)
    f.pair(a, b)
    dump = tmp_path / "alley.dump"
    done = _backup("dump", str(dump))
    assert done.returncode == 0, done.stderr
    assert dump.stat().st_size > 0

    verified = _backup("verify", str(dump))
    assert verified.returncode == 0, verified.stderr
    assert "the same row counts" in verified.stdout

    # A row written after the dump is missing from the restore: the check sees it.
    f.steward(office)
    differs = _backup("verify", str(dump))
    assert differs.returncode == 1
    assert "public.patrols_steward 3" in differs.stdout  # diff names the table and its count
