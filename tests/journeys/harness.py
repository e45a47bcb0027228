"""What every journey checks, whatever the role: a page that a person uses must

- load nothing from another origin (the system works offline: the machine running the tests has no
  internet, and any such request is aborted and reported),
- log no console error and throw no uncaught exception,
- answer no request of its own with a 5xx,
- on /en/, show no Chinese outside elements marked `translate="no"` (the HTML attribute for data that
  must not be translated: names of streets, people and offices stay as they are).

`Journey` wraps one browser context; `journey.problems` collects every breach and `journey.check()`
fails the test with all of them at once, so one run shows the whole list.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LOCALES = {"zh": "zh-CN", "en": "en-GB"}
ARTIFACTS = Path(os.environ.get("ALLEY_JOURNEY_ARTIFACTS", "var/artifacts/journeys"))

# Visible text nodes with Chinese characters that are not inside a translate="no" element, under
# the elements matching `scope` (the whole body by default).
UNTRANSLATED_JS = r"""(scope) => {
  const han = /[\u3400-\u9fff\uf900-\ufaff]/;
  const out = [];
  const roots = [...document.querySelectorAll(scope || 'body')];
  for (const root of roots) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim();
    if (!text || !han.test(text)) continue;
    const el = node.parentElement;
    if (!el || el.closest('[translate="no"], script, style, noscript, template')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || !el.getClientRects().length) continue;
    out.push(text.slice(0, 80));
  }
  for (const el of root.querySelectorAll('[placeholder], [title], [aria-label], input[type=submit], input[type=button]')) {
    if (el.closest('[translate="no"]')) continue;
    for (const a of ['placeholder', 'title', 'aria-label', 'value']) {
      const v = el.getAttribute(a);
      if (v && han.test(v) && (a !== 'value' || el.matches('input[type=submit], input[type=button]'))) out.push(`${a}=${v.slice(0, 80)}`);
    }
  }
  }
  return [...new Set(out)];
}"""


@dataclass
class Journey:
    """One person's browser session against the journey server."""

    context: object
    base_url: str
    name: str
    lang: str = "zh"
    problems: list[str] = field(default_factory=list)
    shots: int = 0
    expected: set[str] = field(default_factory=set)  # URLs whose 4xx the journey asked for

    def __post_init__(self) -> None:
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self._watch(self.page)
        self.context.on("page", self._watch)

    # -- watching ---------------------------------------------------------------------------------
    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or url.startswith(self.origin):
            route.continue_()
            return
        self.problems.append(f"request to another origin: {url}")
        route.abort()

    def _watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught exception: {exc}"))
        page.on("response", self._response)

    def _console(self, msg) -> None:
        url = msg.location.get("url", "")
        if url in self.expected and "the server responded with a status of 4" in msg.text:
            return  # the browser's own note on a page the journey meant to get a 403/404 for
        if msg.type == "error":
            self.problems.append(f"console error on {msg.location.get('url', '?')}: {msg.text}")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    # -- doing ------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        prefix = "/en" if self.lang == "en" and not path.startswith(("/api/", "/en/")) else ""
        return f"{self.base_url}{prefix}{path}"

    def goto(self, path: str, expect: int | None = None, scope: str = "body", **kw):
        """Open ``path`` (in the journey's language) as a person would; with ``expect`` the page is
        meant to answer that status (a friendly 403/404), and any other status is a problem.
        ``scope`` (a CSS selector) limits the language check to part of the page, for a journey
        that passes through a page another journey checks in full."""
        url = self.url(path)
        if expect is not None:
            self.expected.add(url)
        response = self.page.goto(url, **kw)
        self.page.wait_for_load_state("networkidle")
        if expect is not None and response is not None and response.status != expect:
            self.problems.append(f"{url} answered {response.status}, expected {expect}")
        self.check_language(scope)
        return response

    def login(self, username: str, password: str = "alley-demo") -> None:
        """Log in through the one log-in page, as a person does."""
        self.goto("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.locator("form [type=submit]").first.click()
        self.page.wait_for_load_state("networkidle")
        self.check_language()

    def check_language(self, scope: str = "body") -> None:
        if self.lang != "en" or not self.page.url.startswith(self.base_url):
            return
        for text in self.page.evaluate(UNTRANSLATED_JS, scope):
            self.problems.append(f"untranslated on {self.page.url}: {text}")

    def shot(self, label: str) -> Path:
        """A full-page screenshot kept under var/artifacts/journeys/<journey>/ for people to look at."""
        self.shots += 1
        folder = ARTIFACTS / self.name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.shots:02d}-{re.sub(r'[^a-z0-9-]+', '-', label.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check(self) -> None:
        """Fail with every problem seen so far (deduplicated, in order)."""
        seen = list(dict.fromkeys(self.problems))
        assert not seen, f"{len(seen)} problem(s) in journey {self.name}:\n" + "\n".join(seen)
