"""Staff sign-in through a provider that behaves like the ones towns run (issue 21).

The provider is :mod:`tests.town_provider`, independent of ``oidc-provider-mock``: its issuer
ends in ``/``, it signs RS512, it never sends ``email_verified``, rotates keys at once,
checks the client's authentication (secret or ``private_key_jwt``) and offers logout. Each
sign-in is driven for real: Kasane's /sso/login → the provider's login form, posted by a
"browser" that keeps the provider's cookie → Kasane's /sso/callback.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from kasane.core.audit.models import AuditEvent
from kasane.core.auth import oidc_discovery
from kasane.core.auth.invitations import do_invite_staff
from kasane.core.auth.models import StaffAccount, TenantSSO
from kasane.core.auth.sso import do_configure_sso
from kasane.core.db import Database
from tests.conftest import TEST_DOMAIN, Env, _make_sqlite_env, csrf_of, login, tenant_client
from tests.oidc_fixtures import oidc_issuer  # noqa: F401  (fixture)
from tests.town_provider import TownProvider, running_provider

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")

SECRET = "town-client-secret"


def callback(slug: str) -> str:
    return f"http://{slug}.{TEST_DOMAIN}/sso/callback"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("sso-providers"))


@pytest.fixture(scope="module")
def op() -> Iterator[TownProvider]:
    with running_provider() as provider:
        for slug in ("usuki", "marugame"):
            provider.register(
                f"kasane-{slug}",
                redirect_uris=[callback(slug)],
                post_logout_redirect_uris=[f"http://{slug}.{TEST_DOMAIN}/login"],
                auth_method="client_secret_post",
                secret=SECRET,
            )
        yield provider


def configure(env: Env, slug: str, op: TownProvider, **kw: Any) -> None:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> None:
        async with db.session(tid) as s:
            await do_configure_sso(
                s,
                issuer=op.issuer,
                client_id=f"kasane-{slug}",
                client_secret=SECRET,
                token_auth_method=kw.pop("token_auth_method", "client_secret_post"),
                **kw,
            )

    env.run(go)


@pytest.fixture(autouse=True)
def usuki_on_the_town_provider(env: Env, op: TownProvider) -> None:
    configure(env, "usuki", op)
    op.clients["kasane-usuki"].auth_method = "client_secret_post"
    op.sign_with_unpublished_key = False


def invite(
    env: Env, slug: str, email: str, role: str = "caseworker", agency: str | None = None
) -> str:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> str:
        async with db.session(tid) as s:
            _inv, token = await do_invite_staff(s, email=email, role=role, agency_key=agency)
            return token

    return env.run(go)


def account_of(env: Env, slug: str, sub: str) -> StaffAccount | None:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> StaffAccount | None:
        async with db.session(tid) as s:
            return (
                await s.execute(select(StaffAccount).where(StaffAccount.oidc_subject == sub))
            ).scalar_one_or_none()

    return env.run(go)


def audit_actions(env: Env, slug: str) -> list[tuple[str, str]]:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> list[tuple[str, str]]:
        async with db.session(tid) as s:
            rows = await s.execute(select(AuditEvent.action, AuditEvent.target))
            return [(a, t) for a, t in rows]

    return env.run(go)


def sign_in(
    kasane: Any,
    browser: httpx.Client,
    start: str = "/sso/login",
    user: str | None = None,
    password: str = "town-password",
) -> tuple[Any, bool]:
    """Start at Kasane, pass the provider (its form when it asks), come back.
    Returns (Kasane's callback response, whether the provider asked for the password)."""
    r = kasane.get(start, follow_redirects=False)
    while r.status_code in (302, 303) and r.headers["location"].startswith("/"):
        r = kasane.get(r.headers["location"], follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    authorize = r.headers["location"]
    at_op = browser.get(authorize)
    asked = at_op.status_code == 200
    if asked:
        assert 'id="op-login"' in at_op.text
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
        at_op = browser.post(authorize, data={**query, "username": user, "password": password})
    assert at_op.status_code == 302, at_op.text
    back = urlsplit(at_op.headers["location"])
    return kasane.get(f"{back.path}?{back.query}", follow_redirects=False), asked


def _age_key_cache(issuer: str, seconds: float) -> None:
    """As if ``seconds`` had passed since the provider's keys were last fetched."""
    oidc_discovery._discovery[issuer].keys_at -= seconds


# ------------------------------------------------------------------ invitation binds the identity


def test_an_invitation_link_binds_the_identity_without_email_verified(
    env: Env, op: TownProvider
) -> None:
    # given a provider that sends the e-mail only at userinfo and never email_verified
    op.add_user(
        "entra-0001", email="sato@town.example.jp", name="佐藤 一郎", email_in_id_token=False
    )
    token = invite(env, "usuki", "Sato.Ichiro@usuki.example.jp", agency="hokatsu")
    browser = httpx.Client()
    # when the invitee follows the link and signs in at the provider
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in(kasane, browser, f"/invitation?token={token}", user="entra-0001")
        # then they are in, as the invited caseworker
        assert r.status_code in (302, 303), r.text
        assert asked
        assert kasane.get("/", follow_redirects=False).status_code == 200
    account = account_of(env, "usuki", "entra-0001")
    assert account is not None
    assert account.oidc_issuer == op.issuer and op.issuer.endswith("/")
    assert account.email == "sato.ichiro@usuki.example.jp"  # the invited address
    assert account.display_name == "佐藤 一郎"  # from userinfo
    assert [(m.role, m.agency_key) for m in account.memberships] == [("caseworker", "hokatsu")]
    assert ("userinfo", "entra-0001") in op.events
    # the next sign-in finds the same account (one click: the provider's session is alive)
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in(kasane, browser)
        assert r.status_code in (302, 303) and not asked
        assert kasane.get("/", follow_redirects=False).status_code == 200
    # the link was used up
    with tenant_client(env, "usuki") as kasane:
        assert kasane.get(f"/invitation?token={token}").status_code == 404


def test_the_same_identity_on_another_town_finds_nothing(env: Env, op: TownProvider) -> None:
    op.add_user("entra-0002", email="kimura@town.example.jp", name="木村")
    configure(env, "marugame", op)
    token = invite(env, "usuki", "kimura@usuki.example.jp")
    browser = httpx.Client()
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, browser, f"/invitation?token={token}", user="entra-0002")
        assert r.status_code in (302, 303)
    with tenant_client(env, "marugame") as kasane:
        r, _ = sign_in(kasane, browser)
        assert r.status_code == 401 and "招待" in r.text
        assert kasane.get("/", follow_redirects=False).status_code == 302
    assert account_of(env, "marugame", "entra-0002") is None


def test_a_used_invitation_link_does_not_start_a_sign_in(env: Env, op: TownProvider) -> None:
    op.add_user("entra-0003", email="used@town.example.jp", name="使用済")
    token = invite(env, "usuki", "used@usuki.example.jp")
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0003")
        assert r.status_code in (302, 303)
    with tenant_client(env, "usuki") as kasane:
        r = kasane.get(f"/sso/login?invitation={token}", follow_redirects=False)
        assert r.status_code == 401 and "この招待は使用済み" in r.text


# ------------------------------------------------------------------ self-service by e-mail


def test_an_unverified_email_joins_only_when_the_admin_trusts_the_provider(
    env: Env, op: TownProvider
) -> None:
    op.add_user("entra-0004", email="hayashi@usuki.example.jp", name="林")
    invite(env, "usuki", "hayashi@usuki.example.jp", role="viewer")
    # given a pending invitation by e-mail, signing in without the link: no email_verified
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), user="entra-0004")
        assert r.status_code == 401 and "招待" in r.text
    assert account_of(env, "usuki", "entra-0004") is None
    # when the admin trusts this provider's e-mail
    configure(env, "usuki", op, trust_email=True)
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), user="entra-0004")
        assert r.status_code in (302, 303), r.text
    account = account_of(env, "usuki", "entra-0004")
    assert account is not None and [m.role for m in account.memberships] == ["viewer"]


# ------------------------------------------------------------------ logout at the provider


def test_logging_out_ends_the_providers_session_too(env: Env, op: TownProvider) -> None:
    op.add_user("entra-0005", email="ogawa@town.example.jp", name="小川")
    token = invite(env, "usuki", "ogawa@usuki.example.jp")
    browser = httpx.Client()
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in(kasane, browser, f"/invitation?token={token}", user="entra-0005")
        assert r.status_code in (302, 303) and asked
        home = kasane.get("/")
        # when the caseworker logs out of Kasane
        r = kasane.post("/logout", data={"_csrf_token": csrf_of(home.text)}, follow_redirects=False)
        assert r.status_code == 302
        to_op = r.headers["location"]
        assert to_op.startswith(op.url("oauth2/logout?"))
        query = parse_qs(urlsplit(to_op).query)
        assert query["post_logout_redirect_uri"] == [f"http://usuki.{TEST_DOMAIN}/login"]
        assert query["id_token_hint"][0].count(".") == 2
        assert kasane.get("/", follow_redirects=False).status_code == 302  # Kasane: logged out
        back = browser.get(to_op)
        assert back.status_code == 302
        assert back.headers["location"] == f"http://usuki.{TEST_DOMAIN}/login"
    assert ("logout", "entra-0005") in op.events
    # then the next sign-in on this PC asks for the password at the provider again
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in(kasane, browser, user="entra-0005")
        assert asked and r.status_code in (302, 303)


def test_without_provider_logout_the_page_says_so_and_logout_ends_at_kasane(
    env: Env, op: TownProvider
) -> None:
    op.add_user("entra-0011", email="noda@town.example.jp", name="野田")
    token = invite(env, "usuki", "noda@usuki.example.jp")
    op.offers_logout = False
    try:
        configure(env, "usuki", op)  # saved again: the new discovery is read
        admin = admin_client(env)
        status = admin.get("/admin/sso").text.split('id="sso-logout-status"', 1)[1]
        assert "ログアウト機能を提供していません" in status.split("</p>", 1)[0]
        admin.__exit__(None, None, None)
        with tenant_client(env, "usuki") as kasane:
            r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0011")
            assert r.status_code in (302, 303)
            home = kasane.get("/")
            r = kasane.post(
                "/logout", data={"_csrf_token": csrf_of(home.text)}, follow_redirects=False
            )
            assert r.status_code == 302 and r.headers["location"] == "/login"
            assert kasane.get("/", follow_redirects=False).status_code == 302
    finally:
        op.offers_logout = True
        configure(env, "usuki", op)


def test_client_secret_basic_with_the_town_provider(env: Env, op: TownProvider) -> None:
    op.add_user("entra-0012", email="ito@town.example.jp", name="伊藤")
    token = invite(env, "usuki", "ito@usuki.example.jp")
    configure(env, "usuki", op, token_auth_method="client_secret_basic")
    op.clients["kasane-usuki"].auth_method = "client_secret_basic"
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0012")
        assert r.status_code in (302, 303), r.text
    assert ("client_auth", "kasane-usuki", "client_secret_basic") in op.events


def test_a_password_login_logs_out_to_the_login_page(env: Env) -> None:
    with tenant_client(env, "usuki") as kasane:
        assert login(kasane, "caseworker").status_code == 302
        home = kasane.get("/")
        r = kasane.post("/logout", data={"_csrf_token": csrf_of(home.text)}, follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"] == "/login"


# ------------------------------------------------------------------ keys


def test_a_key_rotation_at_the_provider_does_not_block_sign_in(env: Env, op: TownProvider) -> None:
    op.add_user("entra-0006", email="mori@town.example.jp", name="森")
    token = invite(env, "usuki", "mori@usuki.example.jp")
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0006")
        assert r.status_code in (302, 303)
    # when the provider rotates its key (the old one is gone at once) a minute later
    fetched = op.jwks_fetches
    new_kid = op.rotate_keys()
    _age_key_cache(op.issuer, 60)
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), user="entra-0006")
        # then the token naming the new key is accepted after one refetch of the keys
        assert r.status_code in (302, 303), r.text
    assert op.jwks_fetches == fetched + 1
    assert oidc_discovery._discovery[op.issuer].keys["keys"][0]["kid"] == new_kid


def test_unknown_keys_refetch_at_most_once_and_saving_the_settings_clears_the_cache(
    env: Env, op: TownProvider
) -> None:
    op.add_user("entra-0007", email="ueda@town.example.jp", name="上田")
    token = invite(env, "usuki", "ueda@usuki.example.jp")
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0007")
        assert r.status_code in (302, 303)
    # given tokens signed with a key the provider never published
    op.sign_with_unpublished_key = True
    _age_key_cache(op.issuer, 60)
    fetched = op.jwks_fetches
    for _ in range(3):
        with tenant_client(env, "usuki") as kasane:
            r, _ = sign_in(kasane, httpx.Client(), user="entra-0007")
            assert r.status_code == 401
    # then the keys were fetched again once, not once per token
    assert op.jwks_fetches == fetched + 1
    # and a real rotation right after is not noticed until the settings are saved again
    op.sign_with_unpublished_key = False
    op.rotate_keys()
    with tenant_client(env, "usuki") as kasane:
        assert sign_in(kasane, httpx.Client(), user="entra-0007")[0].status_code == 401
    # the admin saves the settings on another app process: this one's cache is as it was
    stale = oidc_discovery._discovery[op.issuer]
    configure(env, "usuki", op)
    oidc_discovery._discovery[op.issuer] = stale
    with tenant_client(env, "usuki") as kasane:
        assert sign_in(kasane, httpx.Client(), user="entra-0007")[0].status_code in (302, 303)


# ------------------------------------------------------------------ private_key_jwt


def test_private_key_jwt_with_the_towns_published_key(env: Env, op: TownProvider) -> None:
    configure(env, "usuki", op, token_auth_method="private_key_jwt")
    configure(env, "marugame", op, token_auth_method="private_key_jwt")
    with tenant_client(env, "usuki") as kasane:
        published = kasane.get("/sso/jwks.json")  # public: the provider fetches it
    assert published.status_code == 200
    assert published.headers["content-type"].startswith("application/jwk-set+json")
    [key] = published.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and "d" not in key and "p" not in key
    with tenant_client(env, "marugame") as other:
        marugames = other.get("/sso/jwks.json").json()
    assert marugames["keys"][0]["kid"] != key["kid"]
    op.add_user("entra-0008", email="kudo@town.example.jp", name="工藤")
    token = invite(env, "usuki", "kudo@usuki.example.jp")
    client = op.clients["kasane-usuki"]
    client.auth_method = "private_key_jwt"
    # given the provider holds marugame's key for usuki's client: usuki's assertion fails
    client.jwks = marugames
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0008")
        assert r.status_code == 401
    # when it holds usuki's published key, the sign-in passes, authenticated by the key
    client.jwks = published.json()
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0008")
        assert r.status_code in (302, 303), r.text
    assert ("client_auth", "kasane-usuki", "private_key_jwt") in op.events
    client.jwks = None


def test_the_admin_rotates_the_private_key_jwt_key_without_a_gap(
    env: Env, op: TownProvider
) -> None:
    configure(env, "usuki", op, token_auth_method="private_key_jwt")
    client = op.clients["kasane-usuki"]
    client.auth_method = "private_key_jwt"
    op.add_user("entra-0013", email="sano@town.example.jp", name="佐野")
    token = invite(env, "usuki", "sano@usuki.example.jp")
    admin = admin_client(env)
    try:
        old = admin.get("/sso/jwks.json").json()
        [old_kid] = [k["kid"] for k in old["keys"]]
        # when the admin makes a new key
        page = admin.get("/admin/sso")
        r = admin.post("/admin/sso/keys", data={"action": "new", "_csrf_token": csrf_of(page.text)})
        assert r.status_code == 200 and 'id="sso-key-done"' in r.text
        both = admin.get("/sso/jwks.json").json()
        kids = [k["kid"] for k in both["keys"]]
        assert len(kids) == 2 and kids[1] == old_kid
        # then the new key signs: a provider still holding only the old set refuses …
        client.jwks = old
        with tenant_client(env, "usuki") as kasane:
            r2, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0013")
            assert r2.status_code == 401
        # … and one that has read the new set (both keys) accepts
        client.jwks = both
        with tenant_client(env, "usuki") as kasane:
            r2, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0013")
            assert r2.status_code in (302, 303), r2.text
        # when the admin stops publishing the old key, only the new one is left
        r = admin.post("/admin/sso/keys", data={"action": "retire", "_csrf_token": csrf_of(r.text)})
        assert r.status_code == 200 and 'id="sso-key-retire"' not in r.text
        assert [k["kid"] for k in admin.get("/sso/jwks.json").json()["keys"]] == [kids[0]]
        actions = [a for a, _t in audit_actions(env, "usuki")]
        assert "sso.client_key_added" in actions and "sso.client_key_retired" in actions
    finally:
        client.jwks = None
        admin.__exit__(None, None, None)


def test_a_client_that_must_use_private_key_jwt_is_refused_with_a_secret(
    env: Env, op: TownProvider
) -> None:
    op.add_user("entra-0009", email="abe@town.example.jp", name="阿部")
    token = invite(env, "usuki", "abe@usuki.example.jp")
    op.clients["kasane-usuki"].auth_method = "private_key_jwt"
    with tenant_client(env, "usuki") as kasane:  # usuki still sends its secret
        r, _ = sign_in(kasane, httpx.Client(), f"/invitation?token={token}", user="entra-0009")
        assert r.status_code == 401
    assert account_of(env, "usuki", "entra-0009") is None


# ------------------------------------------------------------------ the admin page


def admin_client(env: Env, slug: str = "usuki") -> Any:
    client = tenant_client(env, slug)
    client.__enter__()
    assert login(client, "admin").status_code == 302
    return client


def sso_form(page: str, op: TownProvider, **over: str) -> dict[str, str]:
    return {
        "issuer": op.issuer,
        "client_id": "kasane-usuki",
        "client_secret": "",
        "token_auth_method": "client_secret_post",
        "enabled": "on",
        "_csrf_token": csrf_of(page),
        **over,
    }


def test_the_admin_tests_the_settings_before_saving_and_sees_the_urls(
    env: Env, op: TownProvider
) -> None:
    admin = admin_client(env)
    page = admin.get("/admin/sso")
    assert page.status_code == 200
    for url in ("/sso/callback", "/login", "/sso/jwks.json"):
        assert f"http://usuki.{TEST_DOMAIN}{url}" in page.text
    assert 'id="sso-logout-status"' in page.text and "ログアウト機能を提供しています" in page.text
    # the test button checks the provider and saves nothing
    without_slash = op.issuer.rstrip("/")
    r = admin.post(
        "/admin/sso",
        data=sso_form(page.text, op, issuer=without_slash, client_id="changed", action="test"),
    )
    assert r.status_code == 200
    assert "IdP の確認：問題ありません" in r.text and "まだ保存していません" in r.text
    assert "RS512" in r.text and "private_key_jwt" in r.text
    assert f'value="{op.issuer}"' in r.text  # the provider's spelling, with its slash
    assert stored(env).client_id == "kasane-usuki"
    # saving an issuer without the slash stores the provider's spelling
    r = admin.post("/admin/sso", data=sso_form(r.text, op, issuer=without_slash, action="save"))
    assert r.status_code == 200 and 'id="sso-saved"' in r.text
    assert stored(env).issuer == op.issuer
    admin.__exit__(None, None, None)


def stored(env: Env, slug: str = "usuki") -> TenantSSO:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> TenantSSO:
        async with db.session(tid) as s:
            return (await s.execute(select(TenantSSO))).scalar_one()

    return env.run(go)


@pytest.mark.parametrize(
    ("issuer", "field", "message"),
    [
        ("http://idp.example.jp/", "issuer", "https で接続する必要があります"),
        ("{base}/another-town/", "issuer", "ディスカバリー文書を"),
        ("not a url", "issuer", "発行者（Issuer）URLを入力してください"),
    ],
)
def test_settings_the_provider_refuses_are_not_saved(
    env: Env, op: TownProvider, issuer: str, field: str, message: str
) -> None:
    admin = admin_client(env)
    page = admin.get("/admin/sso")
    before = stored(env)
    r = admin.post(
        "/admin/sso",
        data=sso_form(page.text, op, issuer=issuer.format(base=op.base), action="save"),
    )
    assert r.status_code == 422
    assert f'id="{field}-error"' in r.text and message in r.text
    after = stored(env)
    assert (after.issuer, after.client_id, after.updated_at) == (
        before.issuer,
        before.client_id,
        before.updated_at,
    )
    admin.__exit__(None, None, None)


def test_a_provider_naming_another_issuer_is_refused_on_the_page(
    env: Env,
    op: TownProvider,
    oidc_issuer: str,  # noqa: F811  (the fixture)
) -> None:
    """An issuer the provider does not state as its own (a path below the mock's) is
    refused on the issuer field, and the saved settings stay."""
    admin = admin_client(env)
    page = admin.get("/admin/sso")
    r = admin.post(
        "/admin/sso",
        data=sso_form(page.text, op, issuer=f"{oidc_issuer}/tenant-x", action="save"),
    )
    assert r.status_code == 422 and 'id="issuer-error"' in r.text
    assert stored(env).issuer == op.issuer
    admin.__exit__(None, None, None)


def test_the_admin_links_and_unlinks_an_identity_by_hand(env: Env, op: TownProvider) -> None:
    op.add_user("entra-0010", email="supervisor@town.example.jp", name="監督")
    admin = admin_client(env)
    page = admin.get("/admin/sso")
    supervisor = next(a for a in accounts(env, "usuki") if a.username == "supervisor")
    # when the admin links the demo supervisor to the provider's identity
    r = admin.post(
        "/admin/sso/link",
        data={
            "account_id": str(supervisor.id),
            "subject": "entra-0010",
            "_csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 200 and 'id="sso-link-done"' in r.text
    assert 'data-linked="supervisor"' in r.text
    # then the supervisor signs in through the provider as themselves
    with tenant_client(env, "usuki") as kasane:
        r2, _ = sign_in(kasane, httpx.Client(), user="entra-0010")
        assert r2.status_code in (302, 303), r2.text
        assert kasane.get("/", follow_redirects=False).status_code == 200
    assert account_of(env, "usuki", "entra-0010").id == supervisor.id  # type: ignore[union-attr]
    # linking the same identity to someone else is refused, naming the field
    viewer = next(a for a in accounts(env, "usuki") if a.username == "viewer")
    r = admin.post(
        "/admin/sso/link",
        data={
            "account_id": str(viewer.id),
            "subject": "entra-0010",
            "_csrf_token": csrf_of(r.text),
        },
    )
    assert r.status_code == 422 and 'id="subject-error"' in r.text
    # another town's account is not found
    marugame_admin = next(a for a in accounts(env, "marugame") if a.username == "admin")
    r404 = admin.post(
        "/admin/sso/unlink",
        data={"account_id": str(marugame_admin.id), "_csrf_token": csrf_of(r.text)},
    )
    missing = admin.post(
        "/admin/sso/unlink",
        data={"account_id": str(uuid.uuid4()), "_csrf_token": csrf_of(r.text)},
    )
    assert r404.status_code == missing.status_code == 404 and r404.text == missing.text
    # when the admin unlinks it, the provider's sign-in stops working
    r = admin.post(
        "/admin/sso/unlink",
        data={"account_id": str(supervisor.id), "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 200 and 'data-linked="supervisor"' not in r.text
    with tenant_client(env, "usuki") as kasane:
        assert sign_in(kasane, httpx.Client(), user="entra-0010")[0].status_code == 401
    actions = audit_actions(env, "usuki")
    target = f"staff_account:{supervisor.id}"
    assert ("sso.identity_linked", target) in actions
    assert ("sso.identity_unlinked", target) in actions
    admin.__exit__(None, None, None)


def accounts(env: Env, slug: str) -> list[StaffAccount]:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> list[StaffAccount]:
        async with db.session(tid) as s:
            return list((await s.execute(select(StaffAccount))).scalars())

    return env.run(go)
