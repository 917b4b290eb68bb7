"""Staff sessions end after 30 idle minutes or 12 hours in all, on both backends; an htmx
request carries the CSRF token in its header and is refused without it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import update

from kasane.core.auth.models import StaffSession
from kasane.core.db import Database, utcnow
from kasane.core.web.deps import SESSION_COOKIE
from tests.conftest import Env, csrf_of, login, tenant_client


def _age_session(env: Env, token: str, *, idle: timedelta, age: timedelta) -> None:
    """Move the session's last activity ``idle`` and its start ``age`` into the past."""
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    tenant_id = env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            now = utcnow()
            await s.execute(
                update(StaffSession)
                .where(StaffSession.token_hash == token_hash)
                .values(last_seen_at=now - idle, created_at=now - age)
            )

    env.run(go)


def _home_after(env: Env, *, idle: timedelta, age: timedelta) -> int:
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        token = client.cookies.get(SESSION_COOKIE)
        assert token
        _age_session(env, token, idle=idle, age=age)
        return client.get("/", follow_redirects=False).status_code


def test_a_session_idle_for_under_30_minutes_goes_on(any_env: Env) -> None:
    assert _home_after(any_env, idle=timedelta(minutes=29), age=timedelta(hours=3)) == 200


def test_a_session_idle_for_over_30_minutes_must_log_in_again(any_env: Env) -> None:
    assert _home_after(any_env, idle=timedelta(minutes=31), age=timedelta(minutes=31)) == 302


def test_a_busy_session_ends_after_12_hours_in_all(any_env: Env) -> None:
    # active a minute ago, but opened 12 hours and a minute ago
    status = _home_after(any_env, idle=timedelta(minutes=1), age=timedelta(hours=12, minutes=1))
    assert status == 302


def test_an_expired_session_is_gone_for_good(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as client:
        login(client, "caseworker")
        token = client.cookies.get(SESSION_COOKIE)
        assert token
        _age_session(sqlite_env, token, idle=timedelta(minutes=31), age=timedelta(hours=1))
        assert client.get("/", follow_redirects=False).status_code == 302
        # coming back within "30 minutes" of the (reset) clock does not revive it
        _age_session(sqlite_env, token, idle=timedelta(0), age=timedelta(0))
        r = client.get("/", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("/login")


def test_htmx_posts_carry_the_csrf_token_in_a_header(usuki) -> None:  # type: ignore[no-untyped-def]
    login(usuki, "caseworker")
    home = usuki.get("/")
    assert "x-csrftoken" in home.text  # hx-headers on <body> sends it with every htmx request
    token = csrf_of(home.text)
    htmx = {"HX-Request": "true"}
    refused = usuki.post("/logout", headers=htmx, follow_redirects=False)
    assert refused.status_code == 403
    assert usuki.get("/", follow_redirects=False).status_code == 200  # still logged in
    accepted = usuki.post("/logout", headers={**htmx, "x-csrftoken": token}, follow_redirects=False)
    assert accepted.status_code in (200, 302, 303)
    assert usuki.get("/", follow_redirects=False).status_code == 302
