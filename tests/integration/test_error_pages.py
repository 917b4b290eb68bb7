"""A bug (not an outage) answers 500 with the Japanese error page in the town's look — never
Litestar's JSON — and logs its traceback; when even that page cannot be rendered, a static
one is sent (decision 0022, ``kasane.error_pages.server_error``).

The bug is a throwaway route registered on an app of the test's own, guarded like every
staff route (the app refuses to start otherwise).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import get
from litestar.di import Provide
from litestar.testing import TestClient

import kasane.error_pages
from kasane.app import create_app
from kasane.core.auth.permissions import needs
from kasane.core.web.deps import Actor, requires_login
from tests.conftest import Env, login


@get(
    "/broken-page",
    name="broken_page",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("case:cases"),
    sync_to_thread=False,
)
def broken_page(actor: Actor) -> str:
    raise ZeroDivisionError("a bug in a page")


@pytest.fixture
def client(sqlite_env: Env) -> Iterator[TestClient]:
    app = create_app(sqlite_env.settings)
    app.register(broken_page)
    with TestClient(app, base_url=f"http://usuki.{sqlite_env.settings.base_domain}") as c:
        assert login(c, "caseworker").status_code == 302
        yield c


def test_a_bug_answers_the_japanese_error_page_and_logs_its_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        page = client.get("/broken-page")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "問題が発生しました" in page.text and "エラー 500" in page.text
    assert "臼杵市" in page.text  # the town's look, with its header
    assert "status_code" not in page.text and "a bug in a page" not in page.text
    assert "retry-after" not in page.headers  # a bug is not "try again in a moment"
    logged = [r for r in caplog.records if getattr(r, "traceback", "")]
    assert logged and "ZeroDivisionError" in logged[0].traceback  # type: ignore[attr-defined]


def test_a_bug_whose_error_page_cannot_be_rendered_gets_the_static_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_look(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a theme's template is missing")

    monkeypatch.setattr(kasane.error_pages, "render", broken_look)
    page = client.get("/broken-page")
    assert page.status_code == 500
    assert "問題が発生しました" in page.text and "Something went wrong (error 500)" in page.text
