"""Every page under the Content-Security-Policy, enforced by Chromium: a crawl of what each
kind of staff member can reach (and the operator site) sees no violation — no inline script
or style, no eval, nothing from another origin — and every page carries the headers.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import LiveServer, log_in_as

# Recorded by the page itself: Chromium reports each blocked load or execution here, and
# htmx's own events count the requests in flight (a page's hx-trigger="load" parts included).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
window.__htmxInFlight = 0;
document.addEventListener('htmx:beforeRequest', () => { window.__htmxInFlight += 1; });
document.addEventListener('htmx:afterRequest', () => { window.__htmxInFlight -= 1; });
"""
# Settled: every htmx request answered and swapped in (a swap's own hx-trigger="load" starts
# before its parent's afterRequest), then one task later, when Chromium has dispatched the
# violation events of what the swap loaded. Much quicker than "networkidle" (500 ms of quiet
# per page) and it waits for the same parts.
SETTLED = """() => new Promise((done) => {
  const check = () => window.__htmxInFlight === 0 ? setTimeout(done, 30) : setTimeout(check, 10);
  check();
})"""


def wait_until_settled(page: Page) -> None:
    """The page has loaded, with every htmx part of it (see ``SETTLED``)."""
    page.evaluate(SETTLED)


SKIP = re.compile(
    r"^/(logout|lang/|static/|look\.css|calendar/.+\.ics|billing/portal|sso/)"
    r"|\.(pdf|json|zip|ics|csv|xlsx)(\?|$)|/export"
)
MAX_PAGES = 70


# Query parameters that pick which rows a page shows, not which page it is: a report's
# drill-down into another indicator, month or value is the same page again.
DATA_PARAMS = re.compile(r"(?<=[?&])(key|dim|value|month|fy|cursor|page)=[^&#]*")


def _shape(path: str) -> str:
    """One visit per kind of page: ids, numbers and row choices do not make a new page."""
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{id}", path)
    path = DATA_PARAMS.sub(lambda m: m.group(1), path)
    path = re.sub(r"\d+", "N", path)
    return path.split("#", 1)[0]


def crawl(page: Page, origin: str, start: str) -> tuple[list[str], dict[str, list[str]]]:
    """Visit the pages reachable from ``start`` on ``origin``; (visited, violations by URL)."""
    queue, seen, visited = [start], {_shape(start)}, []
    violations: dict[str, list[str]] = {}
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        response = page.goto(origin + path)
        wait_until_settled(page)
        visited.append(path)
        assert response is not None
        headers = response.headers
        assert "script-src 'self'" in headers.get("content-security-policy", ""), path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("referrer-policy"), path
        found = page.evaluate("window.__csp || []")
        if found:
            violations[path] = found
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            url = urljoin(origin + path, href)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != origin:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP.search(target) or _shape(target) in seen:
                continue
            seen.add(_shape(target))
            queue.append(target)
    return visited, violations


@pytest.mark.parametrize(
    "slug, username",
    [("usuki", "admin"), ("usuki", "caseworker"), ("marugame", "supervisor")],
)
def test_no_page_violates_the_content_security_policy(
    page: Page, live_server: LiveServer, slug: str, username: str
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    log_in_as(page, live_server, slug, username)
    visited, violations = crawl(page, live_server.url(slug), "/")
    assert len(visited) >= 15, visited  # the crawl really went through the staff pages
    assert not violations, violations


def test_the_operator_site_and_an_htmx_form_work_under_the_policy(
    page: Page, live_server: LiveServer
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    visited, violations = crawl(page, live_server.url(None), "/")
    assert "/signup" in visited and not violations, violations
    # an htmx interaction (the intake's live duplicate check) runs without eval or inline code
    log_in_as(page, live_server, "usuki", "caseworker")
    page.goto(live_server.url("usuki") + "/intake/new?counter=hokatsu")
    page.locator("#name").fill("臼杵 一郎")
    page.locator("#kana").fill("うすき いちろう")
    with page.expect_response("**/intake/duplicates"):
        page.locator("#kana").blur()
    wait_until_settled(page)
    assert page.evaluate("window.__csp || []") == []
