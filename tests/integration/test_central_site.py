"""The central site on its own host: its own accounts and roles, prefecture scope, the CSV
of exactly what is shown, and the wall between it and the tenants' hosts."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kasane.app import create_app
from kasane.central.accounts import do_create_account
from kasane.central.audit import verify_central_chain
from kasane.central.models import CentralAccount, CentralEvent
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.people.models import Person
from kasane.settings import Settings
from kasane.tenants.demo_central import demo_periods
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.oidc_fixtures import authorize_as, oidc_issuer, set_user  # noqa: F401  (fixture)

ROW = re.compile(r'<tr class="[^"]*">(.*?)</tr>', re.S)
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
TAG = re.compile(r"<[^>]+>")
# The fiscal year the demo released (last fiscal year, from the day it was seeded: today),
# as the demo itself chooses it, so that these tests follow the calendar.
DEMO_FY = next(p for p, _pilots in demo_periods(today_jst()) if p.kind == "fy")
RELEASE = f"release={DEMO_FY.slug()}"


def central_client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url=f"http://central.{settings.base_domain}")


@pytest.fixture
def central(sqlite_env: Env) -> Iterator[Any]:
    """``central(username)``: a client of the central host, logged in (demo password)."""
    opened: list[TestClient] = []

    def make(username: str | None = None, settings: Settings | None = None) -> TestClient:
        client = central_client(settings or sqlite_env.settings)
        client.__enter__()
        opened.append(client)
        if username:
            assert login(client, username).status_code == 302
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def table_of(page: str) -> list[list[str]]:
    """The comparison table's body rows as the cells' text."""
    body = page.split('id="compare-table"', 1)[1].split("</table>", 1)[0]
    return [
        [html.unescape(TAG.sub("", c)).strip() for c in CELL.findall(row)]
        for row in ROW.findall(body.split("<tbody>", 1)[1])
    ]


def csv_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def central_run(env: Env, fn: Any) -> Any:
    async def go(db: Database) -> Any:
        central_db = Database(env.settings.central_url)
        try:
            async with central_db.session() as s:
                return await fn(s)
        finally:
            await central_db.dispose()

    return env.run(go)


# ------------------------------------------------------------------ roles and scope


def test_a_prefecture_analyst_sees_only_its_prefectures_towns(central: Any) -> None:
    # given 香川県's analyst
    kagawa = central("kagawa")
    # when it compares last fiscal year's new consultations, even asking for 大分県
    for query in (RELEASE, f"{RELEASE}&prefecture=44"):
        page = kagawa.get(f"/compare?{query}&measure=consultations.new")
        assert page.status_code == 200
        assert "この期間の公表はありません" not in page.text  # the demo's release, no fallback
        rows = table_of(page.text)
        # then every row is a town of 香川県, 丸亀市 (a tenant) among them, none of 大分県
        assert rows and {r[1] for r in rows} == {"香川県"}
        assert "丸亀市" in {r[0] for r in rows}
        assert "臼杵市" not in page.text and "大分県" not in page.text
    # and its budget page lists only 香川県's towns
    budget = kagawa.get(f"/budget?fy={DEMO_FY.fiscal_year_number}")
    assert budget.status_code == 200 and "丸亀市" in budget.text and "臼杵市" not in budget.text


def test_the_operator_analyst_sees_every_town_and_filters_by_prefecture(central: Any) -> None:
    analyst = central("analyst")
    every = table_of(analyst.get(f"/compare?{RELEASE}").text)
    assert {"香川県", "大分県", "北海道"} <= {r[1] for r in every}
    assert {"臼杵市", "丸亀市"} <= {r[0] for r in every}
    oita = table_of(analyst.get(f"/compare?{RELEASE}&prefecture=44").text)
    assert {r[1] for r in oita} == {"大分県"} and "臼杵市" in {r[0] for r in oita}
    # a peer group by population: 25,000 to 99,999 people only
    band = table_of(analyst.get(f"/compare?{RELEASE}&band=25k-100k").text)
    assert band and all(r[3] == "2万5千〜10万人未満" for r in band)
    assert all(25_000 <= int(r[2].replace(",", "")) < 100_000 for r in band)


def test_a_rate_per_100000_is_the_released_value_over_the_stated_population(
    central: Any,
) -> None:
    # when the operator analyst compares new consultations per 100,000 people
    rows = table_of(central("analyst").get(f"/compare?{RELEASE}&measure=consultations.new").text)
    shown = [r for r in rows if r[4] != "10未満" and r[2] != "—"]  # a value and a population
    assert len(shown) >= 5
    for town, _pref, population, _band, value, rate, *_rest in shown:
        # then each rate is the released count × 100,000 ÷ the population, to one decimal
        people, count = int(population.replace(",", "")), int(value.replace(",", ""))
        assert rate == f"{round(count * 100_000 / people, 1):,.1f}", town
    # and the rows are ordered by that rate, the highest first
    rates = [float(r[5].replace(",", "")) for r in shown]
    assert rates == sorted(rates, reverse=True)


def test_the_csv_is_exactly_the_table_shown(central: Any) -> None:
    kagawa = central("kagawa")
    query = f"{RELEASE}&measure=consultations.new&breakdown=1&metric=value"
    page = kagawa.get(f"/compare?{query}")
    download = kagawa.get(f"/compare.csv?{query}")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    header, *rows = csv_of(download.content)
    # the same rows in the same order, cell for cell (「10未満」 and the synthetic marks too)
    assert rows == table_of(page.text)
    assert header[:2] == ["市町村", "都道府県"] and "公表日" in header
    assert {"高齢", "子ども"} <= set(header)  # the breakdown by field
    assert any("合成" in r[-1] for r in rows)  # synthetic towns say so


def test_the_guest_reads_comparisons_but_downloads_nothing_and_sees_no_budget(
    central: Any,
) -> None:
    guest = central("guest")
    assert guest.get("/compare").status_code == 200
    assert guest.get("/compare.csv").status_code == 403
    assert guest.get("/budget").status_code == 403
    assert "/budget" not in guest.get("/").text


def test_every_figure_states_its_epsilon_and_release_date(central: Any) -> None:
    page = central("analyst").get(f"/compare?{RELEASE}&measure=community.places").text
    rows = table_of(page)
    # the release date by the date policy: 和暦, the day in Japan
    wareki_day = r"(令和|平成)(元|\d+)年\d{1,2}月\d{1,2}日"
    assert rows and all(r[-3] == "1.0" and re.fullmatch(wareki_day, r[-2]) for r in rows)
    assert "ノイズ" in page and "10未満" in page  # the plain note on what the noise means


# ------------------------------------------------------------------ the wall between hosts


def test_no_central_route_answers_on_a_tenant_host_and_sessions_do_not_cross(
    sqlite_env: Env, central: Any
) -> None:
    analyst = central("analyst")
    with tenant_client(sqlite_env, "usuki") as usuki:
        assert login(usuki, "admin").status_code == 302
        for path in ("/compare", "/compare.csv", "/budget"):
            assert usuki.get(path).status_code == 404
        # a tenant's session cookie is no central session, and a central one no tenant's
        stranger = central()
        stranger.cookies.set("kasane_session", usuki.cookies["kasane_session"])
        stranger.cookies.set("kasane_central_session", "forged")
        assert stranger.get("/compare", follow_redirects=False).status_code == 302
        usuki.cookies.set("kasane_session", analyst.cookies["kasane_central_session"])
        assert usuki.get("/", follow_redirects=False).status_code == 302
    # and a central account does not sign in on a tenant's host
    with tenant_client(sqlite_env, "usuki") as usuki:
        assert login(usuki, "analyst").status_code == 401


def test_no_persons_name_appears_on_any_central_page(sqlite_env: Env, central: Any) -> None:
    # given the names of every person in both demo tenants
    ids = [sqlite_env.tenant_id(slug) for slug in ("usuki", "marugame")]

    async def names(db: Database) -> set[str]:
        found: set[str] = set()
        for tenant_id in ids:
            async with db.session(tenant_id) as s:
                found |= set((await s.execute(select(Person.name))).scalars())
        return found

    people = sqlite_env.run(names)
    assert len(people) > 20
    # when the operator analyst reads every page the central site links to
    analyst = central("analyst")
    seen, queue, pages = set(), ["/"], []
    while queue:
        path = queue.pop()
        if path in seen or len(seen) > 80:
            continue
        seen.add(path)
        r = analyst.get(path)
        pages.append(
            r.text
            if "text/html" in r.headers.get("content-type", "")
            else r.content.decode("utf-8-sig")
        )
        for href in re.findall(r'href="(/[^"#]*)"', r.text):
            href = html.unescape(href)
            if not href.startswith(("/static", "/lang", "/sso")):
                queue.append(href)
    assert len(pages) > 5
    # then no person's name is anywhere in them (a family name alone may be a town's: 臼杵)
    text = "\n".join(pages)
    assert not [n for n in people if n in text]


# ------------------------------------------------------------------ signing in


def _add_account(env: Env, username: str, secret: str | None, **kw: Any) -> None:
    async def go(s: Any) -> None:
        await do_create_account(
            s,
            username=username,
            display_name="試験 分析",
            role=kw.pop("role", "operator_analyst"),
            password="central-test-password",
            master_key=env.settings.master_key,
            totp_secret=secret,
            **kw,
        )

    central_run(env, go)


def test_password_then_a_one_time_code_and_a_code_is_good_once(
    sqlite_env: Env, central: Any
) -> None:
    # given a central account with TOTP, made as the operator's command makes it
    username, secret = f"totp-{uuid.uuid4().hex[:6]}", pyotp.random_base32()
    _add_account(sqlite_env, username, secret)
    client = central()

    def password_step() -> str:
        r = login(client, username, "central-test-password")
        assert r.status_code == 200 and 'name="code"' in r.text
        return re.search(r'name="step" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]

    def code_step(step: str, code: str) -> Any:
        token = csrf_of(client.get("/login").text)
        return client.post(
            "/login/totp",
            data={"step": step, "code": code, "_csrf_token": token},
            follow_redirects=False,
        )

    # when the password is right, a wrong code is refused (and nobody is logged in)
    step = password_step()
    assert code_step(step, "000000").status_code == 401
    assert client.get("/compare", follow_redirects=False).status_code == 302
    # and the right code signs in
    code = pyotp.TOTP(secret).now()
    assert code_step(step, code).status_code == 302
    assert client.get("/compare").status_code == 200
    # then the same code cannot sign in a second time
    client.cookies.clear()
    assert code_step(password_step(), code).status_code == 401

    # and every step is in the central audit log, whose chain holds
    async def events(s: Any) -> list[str]:
        return list((await s.execute(select(CentralEvent.action))).scalars())

    actions = central_run(sqlite_env, events)
    assert {"central.login", "central.login_failed", "central.account_create"} <= set(actions)
    assert central_run(sqlite_env, verify_central_chain) is None


def test_outside_the_demo_an_account_without_a_code_does_not_sign_in(
    sqlite_env: Env, central: Any
) -> None:
    client = central(settings=dataclasses.replace(sqlite_env.settings, demo=False))
    r = login(client, "analyst")
    assert r.status_code == 401 and "ワンタイムコード" in r.text
    assert client.get("/compare", follow_redirects=False).status_code == 302


def test_outside_the_demo_the_central_site_never_reads_through_the_apps_role(
    sqlite_env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    from kasane.central.app import CentralDatabaseMissing, create_central_app, database_refusal

    # given PostgreSQL outside the demo, and no KASANE_CENTRAL_DATABASE_URL
    settings = dataclasses.replace(
        sqlite_env.settings,
        database_url="postgresql+asyncpg://kasane_app:pw@127.0.0.1:9/kasane",
        central_database_url="",
        demo=False,
    )
    base_url = f"http://central.{settings.base_domain}"
    app = create_central_app(settings)
    # then the central site on its own (`kasane central serve`) does not start, saying why
    with pytest.raises(BaseExceptionGroup) as refused:  # the lifespan's task group
        with TestClient(app, base_url=base_url):
            pass
    assert refused.group_contains(CentralDatabaseMissing, match="KASANE_CENTRAL_DATABASE_URL")
    # and inside the app (`kasane serve`) every central page answers 503, the reason logged
    with caplog.at_level(logging.ERROR, logger="kasane.central"):
        assert TestClient(app, base_url=base_url).get("/login").status_code == 503
    assert "KASANE_CENTRAL_DATABASE_URL is not set" in caplog.text
    # while the demo, SQLite and a central role's URL serve as before (/login reads nothing)
    demo = create_central_app(dataclasses.replace(settings, demo=True))
    assert TestClient(demo, base_url=base_url).get("/login").status_code == 200
    central_url = "postgresql+asyncpg://kasane_central:pw@127.0.0.1:9/kasane"
    for fine in (
        dataclasses.replace(settings, demo=True),
        dataclasses.replace(settings, central_database_url=central_url),
        sqlite_env.settings,
    ):
        assert database_refusal(fine) is None


# the mock provider runs in this process: authlib's own deprecation warnings are not ours
@pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")
def test_a_central_admin_signs_in_with_the_central_openid_provider(
    sqlite_env: Env,
    central: Any,
    oidc_issuer: str,  # noqa: F811
) -> None:
    # given the central site's own provider, and an account the operator gave an e-mail
    settings = dataclasses.replace(
        sqlite_env.settings,
        central_oidc_issuer=oidc_issuer,
        central_oidc_client_id="kasane-central",
        central_oidc_client_secret="central-client-secret",
    )
    email = f"pref-{uuid.uuid4().hex[:6]}@pref.example.jp"
    _add_account(sqlite_env, f"oidc-{uuid.uuid4().hex[:6]}", None, email=email)
    client = central(settings=settings)

    def sign_in(sub: str, mail: str) -> Any:
        r = client.get("/sso/login?next=/compare", follow_redirects=False)
        assert r.status_code in (302, 303) and r.headers["location"].startswith(oidc_issuer)
        set_user(oidc_issuer, sub, email=mail, email_verified=True, name="Test")
        return client.get(authorize_as(r.headers["location"], sub), follow_redirects=False)

    # when someone without a central account signs in, they are refused
    assert sign_in("nobody", "nobody@elsewhere.example.jp").status_code == 401
    # and the account's owner signs in (by e-mail the first time, by sub from then on)
    r = sign_in("central-sub-1", email)
    assert r.status_code == 302 and r.headers["location"] == "/compare"
    assert client.get("/compare").status_code == 200

    async def subject(s: Any) -> str | None:
        row = (
            await s.execute(select(CentralAccount).where(CentralAccount.email == email))
        ).scalar_one()
        return row.oidc_subject

    assert central_run(sqlite_env, subject) == "central-sub-1"


def test_every_central_route_needs_a_central_permission_or_is_a_sign_in_page(
    sqlite_env: Env,
) -> None:
    from kasane.central.accounts import PERMISSIONS
    from kasane.central.app import create_central_app
    from kasane.central.web import requires_central_login

    # given every route of the central site
    guarded, open_paths = [], set()
    for route in create_central_app(sqlite_env.settings).routes:
        for handler in getattr(route, "route_handlers", []):
            if set(handler.http_methods) == {"OPTIONS"}:  # Litestar's own answer to OPTIONS
                continue
            provider = handler.resolve_dependencies().get("central_actor")
            if provider is not None and provider.dependency is requires_central_login:
                guarded.append((route.path, (handler.opt or {}).get("permission")))
            else:
                open_paths.add(route.path)
    # then each signed-in one names a permission of the central catalogue
    assert len(guarded) >= 5 and all(p in PERMISSIONS for _path, p in guarded), guarded
    # and the rest are only signing in, the language, health and static files
    assert {p for p in open_paths if not p.startswith("/static")} == {
        "/login",
        "/login/totp",
        "/sso/login",
        "/sso/callback",
        "/lang/{code:str}",
        "/healthz",
    }
