"""PostgreSQL out of reach: every page answers 503 with Retry-After and a Japanese notice, in
the town's look where the town is known — never a bare 500 — and the app recovers by itself.

The app reaches PostgreSQL through a relay the test cuts (connections reset, new ones
refused: what a stopped server looks like from the app) and restores.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from tests.conftest import Env, csrf_of, login, tenant_client
from tests.isolation.routes_cases import make_case
from tests.outage_proxy import Relay, relay_to

pytestmark = pytest.mark.postgres
NOTICE = "データベースに接続できません"


@pytest.fixture
def relayed(pg_env: Env) -> Iterator[tuple[Env, Relay]]:
    """``pg_env`` with the app's database reached through a relay."""
    with relay_to("127.0.0.1", 5432) as relay:

        def through(url: str) -> str:
            return re.sub(r"@127\.0\.0\.1:5432/", f"@127.0.0.1:{relay.port}/", url)

        settings = dataclasses.replace(
            pg_env.settings,
            database_url=through(pg_env.settings.database_url),
            central_database_url=through(pg_env.settings.central_url),
        )
        yield Env(settings, "postgres"), relay


def _note(client: TestClient, case: str, token: str, body: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/cases/{case}/notes",
        data={
            "_csrf_token": token,
            "note-kind": "phone",
            "note-occurred_on": "2026-12-01",
            "note-body": body,
        },
        headers=headers,
        follow_redirects=False,
    )


def test_an_outage_answers_503_pages_and_the_app_recovers(
    pg_env: Env, relayed: tuple[Env, Relay], capfd: pytest.CaptureFixture[str]
) -> None:
    env, relay = relayed
    case = str(make_case(pg_env, "usuki"))
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        page = client.get(f"/cases/{case}")
        assert page.status_code == 200
        token = csrf_of(page.text)

        # when PostgreSQL goes away while the caseworker writes
        relay.cut()
        saved = _note(client, case, token, "停電中に書いたメモ")
        # then the save answers 503 with Retry-After and the Japanese notice in the town's look
        assert saved.status_code == 503, saved.text[:300]
        assert saved.headers["retry-after"].isdigit()
        assert NOTICE in saved.text and "臼杵市" in saved.text
        # an htmx save gets the notice as a fragment the page shows in place
        fragment = _note(client, case, token, "停電中", **{"HX-Request": "true"})
        assert fragment.status_code == 503 and NOTICE in fragment.text
        assert "<html" not in fragment.text
        # reads too, and the public API answers a problem
        assert client.get("/cases").status_code == 503
        api = client.get("/api/hsds/services")
        assert api.status_code == 503 and api.headers["content-type"].startswith(
            "application/problem+json"
        )
        assert api.headers["retry-after"].isdigit()

    # a new client: the host → town lookup itself cannot reach the database (cache cold)
    with tenant_client(env, "usuki") as cold:
        r = cold.get("/login")
        assert r.status_code == 503 and NOTICE in r.text
        assert r.headers["retry-after"].isdigit()

        # when PostgreSQL is back, the same pages work again without a restart
        relay.restore()
        assert cold.get("/login").status_code == 200
        assert login(cold, "caseworker").status_code == 302
        page = cold.get(f"/cases/{case}")
        saved = _note(cold, case, csrf_of(page.text), "復旧後のメモ")
        assert saved.status_code == 303
        assert "復旧後のメモ" in cold.get(f"/cases/{case}").text
    # and every request's database session was closed on its own task, login refused or not
    assert "asynchronous generator is already running" not in capfd.readouterr().err
