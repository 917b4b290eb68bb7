"""No foreign material in a new town: the demo's listing, login hint and other towns' themes
belong to the demo towns only; an address that serves no town says where the towns are.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.signup import SignupForm, do_signup
from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client

CODE = next(c for c, m in sorted(all_municipalities().items()) if m.name == "琴平町")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    env = _make_sqlite_env(tmp_path_factory.mktemp("foreign"))
    form = SignupForm(CODE, "8500", "琴平 一郎", "admin@kotohira.example", "kotohira", "small")
    env.run(lambda db: do_signup(db, form))
    return env


@pytest.fixture
def kotohira(env: Env) -> Iterator[TestClient]:
    with tenant_client(env, "kotohira") as c:
        yield c


def test_the_landing_page_lists_only_the_demo_towns(env: Env) -> None:
    with tenant_client(env, None) as c:
        page = c.get("/").text
    assert "臼杵市" in page and "丸亀市" in page
    assert "琴平町" not in page and "kotohira" not in page


def test_a_new_towns_login_page_names_no_demo_password(env: Env, kotohira: TestClient) -> None:
    page = kotohira.get("/login").text
    assert "kasane-demo" not in page and "demo-note" not in page
    with tenant_client(env, "usuki") as usuki:
        assert "kasane-demo" in usuki.get("/login").text


def test_a_new_town_is_offered_no_other_towns_theme(env: Env) -> None:
    """The new town's admin, made directly (the invitation walk is tested elsewhere)."""
    from kasane.core.auth.passwords import hash_password
    from kasane.core.auth.services import do_add_account, new_account
    from kasane.core.db import Database, utcnow

    tenant_id = env.tenant_id("kotohira")

    async def make(db: Database) -> None:
        async with db.session(tenant_id) as s:
            account = new_account(
                username="admin",
                display_name="琴平 一郎",
                password_hash=hash_password("kasane-demo"),
                role="tenant_admin",
                agency_key=None,
                email="admin@kotohira.example",
                created_at=utcnow(),
            )
            await do_add_account(s, account, via="test")

    env.run(make)
    with tenant_client(env, "kotohira") as c:
        assert login(c, "admin").status_code in (302, 303)
        page = c.get("/admin/look").text
        assert 'value="default"' in page and 'value="usuki"' not in page
        refused = c.post(
            "/admin/look",
            data={"_csrf_token": csrf_of(page), "theme": "usuki", "action": "save"},
        )
        assert refused.status_code == 422
        # nothing on its pages names another town or the demo
        for path in ("/", "/admin/setup", "/admin/town/counters", "/admin/look", "/intake"):
            body = c.get(path).text
            for foreign in ("臼杵", "丸亀", "usuki", "marugame", "kasane-demo"):
                assert foreign not in body, (path, foreign)
    with tenant_client(env, "marugame") as c:
        login(c, "admin")
        assert 'value="usuki"' in c.get("/admin/look").text  # the demo towns as before


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "nowhere.kasane.test:8000", "localhost:8000"])
def test_an_address_that_serves_no_town_says_where_the_towns_are(env: Env, host: str) -> None:
    with tenant_client(env, None) as c:
        r = c.get("/", headers={"host": host})
    assert r.status_code == 404
    assert 'href="http://kasane.test:8000/"' in r.text
    assert 'href="http://usuki.kasane.test:8000/"' in r.text  # demo mode lists the demo towns
    assert "kotohira" not in r.text
