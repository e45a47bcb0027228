"""`manage.py check --deploy` is clean under the documented production environment (README,
"Deployment"), and the local defaults stay usable over plain HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The production settings as README "Deployment" documents them.
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x7-q1Lm!k2P9zR4vT8wY3nB6cF0hJ5sD-aE1gU7iO2pK9lM4-only-for-this-test",
    "DJANGO_ALLOWED_HOSTS": "alley.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://alley.example.org",
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1",
    "DJANGO_HSTS_PRELOAD": "1",
    "DJANGO_SSL_REDIRECT": "1",
    "DJANGO_SECURE_COOKIES": "1",
    "DJANGO_BEHIND_PROXY": "1",
}


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_the_documented_production_settings():
    done = _check(PRODUCTION_ENV)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "WARNING" not in done.stderr.upper() and "no issues" in done.stdout


def test_without_them_check_deploy_names_what_is_missing():
    done = _check({"DJANGO_SECRET_KEY": PRODUCTION_ENV["DJANGO_SECRET_KEY"]})
    assert done.returncode != 0
    for check_id in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check_id in done.stderr
