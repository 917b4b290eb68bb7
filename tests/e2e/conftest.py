"""Browser tests: Debian's chromium (through Playwright) against a really served app.

One live server per session (``kasane serve`` in a subprocess, on its own migrated and
demo-seeded SQLite database); every test gets a fresh browser context from pytest-playwright's
``page``. Tenant hosts are ``<slug>.localhost:<port>``: Chromium resolves ``*.localhost`` to
loopback itself, so no /etc/hosts entry is needed. Nothing is downloaded: the browser is
``/usr/bin/chromium`` (``make test`` installs it), never Playwright's own build.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import TEST_MASTER_KEY, Env, _make_sqlite_env

E2E_DIR = Path(__file__).resolve().parent
REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT = 30.0
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _in_e2e(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    return path == E2E_DIR or E2E_DIR in path.parents


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: `pytest -m e2e` must see the mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = None
    if not CHROMIUM.exists() and os.environ.get("CI") != "true":
        skip = pytest.mark.skip(
            reason=f"browser tests need Debian's chromium at {CHROMIUM} "
            "(apt-get install chromium fonts-noto-cjk, or `make e2e`)"
        )
    e2e: list[pytest.Item] = []
    for item in items:
        if _in_e2e(item):
            item.add_marker(pytest.mark.e2e)
            if skip is not None:
                item.add_marker(skip)
            e2e.append(item)
    # Browser tests last: once started, Playwright's sync API keeps an event loop running on
    # the main thread until the session ends, and every later asyncio.run() (the other
    # suites' fixtures) would then fail with "cannot be called from a running event loop".
    if e2e:
        chosen = set(e2e)
        items[:] = [i for i in items if i not in chosen] + e2e


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL: every test uses ``live_server.url(slug)``, one host per tenant.

    This also shadows pytest-playwright 0.10's fallback ``base_url`` (a session fixture
    defined as an instance method), which pytest 9 flags with PytestRemovedIn10Warning,
    an error under this project's ``filterwarnings = error``.
    """
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options plus the system chromium (headless by default)."""
    if not CHROMIUM.exists():  # only reached under CI=true: the skip above covers the rest
        pytest.fail(f"CI=true but {CHROMIUM} is missing: `make test` installs it")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


# ------------------------------------------------------------------ the live server


@dataclass(frozen=True)
class LiveServer:
    port: int
    process: subprocess.Popen[bytes]
    env: Env  # the server's database: tests may prepare data in it (see ``run_in_db``)

    def url(self, slug: str | None) -> str:
        """``http://usuki.localhost:<port>``; ``None`` gives the operator host."""
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@contextmanager
def serve_kasane(var: Path, env: Env, **extra_env: str) -> Iterator[LiveServer]:
    """``kasane serve`` on ``env``'s database in demo mode, until the block ends."""
    port = _free_port()
    log_path = var / "server.log"
    child_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KASANE_")},
        "KASANE_DATABASE_URL": env.settings.database_url,
        "KASANE_VAR_DIR": str(var),
        "KASANE_DEMO": "1",
        # The key the test process seals and opens data with (tests.conftest sets it for the
        # whole process): without it the server makes its own and every sealed page fails.
        "KASANE_MASTER_KEY": TEST_MASTER_KEY,
        **extra_env,
    }
    # A file, not a pipe: nobody drains a pipe while tests run, and a full one blocks uvicorn.
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kasane.cli", "serve", "--port", str(port)],
            cwd=REPO,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (
                    f"exited with {proc.returncode}"
                    if proc.returncode is not None
                    else f"no 200 from /healthz within {STARTUP_TIMEOUT:.0f} s"
                )
                pytest.fail(
                    f"kasane serve {why}; its output:\n{log_path.read_text(errors='replace')}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield LiveServer(port, proc, env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    var = tmp_path_factory.mktemp("e2e")
    # In a thread of its own: the migration and the seed call asyncio.run(), which refuses
    # to run inside Playwright's sync API (its loop runs on this thread once started).
    with ThreadPoolExecutor(max_workers=1) as pool:
        env = pool.submit(_make_sqlite_env, var).result()
    with serve_kasane(var, env) as server:
        yield server


def run_in_db(live_server: LiveServer, coro_fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``coro_fn(db, *args, **kwargs)`` on the live server's own database, from the test.

    In a thread of its own: Playwright's sync API runs an event loop on this thread, so
    asyncio.run() (which ``Env.run`` uses) would refuse to start here. The server reads the
    same SQLite file, so what this commits is what the next page shows.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(live_server.env.run, coro_fn, *args, **kwargs).result()


def log_in_as(
    page: Page, live_server: LiveServer, slug: str, username: str, password: str = DEMO_PASSWORD
) -> None:
    """Log in through the tenant's login form (found by ids, not by its wording)."""
    page.goto(live_server.url(slug) + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login form button[type=submit]").click()
    expect(page).to_have_url(live_server.url(slug) + "/")


def expect_not_found_like_missing(page: Page, url: str, missing_url: str) -> None:
    """``url`` answers exactly as a missing id does: status 404 and the same page."""
    missing = page.goto(missing_url)
    assert missing is not None and missing.status == 404, f"{missing_url} is not a 404"
    heading = page.locator("main h1").inner_text()
    answer = page.goto(url)
    assert answer is not None and answer.status == 404, f"{url} answered {answer and answer.status}"
    expect(page.locator("main h1")).to_have_text(heading)


# ------------------------------------------------------------------ accessibility

_axe = Axe()


def assert_accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.0/2.1 A or AA violation on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    lines = [f"{results.violations_count} axe violation(s) on {page.url}:"]
    for v in results.response["violations"]:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} <{v.get('helpUrl', '')}>")
        for node in v["nodes"]:
            target = ", ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {node.get('html', '')}  [{summary}]")
    assert results.violations_count == 0, "\n".join(lines)
