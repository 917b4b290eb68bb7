"""A local OpenID provider (``oidc-provider-mock``) for the SSO tests.

Skipped with a reason when it cannot start, except under ``CI=true`` where that fails.
The issuer is ``http://localhost:<port>`` (the mock names the host it is reached at).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"oidc-provider-mock is required under CI: {reason}")
    pytest.skip(f"oidc-provider-mock cannot start: {reason}")


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[str]:
    """The issuer URL of a running mock provider (requires a nonce on every request)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # authlib.jose deprecation at import time
            import oidc_provider_mock
    except ImportError as exc:
        _unavailable(f"not installed ({exc})")
    try:
        server_cm = oidc_provider_mock.run_server_in_thread(port=0, require_nonce=True)
        server = server_cm.__enter__()
    except OSError as exc:
        _unavailable(str(exc))
    try:
        issuer = f"http://localhost:{server.server_port}"
        try:
            httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5).raise_for_status()
        except httpx.HTTPError as exc:
            _unavailable(str(exc))
        yield issuer
    finally:
        server_cm.__exit__(None, None, None)


def set_user(issuer: str, sub: str, **claims: object) -> None:
    """Tell the mock which claims ``sub`` gets (e-mail, email_verified, name …)."""
    httpx.put(f"{issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()


def authorize_as(authorize_url: str, sub: str) -> str:
    """Submit the mock's authorize form as ``sub``; returns the redirect back to the app
    (path and query only, for the in-process test client)."""
    r = httpx.post(authorize_url, data={"sub": sub}, follow_redirects=False, timeout=5)
    assert r.status_code in (302, 303), r.text
    parts = urlsplit(r.headers["location"])
    return f"{parts.path}?{parts.query}"
