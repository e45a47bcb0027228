"""Grid jobs (procrastinate, see jobs/queue.py): printing the 责任分布牌 with headless chromium."""

from __future__ import annotations

import logging
import subprocess

from django.utils.translation import gettext_lazy as _

from grids import board_renders, boards
from jobs.errors import JobFailed
from jobs.queue import job, periodic

log = logging.getLogger(__name__)


@job("grids.render_board", queue="renders")
def render_board(community: int, key: str, fmt: str, width: int, height: int) -> dict:
    """Print the page the request stored to PDF/PNG next to it; the page itself is then removed."""
    out = board_renders.output_path(community, key, fmt)
    if out.exists():  # an earlier job for the same content finished first
        return {"bytes": out.stat().st_size}
    page = board_renders.page_path(community, key)
    if not page.exists():
        raise JobFailed(_("责任分布牌的页面已不在服务器上，请回到责任分布牌重新点击下载。"))
    try:
        body = boards.render_with_chromium(
            page.read_text(encoding="utf-8"), fmt, size=(width, height)
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        log.warning("board render %s failed: %s", key, exc)
        raise JobFailed(
            _("浏览器未能生成 %(fmt)s 文件（出错或超时），请稍后重试；多次失败请联系管理员。"),
            fmt=fmt.upper(),
        ) from exc
    board_renders.write_atomically(out, body)
    page.unlink(missing_ok=True)
    return {"bytes": len(body)}


@periodic("40 4 * * *", "grids.prune_board_renders")
def nightly_prune_renders() -> None:
    board_renders.prune()
