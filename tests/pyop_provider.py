"""A third OpenID provider for the SSO tests, built on a maintained OP library (issue 21).

:mod:`tests.town_provider` is our own code on joserfc — the same JOSE library Kasane's client
uses, so a shared signature bug could pass on both sides. This one is IdentityPython's
``pyop`` (on ``oic`` and ``pyjwkest``): the provider's requests, validation, ID tokens, tokens,
userinfo and RP-initiated logout are the library's; only the HTTP plumbing and a login form
are ours. pyop insists on an ``https`` issuer, so it is served over TLS with a certificate
from a throwaway CA (``trustme``) that the test trusts through ``SSL_CERT_FILE`` — Kasane's
client then speaks to it as it must to a real provider outside the demo. It is set up the way
Entra ID and Keycloak behave for a town:

- the issuer ends in ``/`` and lives under a path;
- ID tokens are signed **RS512** by pyjwkest and carry no ``email_verified``; the e-mail and
  name are released at the userinfo endpoint only (pyop's code flow puts scope claims there);
- :meth:`PyopProvider.rotate_keys` publishes only a new key at once (Keycloak's rotation);
- the client must authenticate as registered (``client_secret_basic`` or ``_post``: pyop has
  no ``private_key_jwt``, which :mod:`tests.town_provider` covers);
- ``end_session_endpoint`` ends the provider's session and sends the browser back only to a
  registered ``post_logout_redirect_uri``.
"""

from __future__ import annotations

import html
import json
import secrets
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import trustme
from Cryptodome.PublicKey import RSA
from jwkest.jwk import RSAKey
from oic.oic.message import EndSessionRequest
from pyop.authz_state import AuthorizationState
from pyop.exceptions import InvalidClientAuthentication, OAuthError
from pyop.provider import Provider
from pyop.subject_identifier import HashBasedSubjectIdentifierFactory
from pyop.userinfo import Userinfo

from tests.serving import serving

COOKIE = "pyop_town_session"
ALG = "RS512"


def _signing_key() -> RSAKey:
    return RSAKey(key=RSA.generate(2048), alg=ALG, use="sig", kid=secrets.token_hex(4))


@dataclass
class PyopProvider:
    """pyop's Provider plus what a test needs to drive and inspect it."""

    base: str
    path: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # login → claims
    passwords: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # cookie → login
    events: list[tuple[str, str]] = field(default_factory=list)
    pinned_keys: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.clients: dict[str, dict[str, Any]] = {}
        self.subjects = HashBasedSubjectIdentifierFactory(secrets.token_hex(8))
        self.provider = Provider(
            _signing_key(),
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.url("authorize"),
                "token_endpoint": self.url("token"),
                "userinfo_endpoint": self.url("userinfo"),
                "jwks_uri": self.url("jwks"),
                "end_session_endpoint": self.url("logout"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [ALG],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "claims_parameter_supported": True,
            },
            AuthorizationState(self.subjects),
            self.clients,
            Userinfo(self.users),
        )

    @property
    def issuer(self) -> str:
        return self.base + self.path

    def url(self, tail: str) -> str:
        return self.issuer + tail

    @property
    def kid(self) -> str:
        return str(self.provider.signing_key.kid)

    def register(
        self, client_id: str, *, redirect_uri: str, logout_uri: str, secret: str, method: str
    ) -> None:
        self.clients[client_id] = {
            "client_secret": secret,
            "redirect_uris": [redirect_uri],
            "post_logout_redirect_uris": [logout_uri],
            "response_types": ["code"],
            "token_endpoint_auth_method": method,
        }

    def add_user(self, login: str, password: str, **claims: Any) -> None:
        self.users[login] = claims
        self.passwords[login] = password

    def subject_of(self, login: str) -> str:
        """The ``sub`` pyop issues for a user (public subject type)."""
        return str(self.subjects.create_public_identifier(login))

    def published_keys(self) -> dict[str, Any]:
        """The key set at ``jwks_uri``: pyop's own, unless a test pinned an older one."""
        return self.pinned_keys or self.provider.jwks

    def rotate_keys(self) -> str:
        """Publish only a new key, at once; returns its kid."""
        self.provider.signing_key = _signing_key()
        return self.kid


class _Handler(BaseHTTPRequestHandler):
    op: PyopProvider

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's name)
        pass

    def _send(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        data = body.encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, body: str) -> None:
        self._send(status, body, {"Content-Type": "application/json"})

    def _route(self) -> tuple[str, str]:
        parts = urlsplit(self.path)
        return parts.path.removeprefix(self.op.path), parts.query

    def _cookie(self) -> str:
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return value
        return ""

    def _body(self) -> str:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()

    def _authorize(self, query: str, user: str, cookie: str = "") -> None:
        try:
            request = self.op.provider.parse_authentication_request(query)
        except OAuthError as exc:
            return self._send(400, str(exc))
        response = self.op.provider.authorize(request, user)
        self.op.events.append(("authorize", user))
        headers = {"Location": response.request(request["redirect_uri"], False)}
        if cookie:
            headers["Set-Cookie"] = f"{COOKIE}={cookie}; Path={self.op.path}; HttpOnly"
        self._send(302, "", headers)

    def _login_form(self, query: str, error: str = "") -> None:
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in parse_qsl(query)
        )
        self._send(
            200,
            f'<form id="op-login" method="post">{fields}<p>{html.escape(error)}</p>'
            '<input name="username"><input name="password" type="password"></form>',
        )

    def do_GET(self) -> None:
        route, query = self._route()
        provider = self.op.provider
        if route == ".well-known/openid-configuration":
            return self._json(200, provider.provider_configuration.to_json())
        if route == "jwks":
            return self._json(200, json.dumps(self.op.published_keys()))
        if route == "authorize":
            user = self.op.sessions.get(self._cookie())
            return self._authorize(query, user) if user else self._login_form(query)
        if route == "userinfo":
            try:
                claims = provider.handle_userinfo_request(query, dict(self.headers))
            except OAuthError as exc:
                return self._json(401, json.dumps({"error": str(exc)}))
            self.op.events.append(("userinfo", str(claims["sub"])))
            return self._json(200, claims.to_json())
        if route == "logout":
            request = EndSessionRequest().deserialize(query)
            provider.logout_user(end_session_request=request)
            user = self.op.sessions.pop(self._cookie(), "")
            self.op.events.append(("logout", user))
            back = provider.do_post_logout_redirect(request)
            expired = {"Set-Cookie": f"{COOKIE}=; Path={self.op.path}; Max-Age=0"}
            if back is None:
                return self._send(200, "signed out", expired)
            return self._send(302, "", {"Location": back, **expired})
        return self._send(404)

    def do_POST(self) -> None:
        route, _query = self._route()
        body = self._body()
        if route == "authorize":
            form = dict(parse_qsl(body))
            user, password = form.pop("username", ""), form.pop("password", "")
            query = urlencode(form)
            if self.op.passwords.get(user) != password:
                return self._login_form(query, "The user name or password is not correct")
            cookie = secrets.token_urlsafe(16)
            self.op.sessions[cookie] = user
            return self._authorize(query, user, cookie)
        if route == "token":
            try:
                answer = self.op.provider.handle_token_request(body, dict(self.headers))
            except InvalidClientAuthentication as exc:
                return self._json(401, json.dumps({"error": "invalid_client", "detail": str(exc)}))
            except OAuthError as exc:
                return self._json(400, json.dumps({"error": exc.oauth_error, "detail": str(exc)}))
            return self._json(200, answer.to_json())
        return self._send(404)


@contextmanager
def running_pyop(ca: trustme.CA, path: str = "/adfs/") -> Iterator[PyopProvider]:
    """A pyop provider served over TLS on 127.0.0.1 in a thread, until the block ends; its
    certificate is issued by ``ca``, which the caller makes the client trust."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    op = PyopProvider(f"https://127.0.0.1:{server.server_port}", path)
    handler.op = op  # type: ignore[attr-defined]
    with serving(server):
        yield op
