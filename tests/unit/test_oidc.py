"""The ID token checks and the transport rule of the OIDC client (issue 21)."""

from __future__ import annotations

import base64
import json
import time
import warnings

import pytest
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from kasane.core.auth import oidc

ISSUER = "https://login.example.jp/town-tenant/"
CLIENT = "kasane-usuki"
NONCE = "n-0S6_WzA2Mj"


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "entra-1",
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        **over,
    }


def _key(alg: str):  # type: ignore[no-untyped-def]
    params = {"kid": f"k-{alg}", "alg": alg}
    if alg.startswith(("RS", "PS")):
        return RSAKey.generate_key(2048, parameters=params)
    if alg.startswith("ES"):
        curve = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
        return ECKey.generate_key(curve, parameters=params)
    return OKPKey.generate_key("Ed448" if alg == "Ed448" else "Ed25519", parameters=params)


def _validate(token: str, keys: dict[str, object]) -> dict[str, object]:
    return oidc.validate_id_token(token, keys, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)


@pytest.mark.parametrize("alg", oidc.ID_TOKEN_ALGORITHMS)
def test_every_asymmetric_algorithm_is_accepted(alg: str) -> None:
    key = _key(alg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # EdDSA's RFC 9864 deprecation
        token = jwt.encode({"alg": alg, "kid": key.kid}, _claims(), key, algorithms=[alg])
    keys = {"keys": [key.as_dict(private=False)]}
    assert _validate(token, keys)["sub"] == "entra-1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_an_unsigned_token_is_refused() -> None:
    key = _key("RS256")
    header = _b64(json.dumps({"alg": "none"}).encode())
    token = f"{header}.{_b64(json.dumps(_claims()).encode())}."
    with pytest.raises(oidc.SSOError):
        _validate(token, {"keys": [key.as_dict(private=False)]})


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_an_hmac_token_is_refused_even_with_a_matching_secret(alg: str) -> None:
    secret = OctKey.generate_key(512, parameters={"kid": "shared"})
    token = jwt.encode({"alg": alg, "kid": "shared"}, _claims(), secret, algorithms=[alg])
    with pytest.raises(oidc.SSOError):
        _validate(token, {"keys": [secret.as_dict(private=True)]})


def test_the_issuer_is_compared_exactly() -> None:
    key = _key("RS512")
    keys = {"keys": [key.as_dict(private=False)]}
    for iss in (ISSUER.rstrip("/"), ISSUER + "/", ISSUER.upper()):
        token = jwt.encode({"alg": "RS512"}, _claims(iss=iss), key, algorithms=["RS512"])
        with pytest.raises(oidc.SSOError):
            _validate(token, keys)


def test_a_token_for_several_audiences_must_name_us_as_azp() -> None:
    key = _key("RS256")
    keys = {"keys": [key.as_dict(private=False)]}

    def token(**over: object) -> str:
        return jwt.encode({"alg": "RS256"}, _claims(**over), key, algorithms=["RS256"])

    assert _validate(token(aud=[CLIENT]), keys)["sub"] == "entra-1"
    assert _validate(token(aud=[CLIENT, "other"], azp=CLIENT), keys)["sub"] == "entra-1"
    for bad in ({"aud": [CLIENT, "other"]}, {"aud": [CLIENT, "other"], "azp": "other"}):
        with pytest.raises(oidc.SSOError):
            _validate(token(**bad), keys)
    with pytest.raises(oidc.SSOError):
        _validate(token(aud=["other"]), keys)


@pytest.mark.parametrize(
    ("url", "demo", "ok"),
    [
        ("https://login.example.jp/tenant/", False, True),
        ("http://login.example.jp/tenant/", False, False),
        ("http://login.example.jp/tenant/", True, False),  # the demo allows loopback only
        ("http://localhost:8080/realms/town", False, False),  # outside the demo: never
        ("http://localhost:8080/realms/town", True, True),
        ("http://127.0.0.1:8080/", True, True),
        ("http://[::1]:8080/", True, True),
        ("http://idp.localhost:8080/", True, True),
        ("http://localhost.attacker.example/", True, False),
        ("ftp://login.example.jp/", True, False),
    ],
)
def test_https_is_required_outside_the_demo_and_loopback(url: str, demo: bool, ok: bool) -> None:
    if ok:
        oidc.check_url(url, allow_loopback_http=demo)
    else:
        with pytest.raises(oidc.SSOError) as raised:
            oidc.check_url(url, allow_loopback_http=demo)
        assert raised.value.message == oidc.MSG_HTTPS


def test_the_discovery_url_drops_the_issuers_slash() -> None:
    assert oidc.discovery_url(ISSUER) == (
        "https://login.example.jp/town-tenant/.well-known/openid-configuration"
    )


def test_an_email_counts_when_verified_or_trusted() -> None:
    assert oidc.verified_email({"email": "A@x.jp", "email_verified": True}) == "a@x.jp"
    assert oidc.verified_email({"email": "a@x.jp"}) == ""
    assert oidc.verified_email({"email": "a@x.jp", "email_verified": False}) == ""
    assert oidc.verified_email({"email": "a@x.jp"}, trusted=True) == "a@x.jp"
    assert oidc.verified_email({"email": "not-an-address"}, trusted=True) == ""
