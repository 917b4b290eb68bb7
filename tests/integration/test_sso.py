"""Staff SSO against a local OpenID provider, and the local second factor (TOTP).

The SSO flow is driven for real: /sso/login → the mock's authorize form (PKCE + nonce) →
/sso/callback with the code → a session on this tenant only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select, text, update

from kasane.core.auth import oidc, oidc_discovery
from kasane.core.auth.invitations import do_invite_staff
from kasane.core.auth.models import StaffAccount, StaffInvitation, TenantSSO
from kasane.core.auth.services import list_accounts
from kasane.core.auth.sso import do_configure_sso, open_client_secret
from kasane.core.auth.totp import do_enrol_totp
from kasane.core.db import Database, utcnow
from tests.conftest import TEST_DOMAIN, Env, _make_sqlite_env, csrf_of, login, tenant_client
from tests.oidc_fixtures import authorize_as, oidc_issuer, set_user  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")

SECRET = "s3cret-client-value-for-usuki"
TEST_HOST_SPLIT = TEST_DOMAIN


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("sso"))


def configure(env: Env, slug: str, issuer: str, domain: str | None = None) -> None:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> None:
        async with db.session(tid) as s:
            await do_configure_sso(
                s,
                issuer=issuer,
                client_id=f"kasane-{slug}",
                client_secret=SECRET,
                allowed_email_domain=domain,
            )

    env.run(go)


def invite(env: Env, slug: str, email: str, role: str = "caseworker", **kw) -> str:  # type: ignore[no-untyped-def]
    tid = env.tenant_id(slug)

    async def go(db: Database) -> str:
        async with db.session(tid) as s:
            _inv, token = await do_invite_staff(s, email=email, role=role, **kw)
            return token

    return env.run(go)


def accounts(env: Env, slug: str) -> list[StaffAccount]:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> list[StaffAccount]:
        async with db.session(tid) as s:
            return await list_accounts(s)

    return env.run(go)


def sso_login(client, issuer: str, sub: str, email: str, verified: bool = True):  # type: ignore[no-untyped-def]
    r = client.get("/sso/login?next=/", follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    authorize = r.headers["location"]
    assert authorize.startswith(f"{issuer}/")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    set_user(issuer, sub, email=email, email_verified=verified, name="Test User")
    return client.get(authorize_as(authorize, sub), follow_redirects=False)


@pytest.fixture(scope="module")
def sso_env(env: Env, oidc_issuer: str) -> Iterator[Env]:  # noqa: F811
    configure(env, "usuki", oidc_issuer, domain="city.usuki.example.jp")
    configure(env, "marugame", oidc_issuer)
    yield env


def test_an_invited_user_signs_in_with_pkce_and_nonce(sso_env: Env, oidc_issuer: str) -> None:  # noqa: F811
    invite(sso_env, "usuki", "Hanako@Usuki.example.jp", role="supervisor")
    with tenant_client(sso_env, "usuki") as c:
        r = sso_login(c, oidc_issuer, "usuki-hanako", "hanako@usuki.example.jp")
        assert r.status_code in (302, 303), r.text
        assert r.headers["location"] == "/"
        assert c.get("/", follow_redirects=False).status_code == 200  # logged in
        # the same sub signs in again to the same account
        c.cookies.clear()
        assert (
            sso_login(c, oidc_issuer, "usuki-hanako", "hanako@usuki.example.jp").status_code == 302
        )
    made = [a for a in accounts(sso_env, "usuki") if a.oidc_subject == "usuki-hanako"]
    assert len(made) == 1 and made[0].email == "hanako@usuki.example.jp"
    assert [(m.role, m.agency_key) for m in made[0].memberships] == [("supervisor", None)]


def test_without_invitation_or_allowed_domain_sign_in_is_refused(
    sso_env: Env,
    oidc_issuer: str,  # noqa: F811
) -> None:
    with tenant_client(sso_env, "usuki") as c:
        r = sso_login(c, oidc_issuer, "stranger", "stranger@elsewhere.example.com")
        assert r.status_code == 401 and "招待" in r.text
        # an unverified e-mail does not count, even with the allowed domain
        r = sso_login(c, oidc_issuer, "unverified", "x@city.usuki.example.jp", verified=False)
        assert r.status_code == 401
    assert not [
        a for a in accounts(sso_env, "usuki") if a.oidc_subject in ("stranger", "unverified")
    ]


def test_a_verified_allowed_domain_joins_as_caseworker_without_agency(
    sso_env: Env,
    oidc_issuer: str,  # noqa: F811
) -> None:
    with tenant_client(sso_env, "usuki") as c:
        r = sso_login(c, oidc_issuer, "domain-user", "taro@city.usuki.example.jp")
        assert r.status_code == 302
    [a] = [a for a in accounts(sso_env, "usuki") if a.oidc_subject == "domain-user"]
    assert [(m.role, m.agency_key) for m in a.memberships] == [("caseworker", None)]


def test_another_tenants_sub_does_not_sign_in_here(sso_env: Env, oidc_issuer: str) -> None:  # noqa: F811
    invite(sso_env, "marugame", "jiro@marugame.example.jp")
    with tenant_client(sso_env, "marugame") as c:
        assert (
            sso_login(c, oidc_issuer, "marugame-jiro", "jiro@marugame.example.jp").status_code
            == 302
        )
    # the same sub (and e-mail) at usuki: no account, no invitation there → refused
    with tenant_client(sso_env, "usuki") as c:
        r = sso_login(c, oidc_issuer, "marugame-jiro", "jiro@marugame.example.jp")
        assert r.status_code == 401
        assert c.get("/", follow_redirects=False).status_code == 302  # still not logged in


def test_a_state_from_another_browser_or_tenant_is_refused(sso_env: Env, oidc_issuer: str) -> None:  # noqa: F811
    with tenant_client(sso_env, "usuki") as c:
        r = c.get("/sso/login", follow_redirects=False)
        back = authorize_as(r.headers["location"], "usuki-hanako")
    with tenant_client(sso_env, "usuki") as other:  # no state cookie
        assert other.get(back, follow_redirects=False).status_code == 401
    with tenant_client(sso_env, "marugame") as c:
        c.cookies.set("kasane_sso_state", parse_qs(urlsplit(back).query)["state"][0])
        assert c.get(back, follow_redirects=False).status_code == 401


def test_a_token_from_another_issuer_is_refused(sso_env: Env, oidc_issuer: str) -> None:  # noqa: F811
    """The pinned issuer is the IdP's; a provider reached as another issuer (here the same
    mock under 127.0.0.1) cannot sign in, even when its endpoints are used."""
    pinned = oidc_issuer
    other = oidc_issuer.replace("localhost", "127.0.0.1")
    invite(sso_env, "usuki", "mallory@usuki.example.jp")
    metadata, keys = sso_env.run(
        lambda _db: oidc.provider_metadata(other, allow_loopback_http=True)
    )
    now = oidc_discovery.time.monotonic()
    oidc_discovery._discovery[pinned] = oidc_discovery._Cached(
        now, metadata, keys, now, oidc_discovery.time.time()
    )
    try:
        with tenant_client(sso_env, "usuki") as c:
            r = sso_login(c, other, "mallory", "mallory@usuki.example.jp")
            assert r.status_code == 401
    finally:
        oidc.forget_provider_metadata()
    assert not [a for a in accounts(sso_env, "usuki") if a.oidc_subject == "mallory"]


def test_discovery_naming_another_issuer_is_refused(sso_env: Env, oidc_issuer: str) -> None:  # noqa: F811
    usuki_id = sso_env.tenant_id("usuki")
    other = oidc_issuer.replace("localhost", "127.0.0.1")
    oidc.forget_provider_metadata()

    async def go(db: Database) -> None:
        async with db.session(usuki_id) as s:
            row = (await s.execute(select(TenantSSO))).scalar_one()
            row.issuer = other + "/pinned-elsewhere"

    sso_env.run(go)
    try:
        with tenant_client(sso_env, "usuki") as c:
            assert c.get("/sso/login", follow_redirects=False).status_code == 401
    finally:
        configure(sso_env, "usuki", oidc_issuer, domain="city.usuki.example.jp")


def test_the_client_secret_is_stored_sealed(sso_env: Env) -> None:
    usuki_id = sso_env.tenant_id("usuki")

    async def go(db: Database) -> tuple[str, str]:
        async with db.session(usuki_id) as s:
            raw = (await s.execute(text("SELECT client_secret_sealed FROM tenant_sso"))).all()
            row = (await s.execute(select(TenantSSO))).scalar_one()
            return " ".join(r[0] for r in raw), await open_client_secret(s, row)

    stored, opened = sso_env.run(go)
    assert SECRET not in stored and stored.startswith("v1:")
    assert opened == SECRET


def test_an_expired_invitation_does_not_let_anyone_in(sso_env: Env, oidc_issuer: str) -> None:  # noqa: F811
    usuki_id = sso_env.tenant_id("usuki")
    invite(sso_env, "usuki", "late@usuki.example.jp")

    async def expire(db: Database) -> None:
        async with db.session(usuki_id) as s:
            await s.execute(
                update(StaffInvitation)
                .where(StaffInvitation.email == "late@usuki.example.jp")
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )

    sso_env.run(expire)
    with tenant_client(sso_env, "usuki") as c:
        assert sso_login(c, oidc_issuer, "late", "late@usuki.example.jp").status_code == 401


def test_the_login_page_offers_sso_when_configured(sso_env: Env) -> None:
    with tenant_client(sso_env, "usuki") as c:
        assert "/sso/login" in c.get("/login").text


def test_sso_login_without_a_configured_provider_says_so(env: Env) -> None:
    with tenant_client(env, "nonexistent-but-404") as c:
        assert c.get("/sso/login", follow_redirects=False).status_code == 404


# ------------------------------------------------------------------ local accounts: TOTP


def test_totp_wrong_code_is_refused_and_the_right_one_logs_in(env: Env) -> None:
    marugame_id = env.tenant_id("marugame")
    secret = pyotp.random_base32()

    async def enrol(db: Database) -> None:
        async with db.session(marugame_id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "supervisor"))
            ).scalar_one()
            await do_enrol_totp(s, account, secret)

    env.run(enrol)
    with tenant_client(env, "marugame") as c:
        r = login(c, "supervisor")
        assert r.status_code == 200 and 'name="code"' in r.text  # the second step, no session yet
        assert c.get("/", follow_redirects=False).status_code == 302
        step = r.text.split('name="step" value="', 1)[1].split('"', 1)[0]
        wrong = str((int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000).zfill(6)
        r = c.post(
            "/login/totp",
            data={"step": step, "code": wrong, "_csrf_token": csrf_of(r.text)},
            follow_redirects=False,
        )
        assert r.status_code == 401 and 'aria-invalid="true"' in r.text
        good = pyotp.TOTP(secret).now()
        r = c.post(
            "/login/totp",
            data={"step": step, "code": good, "_csrf_token": csrf_of(r.text)},
            follow_redirects=False,
        )
        assert r.status_code == 302
        assert c.get("/", follow_redirects=False).status_code == 200
    # the same code, replayed by someone who saw it and the password, is refused
    with tenant_client(env, "marugame") as other:
        r = login(other, "supervisor")
        step = r.text.split('name="step" value="', 1)[1].split('"', 1)[0]
        r = other.post(
            "/login/totp",
            data={"step": step, "code": good, "_csrf_token": csrf_of(r.text)},
            follow_redirects=False,
        )
        assert r.status_code == 401
        assert other.get("/", follow_redirects=False).status_code == 302

    async def sealed(db: Database) -> str:
        async with db.session(marugame_id) as s:
            return (
                await s.execute(
                    text(
                        "SELECT totp_secret_sealed FROM staff_accounts"
                        " WHERE username = 'supervisor' AND tenant_id = :t"
                    ),
                    {"t": marugame_id.hex},
                )
            ).scalar_one()

    assert secret not in env.run(sealed)


# ------------------------------------------------------------------ first login of a new town


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, str, str]:
    """A fresh environment with a newly signed-up town: (env, slug, admin invitation token)."""
    from kasane.tenants.municipalities import all_municipalities
    from kasane.tenants.signup import SignupForm, do_signup

    env = _make_sqlite_env(tmp_path_factory.mktemp("town"))
    code = next(
        c for c, m in all_municipalities().items() if m.prefecture == "香川県" and c != "372021"
    )
    form = SignupForm(code, "30000", "管理 花子", "Hanako@Town.example.jp", "newtown", "small")
    result = env.run(lambda db: do_signup(db, form))
    return env, "newtown", result.invitation_token


def accept_locally(client, token: str, username: str) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/invitation?token={token}")
    assert page.status_code == 200, page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret and "otpauth://totp/" in page.text
    form = {
        "token": token,
        "secret": secret.group(1),
        "username": username,
        "display_name": "管理 花子",
        "password": "a-long-enough-password",
        "_csrf_token": csrf_of(page.text),
    }
    r = client.post("/invitation", data={**form, "code": "000000"}, follow_redirects=False)
    assert r.status_code == 422  # a wrong code does not create the account
    form["code"] = pyotp.TOTP(secret.group(1)).now()
    return client.post("/invitation", data=form, follow_redirects=False), secret.group(1)


def test_a_new_towns_admin_accepts_and_invites_a_caseworker_who_signs_in_by_sso(
    town: tuple[Env, str, str],
    oidc_issuer: str,  # noqa: F811
) -> None:
    env, slug, token = town
    with tenant_client(env, slug) as admin:
        r, _secret = accept_locally(admin, token, "hanako")
        assert r.status_code == 302 and admin.get("/", follow_redirects=False).status_code == 200
        assert admin.get(f"/invitation?token={token}").status_code == 404  # used once
        # the admin sets up the town's IdP …
        page = admin.get("/admin/sso")
        assert page.status_code == 200
        r = admin.post(
            "/admin/sso",
            data={
                "issuer": oidc_issuer,
                "client_id": "kasane-newtown",
                "client_secret": SECRET,
                "enabled": "on",
                "_csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 200, r.text
        # … and invites a caseworker of an agency
        page = admin.get("/admin/invitations")
        r = admin.post(
            "/admin/invitations",
            data={
                "email": "ichiro@town.example.jp",
                "role": "caseworker",
                "agency_key": "municipality",  # the standard plugin's one agency
                "_csrf_token": csrf_of(page.text),
            },
        )
        link = re.search(r'id="invitation-link">([^<]+)<', r.text)
        assert r.status_code == 200 and link
    # the admin logs in again with password and TOTP
    with tenant_client(env, slug) as again:
        r = login(again, "hanako", "a-long-enough-password")
        assert r.status_code == 200 and 'name="code"' in r.text
    # the caseworker follows the link: the town has SSO, so it starts SSO
    with tenant_client(env, slug) as worker:
        path = link.group(1).split(TEST_HOST_SPLIT, 1)[1]
        r = worker.get(path.replace("&amp;", "&"), follow_redirects=False)
        assert r.status_code in (302, 303)
        assert r.headers["location"].startswith("/sso/login?invitation=")
        r = sso_login(worker, oidc_issuer, "town-ichiro", "ichiro@town.example.jp")
        assert r.status_code == 302 and worker.get("/", follow_redirects=False).status_code == 200
    [made] = [a for a in accounts(env, slug) if a.oidc_subject == "town-ichiro"]
    assert [(m.role, m.agency_key) for m in made.memberships] == [("caseworker", "municipality")]


def test_only_admins_reach_the_admin_pages(usuki) -> None:  # type: ignore[no-untyped-def]
    assert login(usuki, "caseworker").status_code == 302
    assert usuki.get("/admin/sso").status_code == 403
    assert usuki.get("/admin/invitations").status_code == 403


def test_an_unknown_or_expired_invitation_link_is_refused(town: tuple[Env, str, str]) -> None:
    env, slug, _token = town
    token = invite(env, slug, "old@town.example.jp")
    tid = env.tenant_id(slug)

    async def expire(db: Database) -> None:
        async with db.session(tid) as s:
            await s.execute(
                update(StaffInvitation)
                .where(StaffInvitation.email == "old@town.example.jp")
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )

    env.run(expire)
    with tenant_client(env, slug) as c:
        assert c.get(f"/invitation?token={token}").status_code == 404
        assert c.get("/invitation?token=nonsense").status_code == 404
