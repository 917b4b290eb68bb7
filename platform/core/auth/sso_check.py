"""The provider check of the SSO page: before settings are saved, the provider's discovery
document and keys are read afresh and what Kasane needs is checked, one line per check
(https, the issuer's exact spelling, endpoints, a signing algorithm we accept, the chosen
client authentication, sign-out and userinfo).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    try:
        oidc.check_url(issuer, allow_loopback_http=demo)
    except oidc.SSOError:
        return result.fail("issuer", _("Secure connection (https)"), _(oidc.MSG_HTTPS))
    url = oidc.discovery_url(issuer)
    try:
        async with httpx.AsyncClient(timeout=oidc.HTTP_TIMEOUT) as client:
            metadata = (await client.get(url)).raise_for_status().json()
            if not isinstance(metadata, dict):
                raise ValueError("not an object")
    except (httpx.HTTPError, ValueError):
        return result.fail(
            "issuer",
            _("Discovery document"),
            _("The discovery document could not be read at %(url)s", url=url),
        )
    result.checks.append(Check(_("Discovery document"), True, url))
    stated = str(metadata.get("issuer") or "")
    if stated != issuer and stated.rstrip("/") == issuer.rstrip("/"):
        result.issuer = stated
        result.checks.append(
            Check(
                _("Issuer"),
                True,
                _("Taken exactly as the provider states it: %(issuer)s", issuer=stated),
            )
        )
    elif stated != issuer:
        return result.fail(
            "issuer",
            _("Issuer"),
            _(
                "The provider names its issuer %(stated)s, not %(entered)s",
                stated=stated,
                entered=issuer,
            ),
        )
    else:
        result.checks.append(Check(_("Issuer"), True, stated))
    endpoints_ok = True
    for name in (*oidc.ENDPOINTS, *oidc.OPTIONAL_ENDPOINTS):
        value = metadata.get(name)
        if not value and name in oidc.ENDPOINTS:
            result.fail("issuer", _("Endpoints"), _("The provider states no %(name)s", name=name))
            endpoints_ok = False
        elif value:
            try:
                oidc.check_url(str(value), allow_loopback_http=demo)
            except oidc.SSOError:
                result.fail("issuer", _("Endpoints"), f"{_(oidc.MSG_HTTPS)}: {name}")
                endpoints_ok = False
    if not endpoints_ok:
        return result
    result.checks.append(Check(_("Endpoints"), True, str(metadata["token_endpoint"])))
    try:
        async with httpx.AsyncClient(timeout=oidc.HTTP_TIMEOUT) as client:
            keys = await oidc.fetch_keys(client, str(metadata["jwks_uri"]))
        count = len(keys["keys"])
        result.checks.append(Check(_("Signing keys"), True, _("%(n)s keys", n=count)))
    except (httpx.HTTPError, ValueError):
        result.fail("issuer", _("Signing keys"), _("The provider's keys could not be read"))
    offered = metadata.get("id_token_signing_alg_values_supported") or DEFAULT_ALGORITHMS
    usable = [a for a in offered if a in oidc.ID_TOKEN_ALGORITHMS]
    if usable:
        result.checks.append(Check(_("Signature algorithms"), True, ", ".join(usable)))
    else:
        result.fail(
            "issuer",
            _("Signature algorithms"),
            _(
                "The provider signs only with %(algs)s, which Kasane refuses",
                algs=", ".join(offered),
            ),
        )
    methods = metadata.get("token_endpoint_auth_methods_supported") or DEFAULT_AUTH_METHODS
    if auth_method in methods:
        result.checks.append(Check(_("Client authentication"), True, auth_method))
    else:
        result.fail(
            "token_auth_method",
            _("Client authentication"),
            _("The provider accepts only %(methods)s", methods=", ".join(methods)),
        )
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
    return result
