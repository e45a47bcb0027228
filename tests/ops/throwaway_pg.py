"""A PostgreSQL cluster of the test's own under /tmp, which it may stop and start (the shared
server must never be restarted). Migrated once per session: a few tests share it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PGBIN = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    # initdb refuses root: then the cluster belongs to the 'postgres' system user.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else cmd


@dataclass
class Cluster:
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgis://alley@127.0.0.1:{self.port}/alley"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_owner([str(PGBIN / "pg_ctl"), "-D", str(self.root / "data"), *args]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.pg_ctl("-l", str(self.root / "log"), "-w", "start")

    def psql(self, db: str, sql: str) -> None:
        subprocess.run(
            [str(PGBIN / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U"]
            + ["alley", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True,
            capture_output=True,
            timeout=60,
        )


def create_cluster() -> Cluster:
    root = Path(tempfile.mkdtemp(prefix="alley-pg-", dir="/tmp"))
    if os.getuid() == 0:
        shutil.chown(root, "postgres")
    cluster = Cluster(root, free_port())
    subprocess.run(
        _as_owner([str(PGBIN / "initdb"), "-D", str(root / "data"), "-U", "alley"])
        + ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    conf = (
        f"listen_addresses = '127.0.0.1'\nport = {cluster.port}\n"
        f"unix_socket_directories = '{root}'\nfsync = off\nsynchronous_commit = off\n"
    )
    subprocess.run(
        _as_owner(["sh", "-c", f"cat >> {root}/data/postgresql.conf"]),
        input=conf.encode(),
        check=True,
    )
    cluster.start()
    cluster.psql("postgres", "CREATE DATABASE alley")
    cluster.psql("alley", "CREATE EXTENSION postgis")
    env = os.environ | {"DATABASE_URL": cluster.url}
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    return cluster


def destroy_cluster(cluster: Cluster) -> None:
    with contextlib.suppress(subprocess.CalledProcessError):
        cluster.pg_ctl("-m", "immediate", "stop")
    shutil.rmtree(cluster.root, ignore_errors=True)


def start_server(cluster: Cluster, *, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """gunicorn as `make run` starts it (production settings), against the throwaway cluster."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": cluster.url,
        "ALLEY_BIND": f"127.0.0.1:{port}",
        "ALLEY_WEB_WORKERS": str(workers),
        "DJANGO_DEBUG": "0",
    }
    env.pop("ALLEY_TEST_DB_NAME", None)
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py"]
        + ["--control-socket", str(cluster.root / "gunicorn.ctl")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(cluster.root / "gunicorn.log", "wb"),  # noqa: SIM115 - lives with the server
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("gunicorn did not start: " + (cluster.root / "gunicorn.log").read_text())
