"""The ephemeral store (pending logins, login rate limit) in memory and in Redis.

The behaviour tests run against both implementations; the Redis ones use a fresh key
prefix per test and are skipped when Redis is unreachable (a failure under ``CI=true``).
The last tests run two app instances over one Redis, as two app processes would.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kasane.app import create_app
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.ratelimit import MAX_CLIENT_FAILURES, MAX_FAILURES, LoginLimiter
from kasane.core.auth.sso import do_configure_sso
from kasane.core.auth.totp import do_enrol_totp
from kasane.core.db import Database
from kasane.core.ephemeral import EphemeralStore, MemoryStore, RedisStore, make_store
from kasane.settings import load_settings
from tests.conftest import Env, _make_sqlite_env, csrf_of, login
from tests.oidc_fixtures import authorize_as, oidc_issuer, set_user  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")

REDIS_URL = os.environ.get("KASANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = TypeVar("T")


# ------------------------------------------------------------------ fixtures


def _redis_reachable() -> str | None:
    try:
        import redis

        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
        return None
    except Exception as exc:  # any failure means "not reachable" for the skip decision
        return str(exc)


@pytest.fixture(scope="session")
def redis_url() -> str:
    problem = _redis_reachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable at {REDIS_URL} under CI: {problem}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {problem}")
    return REDIS_URL


def _redis_keys(prefix: str) -> list[str]:
    import redis

    with redis.Redis.from_url(REDIS_URL, decode_responses=True) as client:
        return sorted(client.scan_iter(match=f"{prefix}:*"))


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are removed afterwards."""
    import redis

    prefix = f"kasane-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def new_store(request: pytest.FixtureRequest) -> Callable[[], EphemeralStore]:
    """Makes stores that share their state, as the app processes of one deployment do:
    the one MemoryStore (a single process), or RedisStores under one prefix."""
    if request.param == "memory":
        shared = MemoryStore()
        return lambda: shared
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: RedisStore(REDIS_URL, prefix)


def run(new_store: Callable[[], EphemeralStore], fn: Callable[..., Awaitable[T]]) -> T:
    """``fn(store, other)``: two stores (two processes' views), closed on the same loop."""

    async def go() -> T:
        store, other = new_store(), new_store()
        try:
            return await fn(store, other)
        finally:
            await store.aclose()
            await other.aclose()

    return asyncio.run(go())


# ------------------------------------------------------------------ the store's behaviour


def test_a_value_is_kept_per_kind_and_tenant_until_its_ttl(new_store) -> None:  # type: ignore[no-untyped-def]
    async def go(store: EphemeralStore, other: EphemeralStore) -> None:
        await store.put("sso_state", "usuki", "k1", {"next": "/cases", "n": 1}, ttl=0.5)
        await store.put("sso_state", "usuki", "k2", {"next": "/"}, ttl=60)
        assert await other.get("sso_state", "usuki", "k1") == {"next": "/cases", "n": 1}
        assert await other.get("sso_state", "usuki", "k1") is not None  # get does not use it up
        assert await other.get("sso_state", "marugame", "k1") is None  # another tenant
        assert await other.get("totp_step", "usuki", "k1") is None  # another kind
        await asyncio.sleep(0.7)
        assert await other.get("sso_state", "usuki", "k1") is None  # expired
        assert await other.take("sso_state", "usuki", "k1") is None
        assert await other.get("sso_state", "usuki", "k2") == {"next": "/"}
        await other.delete("sso_state", "usuki", "k2")
        assert await store.get("sso_state", "usuki", "k2") is None

    run(new_store, go)


def test_take_gives_the_value_once_even_to_concurrent_takers(new_store) -> None:  # type: ignore[no-untyped-def]
    async def go(store: EphemeralStore, other: EphemeralStore) -> None:
        await store.put("sso_state", "usuki", "s", {"verifier": "v"}, ttl=60)
        assert await other.take("sso_state", "marugame", "s") is None  # not another tenant's
        takers = [(store if i % 2 else other).take("sso_state", "usuki", "s") for i in range(10)]
        got = await asyncio.gather(*takers)
        assert [g for g in got if g is not None] == [{"verifier": "v"}]
        assert await store.get("sso_state", "usuki", "s") is None

    run(new_store, go)


def test_hits_count_within_the_window_and_delete_clears(new_store) -> None:  # type: ignore[no-untyped-def]
    async def go(store: EphemeralStore, other: EphemeralStore) -> None:
        assert await store.hits("login_failures", "usuki", "u", window=0.6) == 0
        assert await store.hit("login_failures", "usuki", "u", window=0.6) == 1
        assert await other.hit("login_failures", "usuki", "u", window=0.6) == 2
        assert await other.hits("login_failures", "marugame", "u", window=0.6) == 0
        await asyncio.sleep(0.4)
        assert await store.hit("login_failures", "usuki", "u", window=0.6) == 3
        await asyncio.sleep(0.35)  # the first two are now older than the window
        assert await other.hits("login_failures", "usuki", "u", window=0.6) == 1
        await other.delete("login_failures", "usuki", "u")
        assert await store.hits("login_failures", "usuki", "u", window=0.6) == 0

    run(new_store, go)


def test_the_limiter_blocks_after_five_failures_and_a_success_clears(new_store) -> None:  # type: ignore[no-untyped-def]
    async def go(store: EphemeralStore, other: EphemeralStore) -> None:
        here, there = LoginLimiter(store, "secret"), LoginLimiter(other, "secret")
        attacker, desk = "203.0.113.9", "10.0.0.5"
        for i in range(MAX_FAILURES):
            assert not await there.blocked("usuki", "Supervisor", attacker), i
            await (here if i % 2 else there).failed("usuki", "supervisor", attacker)
        # the user name's case does not matter
        assert await there.blocked("usuki", "SUPERVISOR", attacker)
        assert not await there.blocked("marugame", "supervisor", attacker)  # nor another tenant
        assert not await there.blocked("usuki", "admin", attacker)
        # the supervisor at their own desk is not locked out by the attacker's failures
        assert not await there.blocked("usuki", "supervisor", desk)
        await here.succeeded("usuki", "supervisor", attacker)
        assert not await there.blocked("usuki", "supervisor", attacker)

    run(new_store, go)


def test_spraying_one_password_across_user_names_is_capped(new_store) -> None:  # type: ignore[no-untyped-def]
    async def go(store: EphemeralStore, other: EphemeralStore) -> None:
        here, there = LoginLimiter(store, "secret"), LoginLimiter(other, "secret")
        sprayer = "198.51.100.7"
        # one failure each for many user names, across two towns and two app processes
        for i in range(MAX_CLIENT_FAILURES):
            assert not await there.blocked("usuki", f"user{i}", sprayer), i
            await (here if i % 2 else there).failed(
                ("usuki", "marugame")[i % 3 == 0], f"user{i}", sprayer
            )
        # then the client may not try any further name, in any town
        assert await there.blocked("usuki", "someone-new", sprayer)
        assert await here.blocked("marugame", "admin", sprayer)
        # and other clients are unaffected
        assert not await there.blocked("usuki", "someone-new", "10.0.0.5")

    run(new_store, go)


@pytest.mark.redis
def test_keys_are_namespaced_and_hold_no_user_name_or_token(
    redis_prefix: str, tmp_path: Path
) -> None:
    settings = load_settings(var_dir=tmp_path, redis_url=REDIS_URL)
    assert isinstance(make_store(settings), RedisStore)
    assert isinstance(make_store(load_settings(var_dir=tmp_path, redis_url="")), MemoryStore)
    assert make_store(settings).key("sso_state", "t1", "abc") == "kasane:sso_state:t1:abc"

    async def go() -> None:
        store = RedisStore(REDIS_URL, redis_prefix)
        try:
            await LoginLimiter(store, "secret").failed("t1", "Hanako.Yamada", "192.0.2.1")
            await store.put("totp_step", "t1", "deadbeef", {"next": "/"}, ttl=300)
        finally:
            await store.aclose()

    asyncio.run(go())
    keys = _redis_keys(redis_prefix)
    assert sorted(k.split(":")[1:3] for k in keys) == [
        ["login_failures", "t1"],
        ["login_failures_client", "all"],
        ["totp_step", "t1"],
    ]
    assert not any("hanako" in k.lower() or "192.0.2.1" in k for k in keys)


# ------------------------------------------------------------------ two app instances, one Redis


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("ephemeral"))


def _client(env: Env, prefix: str, slug: str) -> TestClient:
    """A client of a new app instance (its own store object) over the shared Redis."""
    app = create_app(env.settings, ephemeral=RedisStore(REDIS_URL, prefix))
    return TestClient(app, base_url=f"http://{slug}.{env.settings.base_domain}")


def _in_tenant(env: Env, slug: str, fn: Callable[[Any], Awaitable[T]]) -> T:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> T:
        async with db.session(tid) as s:
            return await fn(s)

    return env.run(go)


@pytest.mark.redis
def test_failures_counted_on_one_app_block_the_login_on_another(
    env: Env, redis_prefix: str
) -> None:
    with _client(env, redis_prefix, "marugame") as a:
        for _ in range(MAX_FAILURES):
            assert login(a, "caseworker", "nope").status_code == 401
    with _client(env, redis_prefix, "marugame") as b:
        r = login(b, "caseworker")  # the right password, on the other instance
        assert r.status_code == 401 and 'name="password"' in r.text
        assert b.get("/", follow_redirects=False).status_code == 302
    with _client(env, redis_prefix, "usuki") as b:  # the same user name at another tenant
        assert login(b, "caseworker").status_code == 302


@pytest.mark.redis
def test_an_sso_login_started_on_one_app_completes_on_another_once(
    env: Env,
    redis_prefix: str,
    oidc_issuer: str,  # noqa: F811
) -> None:
    async def configure(s: Any) -> None:
        await do_configure_sso(
            s,
            issuer=oidc_issuer,
            client_id="kasane-usuki",
            client_secret="s3cret",
            allowed_email_domain="city.usuki.example.jp",
        )

    _in_tenant(env, "usuki", configure)
    set_user(oidc_issuer, "two-apps", email="two@city.usuki.example.jp", email_verified=True)
    with _client(env, redis_prefix, "usuki") as a:
        r = a.get("/sso/login?next=/cases", follow_redirects=False)
        back = authorize_as(r.headers["location"], "two-apps")
    state = parse_qs(urlsplit(back).query)["state"][0]
    with _client(env, redis_prefix, "marugame") as other_tenant:  # refused, and not used up
        other_tenant.cookies.set("kasane_sso_state", state)
        assert other_tenant.get(back, follow_redirects=False).status_code == 401
    with _client(env, redis_prefix, "usuki") as b:
        b.cookies.set("kasane_sso_state", state)
        r = b.get(back, follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"] == "/cases"
        assert b.get("/", follow_redirects=False).status_code == 200
    with _client(env, redis_prefix, "usuki") as again:  # replayed on the first instance
        again.cookies.set("kasane_sso_state", state)
        assert again.get(back, follow_redirects=False).status_code == 401
        assert again.get("/", follow_redirects=False).status_code == 302


@pytest.mark.redis
def test_a_totp_step_started_on_one_app_finishes_on_another(env: Env, redis_prefix: str) -> None:
    secret = pyotp.random_base32()

    async def enrol(s: Any) -> None:
        query = select(StaffAccount).where(StaffAccount.username == "supervisor")
        await do_enrol_totp(s, (await s.execute(query)).scalar_one(), secret)

    _in_tenant(env, "marugame", enrol)
    with _client(env, redis_prefix, "marugame") as a:
        r = login(a, "supervisor")
        assert r.status_code == 200 and 'name="code"' in r.text
        step = r.text.split('name="step" value="', 1)[1].split('"', 1)[0]

    def submit(client: TestClient) -> Any:
        page = client.get("/login")
        return client.post(
            "/login/totp",
            data={
                "step": step,
                "code": pyotp.TOTP(secret).now(),
                "_csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )

    with _client(env, redis_prefix, "usuki") as other_tenant:  # the step is marugame's
        r = submit(other_tenant)
        assert r.status_code == 302 and r.headers["location"] == "/login"
    with _client(env, redis_prefix, "marugame") as b:
        r = submit(b)
        assert r.status_code == 302 and r.headers["location"] == "/"
        assert b.get("/", follow_redirects=False).status_code == 200
    with _client(env, redis_prefix, "marugame") as again:  # the step is finished everywhere
        r = submit(again)
        assert r.status_code == 302 and r.headers["location"] == "/login"
