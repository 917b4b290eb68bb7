"""The provider check of the SSO page: before settings are saved, the provider's discovery
document and keys are read afresh and what Kasane needs is checked, one line per check
(https, the issuer's exact spelling, endpoints, a signing algorithm we accept, the chosen
client authentication, sign-out and userinfo).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from kasane.core.auth import oidc
from kasane.core.i18n import gettext as _

# what the provider's discovery omits means (OpenID Connect Discovery §3)
DEFAULT_ALGORITHMS = ["RS256"]
DEFAULT_AUTH_METHODS = ["client_secret_basic"]


@dataclass
class Check:
    """One line of the provider check: ``ok`` True/False, or None for information."""

    label: str
    ok: bool | None
    detail: str = ""


@dataclass
class ProviderCheck:
    checks: list[Check] = field(default_factory=list)
    issuer: str = ""  # the issuer exactly as the discovery names it
    logout: bool = False  # the provider offers RP-initiated logout
    field_errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.field_errors and all(c.ok is not False for c in self.checks)

    def fail(self, name: str, label: str, detail: str) -> ProviderCheck:
        self.checks.append(Check(label, False, detail))
        self.field_errors.setdefault(name, detail)
        return self


async def check_provider(issuer: str, auth_method: str, *, demo: bool) -> ProviderCheck:
    """Read the provider's discovery document and keys afresh and check what Kasane needs:
    https, the issuer exactly as stated (an entry that differs only by the trailing slash
    takes the provider's spelling), the endpoints, a signing algorithm we accept, the chosen
    client authentication; and whether it offers sign-out and userinfo."""
    result = ProviderCheck(issuer=issuer)
    metadata = await _discovery(result, issuer, demo)
    if (
        metadata is None
        or not _issuer_as_stated(result, issuer, metadata)
        or not _endpoints_usable(result, metadata, demo)
    ):
        return result
    result.checks.append(Check(_("Endpoints"), True, str(metadata["token_endpoint"])))
    await _check_keys(result, metadata)
    _check_algorithms(result, metadata)
    _check_client_authentication(result, metadata, auth_method)
    _note_logout_and_userinfo(result, metadata)
    return result


async def _discovery(result: ProviderCheck, issuer: str, demo: bool) -> dict[str, Any] | None:
    """The provider's discovery document over https, or None (the failure recorded)."""
    try:
        oidc.check_url(issuer, allow_loopback_http=demo)
    except oidc.SSOError:
        result.fail("issuer", _("Secure connection (https)"), _(oidc.MSG_HTTPS))
        return None
    url = oidc.discovery_url(issuer)
    try:
        async with httpx.AsyncClient(timeout=oidc.HTTP_TIMEOUT) as client:
            metadata = (await client.get(url)).raise_for_status().json()
            if not isinstance(metadata, dict):
                raise ValueError("not an object")
    except (httpx.HTTPError, ValueError):
        result.fail(
            "issuer",
            _("Discovery document"),
            _("The discovery document could not be read at %(url)s", url=url),
        )
        return None
    result.checks.append(Check(_("Discovery document"), True, url))
    return metadata


def _issuer_as_stated(result: ProviderCheck, issuer: str, metadata: dict[str, Any]) -> bool:
    """Whether the provider names the issuer entered (up to a trailing slash, then the
    provider's spelling is taken)."""
    stated = str(metadata.get("issuer") or "")
    if stated != issuer and stated.rstrip("/") == issuer.rstrip("/"):
        result.issuer = stated
        detail = _("Taken exactly as the provider states it: %(issuer)s", issuer=stated)
        result.checks.append(Check(_("Issuer"), True, detail))
    elif stated != issuer:
        result.fail(
            "issuer",
            _("Issuer"),
            _(
                "The provider names its issuer %(stated)s, not %(entered)s",
                stated=stated,
                entered=issuer,
            ),
        )
        return False
    else:
        result.checks.append(Check(_("Issuer"), True, stated))
    return True


def _endpoints_usable(result: ProviderCheck, metadata: dict[str, Any], demo: bool) -> bool:
    """Whether every required endpoint is stated, and every stated one is https."""
    usable = True
    for name in (*oidc.ENDPOINTS, *oidc.OPTIONAL_ENDPOINTS):
        value = metadata.get(name)
        if not value and name in oidc.ENDPOINTS:
            result.fail("issuer", _("Endpoints"), _("The provider states no %(name)s", name=name))
            usable = False
        elif value:
            try:
                oidc.check_url(str(value), allow_loopback_http=demo)
            except oidc.SSOError:
                result.fail("issuer", _("Endpoints"), f"{_(oidc.MSG_HTTPS)}: {name}")
                usable = False
    return usable


async def _check_keys(result: ProviderCheck, metadata: dict[str, Any]) -> None:
    """The provider's signing keys can be read."""
    try:
        async with httpx.AsyncClient(timeout=oidc.HTTP_TIMEOUT) as client:
            keys = await oidc.fetch_keys(client, str(metadata["jwks_uri"]))
        count = len(keys["keys"])
        result.checks.append(Check(_("Signing keys"), True, _("%(n)s keys", n=count)))
    except (httpx.HTTPError, ValueError):
        result.fail("issuer", _("Signing keys"), _("The provider's keys could not be read"))


def _check_algorithms(result: ProviderCheck, metadata: dict[str, Any]) -> None:
    """The provider signs ID tokens with an algorithm Kasane accepts."""
    offered = metadata.get("id_token_signing_alg_values_supported") or DEFAULT_ALGORITHMS
    usable = [a for a in offered if a in oidc.ID_TOKEN_ALGORITHMS]
    if usable:
        result.checks.append(Check(_("Signature algorithms"), True, ", ".join(usable)))
        return
    result.fail(
        "issuer",
        _("Signature algorithms"),
        _("The provider signs only with %(algs)s, which Kasane refuses", algs=", ".join(offered)),
    )


def _check_client_authentication(
    result: ProviderCheck, metadata: dict[str, Any], auth_method: str
) -> None:
    """The provider accepts the client authentication chosen."""
    methods = metadata.get("token_endpoint_auth_methods_supported") or DEFAULT_AUTH_METHODS
    if auth_method in methods:
        result.checks.append(Check(_("Client authentication"), True, auth_method))
        return
    result.fail(
        "token_auth_method",
        _("Client authentication"),
        _("The provider accepts only %(methods)s", methods=", ".join(methods)),
    )


def _note_logout_and_userinfo(result: ProviderCheck, metadata: dict[str, Any]) -> None:
    """Information lines: whether the provider offers sign-out and a userinfo endpoint."""
    result.logout = bool(metadata.get("end_session_endpoint"))
    result.checks.append(
        Check(
            _("Sign-out at the provider"),
            None,
            _("Offered: signing out of Kasane signs out of the provider too")
            if result.logout
            else _("Not offered: signing out of Kasane leaves the provider's session open"),
        )
    )
    result.checks.append(
        Check(
            _("User information endpoint"),
            None,
            _("Offered: claims missing from the ID token are asked there")
            if metadata.get("userinfo_endpoint")
            else _("Not offered"),
        )
    )
