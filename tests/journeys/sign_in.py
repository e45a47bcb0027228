"""Steps the planner, steward and supervisor journeys share."""

from __future__ import annotations

from urllib.parse import quote

from .harness import Journey


def sign_in(j: Journey, username: str, next_path: str) -> None:
    """Log in through the log-in page straight to `next_path` (in the journey's language)."""
    target = j.url(next_path)[len(j.base_url) :]
    j.goto(f"/accounts/login/?next={quote(target)}")
    j.page.fill("input[name=username]", username)
    j.page.fill("input[name=password]", "alley-demo")
    j.page.locator("form [type=submit]").first.click()
    j.page.wait_for_load_state("networkidle")
    j.check_language()
