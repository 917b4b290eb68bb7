"""Staff sign-in through a provider built on a maintained OP library (pyop, issue 21).

The same checks as :mod:`tests.integration.test_sso_providers`, but the ID tokens, the token
and userinfo answers and the logout are IdentityPython's ``pyop`` (signing with pyjwkest, not
the joserfc Kasane itself uses): an invitee signs in without ``email_verified`` under an
issuer that ends in ``/`` with RS512 keys, the provider rotates its key between two sign-ins,
and logging out of Kasane ends the provider's session so the next sign-in asks the password.
pyop wants an ``https`` issuer, so the provider is served over TLS (a throwaway CA).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trustme
from litestar.testing import TestClient

from kasane.core.auth import oidc_discovery
from kasane.core.auth.sso import do_configure_sso
from kasane.core.db import Database
from tests.conftest import TEST_DOMAIN, Env, _make_sqlite_env, csrf_of, tenant_client
from tests.integration.test_sso_providers import (
    _age_key_cache,
    account_of,
    callback,
    invite,
    sign_in,
)
from tests.pyop_provider import ALG, PyopProvider, running_pyop

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECRET = "pyop-client-secret"
PASSWORD = "pyop-password"  # every user's at the provider
LOGIN = f"http://usuki.{TEST_DOMAIN}/login"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("sso-pyop"))


@pytest.fixture(scope="module")
def op(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PyopProvider]:
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("pyop-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with pytest.MonkeyPatch.context() as mp, running_pyop(ca) as provider:
        mp.setenv("SSL_CERT_FILE", str(bundle))  # Kasane's client and the test's "browser"
        provider.register(
            "kasane-usuki",
            redirect_uri=callback("usuki"),
            logout_uri=LOGIN,
            secret=SECRET,
            method="client_secret_basic",
        )

        tid = env.tenant_id("usuki")

        async def go(db: Database) -> None:
            async with db.session(tid) as s:
                await do_configure_sso(
                    s,
                    issuer=provider.issuer,
                    client_id="kasane-usuki",
                    client_secret=SECRET,
                    token_auth_method="client_secret_basic",
                )

        env.run(go)
        yield provider


def sign_in_invited(
    env: Env,
    op: PyopProvider,
    kasane: TestClient,
    browser: httpx.Client,
    login: str,
    name: str,
    agency: str | None = None,
) -> tuple[Any, bool]:
    """``login``, a user the provider knows (its e-mail never marked verified), invited to
    臼杵市 as ``login@usuki.example.jp``, follows the invitation link and signs in at the
    provider's form. Returns :func:`sign_in`'s (callback response, asked for the password)."""
    op.add_user(login, PASSWORD, email=f"{login}@town.example.jp", name=name)
    token = invite(env, "usuki", f"{login}@usuki.example.jp", agency=agency)
    return sign_in(kasane, browser, f"/invitation?token={token}", login, PASSWORD)


def header_of(jwt: str) -> dict[str, str]:
    head = jwt.split(".", 1)[0]
    return dict(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))))


def test_an_invitee_signs_in_without_email_verified_under_a_slash_issuer_with_rs512(
    env: Env, op: PyopProvider
) -> None:
    # given a user the provider knows with an e-mail it never marks verified, invited
    browser = httpx.Client()
    # when the invitee follows the link and signs in at the provider's form
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in_invited(env, op, kasane, browser, "yamada", "山田 花子", "hokatsu")
        # then they are in, as the invited caseworker, named as the provider's userinfo says
        assert r.status_code in (302, 303), r.text
        assert asked
        assert kasane.get("/", follow_redirects=False).status_code == 200
    account = account_of(env, "usuki", op.subject_of("yamada"))
    assert account is not None and account.display_name == "山田 花子"
    assert account.email == "yamada@usuki.example.jp"  # the invited address
    assert account.oidc_issuer.endswith("/adfs/")
    assert [(m.role, m.agency_key) for m in account.memberships] == [("caseworker", "hokatsu")]
    assert ("userinfo", op.subject_of("yamada")) in op.events
    # and the provider's keys are RS512, as its discovery says
    keys = httpx.get(op.url("jwks")).json()["keys"]
    assert [k["alg"] for k in keys] == [ALG]
    # the next sign-in on this PC is one click: the provider's session is alive
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in(kasane, browser)
        assert r.status_code in (302, 303) and not asked


def test_a_key_rotation_between_two_sign_ins_does_not_block_the_second(
    env: Env, op: PyopProvider
) -> None:
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in_invited(env, op, kasane, httpx.Client(), "kato", "加藤")
        assert r.status_code in (302, 303), r.text
    old_kid = op.kid
    # when the provider replaces its key at once, a minute later
    new_kid = op.rotate_keys()
    _age_key_cache(op.issuer, 60)
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), user="kato", password=PASSWORD)
        # then the token signed with the new key is accepted after a refetch of the keys
        assert r.status_code in (302, 303), r.text
    cached = oidc_discovery._discovery[op.issuer].keys["keys"]
    assert [k["kid"] for k in cached] == [new_kid] and new_kid != old_kid


def test_a_token_from_a_key_the_provider_does_not_publish_is_refused(
    env: Env, op: PyopProvider
) -> None:
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in_invited(env, op, kasane, httpx.Client(), "suzuki", "鈴木")
        assert r.status_code in (302, 303)
    # given pyop signs with a new key while its key set still lists only the old one
    op.pinned_keys = op.provider.jwks
    op.rotate_keys()
    _age_key_cache(op.issuer, 60)
    try:
        with tenant_client(env, "usuki") as kasane:
            r, _ = sign_in(kasane, httpx.Client(), user="suzuki", password=PASSWORD)
            # then Kasane refuses the sign-in: the signature matches no published key
            assert r.status_code == 401
    finally:
        op.pinned_keys = None
    # and once the provider publishes the key, the same person gets in
    _age_key_cache(op.issuer, 60)
    with tenant_client(env, "usuki") as kasane:
        r, _ = sign_in(kasane, httpx.Client(), user="suzuki", password=PASSWORD)
        assert r.status_code in (302, 303), r.text


def test_logging_out_of_kasane_ends_the_providers_session(env: Env, op: PyopProvider) -> None:
    browser = httpx.Client()
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in_invited(env, op, kasane, browser, "ogura", "小倉")
        assert r.status_code in (302, 303) and asked
        home = kasane.get("/")
        # when the caseworker logs out of Kasane
        r = kasane.post("/logout", data={"_csrf_token": csrf_of(home.text)}, follow_redirects=False)
        to_op = r.headers["location"]
        assert r.status_code == 302 and to_op.startswith(op.url("logout?"))
        assert header_of(httpx.QueryParams(to_op.split("?", 1)[1])["id_token_hint"])["alg"] == ALG
        # pyop checks the id_token_hint and the registered address it sends the browser back to
        back = browser.get(to_op)
        assert back.status_code == 302
        assert back.headers["location"].removesuffix("?") == LOGIN  # pyop adds an empty query
        assert kasane.get("/", follow_redirects=False).status_code == 302
    assert ("logout", "ogura") in op.events
    # then the next sign-in on this PC asks for the password at the provider again
    with tenant_client(env, "usuki") as kasane:
        r, asked = sign_in(kasane, browser, user="ogura", password=PASSWORD)
        assert asked and r.status_code in (302, 303)
