"""CPU seconds spent per side of the tile bench, from /proc (Linux): the gunicorn processes, the
PostgreSQL backends of the bench's database, and the bench process itself (its client threads).

Each side's rounds run alone (endpoint and bare alternate), so the growth of each counter over a
side's rounds is that side's CPU; divided by its requests it is the CPU a request costs, which is
what 8 clients queue for on 2 cores."""

from __future__ import annotations

import os
import resource

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _children(parent: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                        out.append(int(name))
            except OSError:
                continue
    return out


def snapshot(server_pid: int, cursor) -> dict[str, dict[int, float]]:
    """{"server": {pid: s}, "db": {pid: s}, "client": {0: s}} now."""
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    backends = [r[0] for r in cursor.fetchall()]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "server": {
            p: c for p in [server_pid, *_children(server_pid)] if (c := _cpu_of(p)) is not None
        },
        "db": {p: c for p in backends if (c := _cpu_of(p)) is not None},
        "client": {0: usage.ru_utime + usage.ru_stime},
    }


def grown(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per part between two snapshots (processes present in both)."""
    return {
        part: sum(after[part][p] - before[part][p] for p in after[part] if p in before[part])
        for part in before
    }


def line(label: str, cpu: dict[str, float], requests: int) -> str:
    ms = {k: v / requests * 1000 for k, v in cpu.items()}
    return (
        f"  CPU per request, {label:9s} {sum(ms.values()):5.2f} ms = gunicorn {ms['server']:4.2f} + "
        f"PostgreSQL {ms['db']:4.2f} + bench client {ms['client']:4.2f}"
    )
