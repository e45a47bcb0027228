"""Board renders (PDF/PNG) kept privately under MEDIA_ROOT/boards/<community>/, one file per board
content: the key is a hash of the exact self-contained page, so an unchanged board (same pairs,
phones, alleys, day, paper, language and address) is served again without starting chromium."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from django.conf import settings

FORMATS = {"pdf": "application/pdf", "png": "image/png"}


def render_key(html: str, fmt: str, size: tuple[int, int]) -> str:
    return hashlib.sha256(f"{fmt}:{size[0]}x{size[1]}:".encode() + html.encode()).hexdigest()


def is_key(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def folder(community_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "boards" / str(int(community_id))


def output_path(community_id: int, key: str, fmt: str) -> Path:
    return folder(community_id) / f"{key}.{fmt}"


def page_path(community_id: int, key: str) -> Path:
    """The page the job renders (written by the request, removed by the job)."""
    return folder(community_id) / f"{key}.html"


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the whole file or none (a download never gets half a PDF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def prune(max_age_days: float = 7.0) -> int:
    """Remove renders (and pages never rendered) older than `max_age_days`; a board asked for
    again is simply rendered again. Returns how many files went."""
    root = Path(settings.MEDIA_ROOT) / "boards"
    cutoff = time.time() - max_age_days * 86400
    gone = 0
    for path in root.glob("*/*") if root.exists() else []:
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            gone += 1
    return gone
