"""Host → tenant, login, the staff home, fragments and languages — as a browser sees it."""

from __future__ import annotations

import re

from kasane.core.auth.ratelimit import MAX_FAILURES
from tests.conftest import Env, csrf_of, login, tenant_client


def test_the_operator_host_shows_the_landing_page(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, None) as c:
        r = c.get("/")
    assert r.status_code == 200
    assert "臼杵市" in r.text and "丸亀市" in r.text


def test_an_unknown_tenant_host_gets_the_404_page(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "nowhere") as c:
        r = c.get("/")
    # not a bare "page not found": where the operator site and the towns are (issue 20)
    assert r.status_code == 404 and 'id="unknown-host"' in r.text
    assert 'href="http://kasane.test/"' in r.text


def test_a_foreign_domain_gets_the_404_page(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        r = c.get("/", headers={"host": "usuki.example.org"})
    assert r.status_code == 404


def test_staff_pages_need_a_login(usuki) -> None:  # type: ignore[no-untyped-def]
    r = usuki.get("/", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("/login")
    # htmx requests are told where to go instead of receiving a login page as a fragment
    r = usuki.get("/staff", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers.get("hx-redirect", "").startswith("/login")


def test_the_login_page_names_the_demo_accounts_in_demo_mode(usuki) -> None:  # type: ignore[no-untyped-def]
    r = usuki.get("/login")
    assert r.status_code == 200 and 'lang="ja"' in r.text
    assert "臼杵市 にログイン" in r.text and "kasane-demo" in r.text


def test_each_tenant_home_shows_its_own_counters_meetings_and_menus(usuki, marugame) -> None:  # type: ignore[no-untyped-def]
    assert login(usuki, "caseworker").status_code == 302
    assert login(marugame, "caseworker").status_code == 302
    u, m = usuki.get("/").text, marugame.get("/").text
    u, m = usuki.get("/town").text, marugame.get("/town").text
    assert "重層的支援会議" in u and "まるごと会議" not in u
    assert all(name in m for name in ("まるごと会議", "支援検討会議", "体制検討会議"))
    assert "臼杵市地域包括支援センター" in u and "臼杵市地域包括支援センター" not in m
    assert "石仏のまち うすき" in u and "石仏のまち うすき" not in m  # the usuki theme


def test_a_wrong_password_is_refused_in_japanese_keeping_the_user_name(usuki) -> None:  # type: ignore[no-untyped-def]
    r = login(usuki, "supervisor", "wrong-password")
    assert r.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません" in r.text
    assert 'value="supervisor"' in r.text


def test_an_empty_field_is_named(usuki) -> None:  # type: ignore[no-untyped-def]
    r = login(usuki, "", "")
    assert r.status_code == 422
    assert "ユーザー名を入力してください" in r.text and "パスワードを入力してください" in r.text


def test_a_usuki_session_is_useless_on_marugame(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as u, tenant_client(sqlite_env, "marugame") as m:
        assert login(u, "admin").status_code == 302
        token = u.cookies.get("kasane_session")
        assert token and u.get("/").status_code == 200
        m.cookies.set("kasane_session", token)
        r = m.get("/", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("/login")


def test_posting_without_the_csrf_token_is_refused(usuki) -> None:  # type: ignore[no-untyped-def]
    usuki.get("/login")
    r = usuki.post("/login", data={"username": "admin", "password": "kasane-demo"})
    assert r.status_code == 403


def test_htmx_gets_the_fragment_and_a_normal_request_the_full_page(usuki) -> None:  # type: ignore[no-untyped-def]
    login(usuki, "admin")
    full = usuki.get("/staff")
    fragment = usuki.get("/staff", headers={"HX-Request": "true"})
    assert full.text.startswith("<!doctype html>") and "<header" in full.text
    assert fragment.text.lstrip().startswith('<section id="staff-list">')
    assert fragment.text.strip() in full.text


def test_english_is_available(usuki) -> None:  # type: ignore[no-untyped-def]
    login(usuki, "admin")
    usuki.get("/lang/en")
    assert "My work" in usuki.get("/").text
    r = usuki.get("/town")
    assert 'lang="en"' in r.text and "臼杵市" in r.text
    assert "Monthly, week 2 Tuesday 14:00" in r.text


def test_logout_ends_the_session(usuki) -> None:  # type: ignore[no-untyped-def]
    login(usuki, "admin")
    home = usuki.get("/")
    r = usuki.post("/logout", data={"_csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["clear-site-data"] == '"cache", "storage"'  # nothing left in the browser
    assert usuki.get("/", follow_redirects=False).status_code == 302


def test_repeated_failures_are_rate_limited(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "marugame") as c:
        for _ in range(MAX_FAILURES):
            login(c, "supervisor", "nope")
        r = login(c, "supervisor", "kasane-demo")  # even the right password now waits
    assert r.status_code == 401 and "このデバイスからのログインの失敗が多すぎます" in r.text


def test_a_suspended_tenant_shows_the_notice(sqlite_env: Env) -> None:
    from kasane.tenants.services import do_create_tenant, do_set_status

    async def make(db):  # type: ignore[no-untyped-def]
        t = await do_create_tenant(
            db,
            slug="ayagawa",
            name="綾川町",
            municipality_code="373877",
            prefecture="香川県",
            plugin="marugame",
            status="active",
        )
        await do_set_status(db, t.id, "suspended", "test")

    sqlite_env.run(make)
    with tenant_client(sqlite_env, "ayagawa") as c:
        page = c.get("/login")
        write = c.post("/intake", data={"_csrf_token": csrf_of(page.text)})
    # read-only: pages still open with a banner, and a write gets the notice page
    assert page.status_code == 200 and 'class="readonly-banner"' in page.text
    assert write.status_code == 423 and "サービス停止中" in write.text


def test_static_htmx_is_served_from_our_own_files(usuki) -> None:  # type: ignore[no-untyped-def]
    page = usuki.get("/login").text
    src = re.search(r'<script src="([^"]+htmx[^"]*)"', page)
    assert src and src.group(1).startswith("/static/")
    js = usuki.get(src.group(1))
    assert js.status_code == 200 and 'version:"2.0' in js.text.replace(" ", "")
