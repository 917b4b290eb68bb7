"""A second, independent OpenID provider for the SSO tests, behaving the way the providers
towns run do (issue 21) — unlike ``oidc-provider-mock``, which bends to the client:

- the issuer ends in ``/`` (Entra ID v1, Auth0) and lives under a path;
- ID tokens are signed RS512 and carry **no** ``email_verified`` (Entra ID), and a user may
  have no e-mail in the ID token at all (only at the userinfo endpoint);
- keys rotate at once (Keycloak): :meth:`TownProvider.rotate_keys` publishes only a new key;
- the client must authenticate the way it is registered: ``client_secret_basic``,
  ``client_secret_post`` or ``private_key_jwt`` (assertion checked against the client's
  registered JWKS or its ``jwks_uri``: signature, ``iss``/``sub``, ``aud``, expiry, ``jti``
  used once);
- the authorization endpoint shows a login form unless the browser has a session here, and
  ``end_session_endpoint`` ends that session (RP-initiated logout: ``id_token_hint``
  verified, ``post_logout_redirect_uri`` must be registered).

Written on joserfc's JWS/JWT and the standard library's HTTP server (decision 0016);
:mod:`tests.pyop_provider` runs the same checks against IdentityPython's OP library.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from tests.serving import serving

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
COOKIE = "town_op_session"


@dataclass
class Registered:
    client_id: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    auth_method: str = "client_secret_basic"
    secret: str = ""
    jwks: dict[str, Any] | None = None
    jwks_uri: str = ""


@dataclass
class User:
    sub: str
    password: str
    claims: dict[str, Any]
    email_in_id_token: bool = True


@dataclass
class TownProvider:
    """The provider's state; the HTTP handler reads and changes it."""

    base: str  # http://127.0.0.1:port
    path: str = "/entra-town/"
    alg: str = "RS512"
    clients: dict[str, Registered] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # cookie → sub
    access_tokens: dict[str, str] = field(default_factory=dict)
    used_jtis: set[str] = field(default_factory=set)
    events: list[tuple[str, ...]] = field(default_factory=list)
    jwks_fetches: int = 0
    sign_with_unpublished_key: bool = False
    offers_logout: bool = True  # False: no end_session_endpoint (many on-premise providers)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.keys: list[RSAKey] = [self._new_key()]
        self.retired: list[RSAKey] = []

    # ---------------------------------------------------------------- set-up

    @property
    def issuer(self) -> str:
        return f"{self.base}{self.path}"

    def url(self, tail: str) -> str:
        return f"{self.base}{self.path}{tail}"

    def _new_key(self) -> RSAKey:
        return RSAKey.generate_key(
            2048, parameters={"kid": secrets.token_hex(6), "alg": self.alg, "use": "sig"}
        )

    def register(self, client_id: str, **kw: Any) -> Registered:
        client = Registered(client_id, **kw)
        self.clients[client_id] = client
        return client

    def add_user(
        self,
        sub: str,
        password: str = "town-password",
        *,
        email_in_id_token: bool = True,
        **claims: Any,
    ) -> None:
        self.users[sub] = User(sub, password, claims, email_in_id_token)

    def rotate_keys(self) -> str:
        """Publish only a new key at once (Keycloak's rotation); returns its kid."""
        with self.lock:
            self.retired.extend(self.keys)
            self.keys = [self._new_key()]
            return str(self.keys[0].kid)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("oauth2/authorize"),
            "token_endpoint": self.url("oauth2/token"),
            "jwks_uri": self.url("discovery/keys"),
            "userinfo_endpoint": self.url("openid/userinfo"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [self.alg],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
        } | ({"end_session_endpoint": self.url("oauth2/logout")} if self.offers_logout else {})

    def jwks(self) -> dict[str, Any]:
        with self.lock:
            self.jwks_fetches += 1
            return {"keys": [k.as_dict(private=False) for k in self.keys]}

    # ---------------------------------------------------------------- the protocol

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        key = self._new_key() if self.sign_with_unpublished_key else self.keys[0]
        return jwt.encode({"alg": self.alg, "kid": key.kid}, claims, key, algorithms=[self.alg])

    def issue_code(self, sub: str, query: dict[str, str]) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "sub": sub,
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "nonce": query.get("nonce"),
            "challenge": query["code_challenge"],
        }
        return code

    def authenticate_client(self, form: dict[str, str], authorization: str) -> Registered:
        """The registered client the token request proves to be, by its registered method."""
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            client = self.clients.get(client_id)
            if client and client.auth_method == "client_secret_basic" and secret == client.secret:
                self.events.append(("client_auth", client_id, "client_secret_basic"))
                return client
            raise PermissionError("invalid_client")
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            raise PermissionError("invalid_client")
        if client.auth_method == "client_secret_post":
            if form.get("client_secret") and form["client_secret"] == client.secret:
                self.events.append(("client_auth", client.client_id, "client_secret_post"))
                return client
            raise PermissionError("invalid_client")
        if client.auth_method == "private_key_jwt":
            self._check_assertion(client, form)
            self.events.append(("client_auth", client.client_id, "private_key_jwt"))
            return client
        raise PermissionError("invalid_client")

    def _check_assertion(self, client: Registered, form: dict[str, str]) -> None:
        if form.get("client_assertion_type") != ASSERTION_TYPE or "client_secret" in form:
            raise PermissionError("invalid_client")
        keys = client.jwks or _get_json(client.jwks_uri)
        try:
            token = jwt.decode(
                form.get("client_assertion", ""),
                KeySet.import_key_set(keys),
                algorithms=["RS256", "RS384", "RS512", "PS256", "ES256"],
            )
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": client.client_id},
                sub={"essential": True, "value": client.client_id},
                aud={"essential": True, "values": [self.url("oauth2/token"), self.issuer]},
                exp={"essential": True},
                jti={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise PermissionError(f"invalid_client: {exc}") from exc
        if token.claims["exp"] - time.time() > 300:
            raise PermissionError("invalid_client: assertion lives too long")
        with self.lock:
            if token.claims["jti"] in self.used_jtis:
                raise PermissionError("invalid_client: jti replayed")
            self.used_jtis.add(token.claims["jti"])

    def token(self, form: dict[str, str], authorization: str) -> dict[str, Any]:
        client = self.authenticate_client(form, authorization)
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != client.client_id:
            raise ValueError("invalid_grant")
        if grant["redirect_uri"] != form.get("redirect_uri"):
            raise ValueError("invalid_grant: redirect_uri")
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            raise ValueError("invalid_grant: PKCE")
        user = self.users[grant["sub"]]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client.client_id,
            "sub": user.sub,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        if user.email_in_id_token:
            claims.update(user.claims)  # never email_verified: Entra ID does not send it
        access = secrets.token_urlsafe(24)
        self.access_tokens[access] = user.sub
        self.events.append(("token", client.client_id, user.sub))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.sign_id_token(claims),
        }

    def userinfo(self, authorization: str) -> dict[str, Any]:
        sub = self.access_tokens.get(authorization.removeprefix("Bearer "))
        if sub is None:
            raise PermissionError("invalid_token")
        self.events.append(("userinfo", sub))
        return {"sub": sub, **self.users[sub].claims}

    def end_session(self, query: dict[str, str], cookie: str | None) -> str:
        """Verify the hint, end the browser's session here; where to send it back."""
        keys = KeySet.import_key_set(
            {"keys": [k.as_dict(private=False) for k in [*self.keys, *self.retired]]}
        )
        try:
            hint = jwt.decode(query.get("id_token_hint", ""), keys, algorithms=[self.alg])
        except (JoseError, ValueError) as exc:
            raise PermissionError("invalid id_token_hint") from exc
        client = self.clients.get(str(hint.claims.get("aud")))
        back = query.get("post_logout_redirect_uri", "")
        if client is None or back not in client.post_logout_redirect_uris:
            raise PermissionError("post_logout_redirect_uri not registered")
        if cookie:
            self.sessions.pop(cookie, None)
        self.events.append(("logout", str(hint.claims["sub"])))
        return back


def _get_json(url: str) -> Any:
    """GET a client's registered URL (its JWKS). ``*.localhost`` is loopback, as browsers
    resolve it; this machine's resolver may not, so the host goes in the Host header."""
    parts = urlsplit(url)
    headers = {}
    if parts.hostname and parts.hostname.endswith(".localhost"):
        headers["Host"] = parts.netloc
        url = url.replace(parts.hostname, "127.0.0.1", 1)
    return httpx.get(url, headers=headers, timeout=5).raise_for_status().json()


class _Handler(BaseHTTPRequestHandler):
    op: TownProvider

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's name)
        pass

    def _cookie(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return value
        return None

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def _tail(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        if not parts.path.startswith(self.op.path):
            return "", {}
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return parts.path[len(self.op.path) :], query

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        return {k: v[0] for k, v in parse_qs(body).items()}

    def _redirect_with_code(self, sub: str, query: dict[str, str], cookie: str | None) -> None:
        code = self.op.issue_code(sub, query)
        target = (
            f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        )
        headers = {"Location": target}
        if cookie:
            headers["Set-Cookie"] = (
                f"{COOKIE}={cookie}; Path={self.op.path}; HttpOnly; SameSite=Lax"
            )
        self._send(302, b"", headers)

    def _check_authorize(self, query: dict[str, str]) -> str | None:
        client = self.op.clients.get(query.get("client_id", ""))
        if client is None or query.get("redirect_uri") not in client.redirect_uris:
            return "unknown client or redirect_uri"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return "code flow with PKCE S256 only"
        if not query.get("nonce") or not query.get("code_challenge"):
            return "nonce and code_challenge required"
        return None

    def _login_form(self, query: dict[str, str], error: str = "") -> None:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Town identity provider</title></head><body><main>
<h1>Town identity provider</h1>{f'<p role="alert">{html.escape(error)}</p>' if error else ""}
<form method="post" id="op-login">{hidden}
<label for="op-username">User name</label> <input id="op-username" name="username">
<label for="op-password">Password</label> <input id="op-password" name="password" type="password">
<button type="submit">Sign in</button></form></main></body></html>"""
        self._send(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def do_GET(self) -> None:
        tail, query = self._tail()
        if tail == ".well-known/openid-configuration":
            return self._json(200, self.op.metadata())
        if tail == "discovery/keys":
            return self._json(200, self.op.jwks())
        if tail == "oauth2/authorize":
            problem = self._check_authorize(query)
            if problem:
                return self._send(400, problem.encode())
            sub = self.op.sessions.get(self._cookie() or "")
            if sub:  # signed in here already: straight back (the one-click case)
                return self._redirect_with_code(sub, query, None)
            return self._login_form(query)
        if tail == "openid/userinfo":
            try:
                return self._json(200, self.op.userinfo(self.headers.get("Authorization", "")))
            except PermissionError as exc:
                return self._json(401, {"error": str(exc)})
        if tail == "oauth2/logout":
            try:
                back = self.op.end_session(query, self._cookie())
            except PermissionError as exc:
                return self._send(400, str(exc).encode())
            expired = f"{COOKIE}=; Path={self.op.path}; Max-Age=0"
            return self._send(302, b"", {"Location": back, "Set-Cookie": expired})
        return self._send(404)

    def do_POST(self) -> None:
        tail, _query = self._tail()
        form = self._form()
        if tail == "oauth2/authorize":
            query = {k: v for k, v in form.items() if k not in ("username", "password")}
            problem = self._check_authorize(query)
            if problem:
                return self._send(400, problem.encode())
            user = self.op.users.get(form.get("username", ""))
            if user is None or user.password != form.get("password"):
                return self._login_form(query, "The user name or password is not correct")
            cookie = secrets.token_urlsafe(16)
            self.op.sessions[cookie] = user.sub
            return self._redirect_with_code(user.sub, query, cookie)
        if tail == "oauth2/token":
            try:
                return self._json(200, self.op.token(form, self.headers.get("Authorization", "")))
            except PermissionError as exc:
                return self._json(401, {"error": "invalid_client", "error_description": str(exc)})
            except (ValueError, KeyError) as exc:
                return self._json(400, {"error": "invalid_grant", "error_description": str(exc)})
        return self._send(404)


@contextmanager
def running_provider(path: str = "/entra-town/") -> Iterator[TownProvider]:
    """A TownProvider served on 127.0.0.1 in a thread, until the block ends."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    op = TownProvider(f"http://127.0.0.1:{server.server_port}", path)
    handler.op = op  # type: ignore[attr-defined]
    with serving(server):
        yield op
