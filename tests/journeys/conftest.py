"""Journeys run against a real server on a database of their own with the demo loaded, exactly as
`make run` serves it (gunicorn beside one job worker, `scripts/run.sh --serve`, DEBUG off); the
browser is Debian's chromium. The server and its database are
made once per test session; journeys run in a fixed order and may change what they find."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

from .harness import DESKTOP, LOCALES, PHONE, Journey

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser


def _db_params() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": str(db.get("PORT") or 5432),
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
    }


def _admin(params: dict, sql: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(sql)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(env: dict, *args: str) -> None:
    print(f"journeys: manage.py {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


@pytest.fixture(scope="session")
def journey_db_url() -> str:
    """A database of the journeys' own: migrated, the demo loaded (two days of patrols)."""
    params = _db_params()
    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME") or "test_alley"
    name = f"{test_name}_journeys"
    _admin(params, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(params, f'CREATE DATABASE "{name}"')
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    url = f"postgis://{auth}@{params['host']}:{params['port']}/{name}"
    yield url
    _admin(params, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def journey_server(journey_db_url, tmp_path_factory) -> str:
    """The system served as `make run` serves it, on a free port; yields its base URL."""
    env = {
        **os.environ,
        "DATABASE_URL": journey_db_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "journeys-only-" + os.urandom(16).hex(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ALLEY_MEDIA_ROOT": str(tmp_path_factory.mktemp("journey-media")),
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
        "ALLEY_WEB_WORKERS": "1",
        "ALLEY_GUNICORN_CTL": str(tmp_path_factory.mktemp("gunicorn") / "ctl"),
    }
    _run(env, "migrate", "--noinput", "-v0")
    _run(env, "load_demo", "--days", "2")
    port = _free_port()
    server = subprocess.Popen(
        ["scripts/run.sh", "--serve"],
        cwd=ROOT,
        env={**env, "HOST": f"127.0.0.1:{port}"},
        start_new_session=True,  # one process group: web server and worker stop together
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(server.pid, signal.SIGKILL)
        pytest.fail("the journey server did not start within 60 s")
    yield base
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def journey_sql(journey_server, journey_db_url):
    """`journey_sql(query, *params)` → rows from the journey server's database (to find a demo
    steward's username, a case number …), read-only by convention."""

    def run(query: str, *params) -> list[tuple]:
        with psycopg.connect(journey_db_url.replace("postgis://", "postgresql://")) as conn:
            return conn.execute(query, params).fetchall()

    return run


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's chromium is missing: run `scripts/bootstrap.sh --browser` (make test does)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def journey(browser, journey_server, request):
    """`journey(name, lang="zh"|"en", phone=False)` → a Journey in a fresh browser context."""
    opened: list[Journey] = []

    def start(name: str, lang: str = "zh", phone: bool = False) -> Journey:
        context = browser.new_context(
            locale=LOCALES[lang], timezone_id="Asia/Shanghai", **(PHONE if phone else DESKTOP)
        )
        j = Journey(context=context, base_url=journey_server, name=f"{name}-{lang}", lang=lang)
        opened.append(j)
        return j

    yield start
    for j in opened:
        j.context.close()
