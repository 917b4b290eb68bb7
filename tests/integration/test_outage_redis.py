"""Redis out of reach: what needs it answers 503 with Retry-After and the Japanese notice in
the town's look — never a bare 500 — and the app recovers by itself (issue 22, decision 0022).

Redis holds the login limiter and the one-time submission keys when ``KASANE_REDIS_URL``
is set (several app processes). The app reaches Redis through a relay the test cuts
(connections reset, new ones refused: a stopped Redis as the app sees it) and restores,
without stopping the machine's shared Redis. Skipped when Redis is unreachable.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from kasane.app import create_app
from tests.conftest import _make_sqlite_env, login
from tests.integration.test_ephemeral_store import redis_url  # noqa: F401  (skips without Redis)
from tests.integration.test_submissions import _counts, _send
from tests.isolation.routes_cases import make_case
from tests.outage_proxy import assert_outage_page, login_form, relay_to

pytestmark = pytest.mark.redis


def test_redis_out_of_reach_answers_the_outage_page_and_the_app_recovers(
    tmp_path: Path,
    redis_url: str,  # noqa: F811
) -> None:
    env = _make_sqlite_env(tmp_path / "db")
    case = make_case(env, "usuki")
    key = secrets.token_hex(16)
    target = urlsplit(redis_url)
    with relay_to(target.hostname or "127.0.0.1", target.port or 6379) as relay:
        settings = replace(env.settings, redis_url=f"redis://127.0.0.1:{relay.port}/0")
        staff = TestClient(create_app(settings), base_url="http://usuki.kasane.test")
        # another process of the same deployment, where someone is signing in
        other = TestClient(create_app(settings), base_url="http://usuki.kasane.test")
        with staff as client, other as visitor:
            assert login(client, "caseworker").status_code == 302  # the limiter is in Redis
            signing_in = login_form(visitor, "supervisor")
            assert client.get("/readyz").json()["checks"]["redis"] == "ok"

            # when Redis goes away while the caseworker writes a note
            relay.cut()
            # then the save (its one-time key is claimed in Redis) answers the outage page
            assert_outage_page(_send(client, case, key, "Redis停止中のメモ"))
            fragment = _send(client, case, key, "Redis停止中", **{"HX-Request": "true"})
            assert_outage_page(fragment, town=False)
            assert "<html" not in fragment.text  # htmx shows it in place
            assert _counts(env, "usuki", case) == (0, 0)
            # and a sign-in (its limiter counts in Redis) answers the same page
            assert_outage_page(visitor.post("/login", data=signing_in, follow_redirects=False))
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "unreachable"

            # when Redis is back, the same requests work without a restart
            relay.restore()
            assert client.get("/readyz").status_code == 200
            signed_in = visitor.post("/login", data=signing_in, follow_redirects=False)
            assert signed_in.status_code == 302
            # the note sent again with the same key (released by the outage) is saved once
            assert _send(client, case, key, "Redis復旧後のメモ").status_code == 303
            assert _send(client, case, key, "Redis復旧後のメモ").status_code == 303  # a repeat
            assert _counts(env, "usuki", case) == (1, 1)
