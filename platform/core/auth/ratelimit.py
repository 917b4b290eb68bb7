"""Login throttling that an attacker cannot turn into a lockout of a named user.

Two counters, over a sliding 15-minute window, in the app's ephemeral store (Redis with
several processes, so a failure counted on one process blocks the next try on any other):

* per (tenant, user name, client): 5 failures and that client may not try that user name
  again for the window. The person at their own desk (another client) is not affected, so
  guessing someone's password from elsewhere never locks them out;
* per client, whatever the user name and the tenant: 20 failures and the client may not
  try any user name — password spraying (one password across many names) is capped.

A success clears the (user, client) counter only: a sprayer's own successful guess does
not reset its allowance. The client is the address the ASGI server reports; behind a load
balancer, run the server with the proxy's forwarded address trusted (uvicorn
``--forwarded-allow-ips``) so that each person is their own client.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar import Request

from kasane.core.ephemeral import EphemeralStore

WINDOW_SECONDS = 15 * 60
MAX_FAILURES = 5  # for one user name from one client
MAX_CLIENT_FAILURES = 20  # from one client, across user names and tenants
KIND = "login_failures"
CLIENT_KIND = "login_failures_client"
ALL_TENANTS = "all"


def client_of(request: Request[Any, Any, Any]) -> str:
    """The client a request counts against: the address the ASGI server reports."""
    return request.client.host if request.client else ""


class LoginLimiter:
    def __init__(
        self,
        store: EphemeralStore,
        key_secret: str = "",
        window: float = WINDOW_SECONDS,
        limit: int = MAX_FAILURES,
        client_limit: int = MAX_CLIENT_FAILURES,
    ) -> None:
        self.store, self.window = store, window
        self.limit, self.client_limit = limit, client_limit
        self._secret = key_secret.encode()

    def _key(self, *parts: str) -> str:
        # Keyed hash: the store never holds a user name or an address, nor one found by
        # hashing a word list.
        joined = "\x00".join(p.lower() for p in parts).encode()
        return hmac.new(self._secret, joined, hashlib.sha256).hexdigest()

    async def blocked(self, tenant: str, username: str, client: str) -> bool:
        """Whether this client may not try this user name now."""
        pair = await self.store.hits(KIND, tenant, self._key(username, client), self.window)
        if pair >= self.limit:
            return True
        spray = await self.store.hits(CLIENT_KIND, ALL_TENANTS, self._key(client), self.window)
        return spray >= self.client_limit

    async def failed(self, tenant: str, username: str, client: str) -> None:
        await self.store.hit(KIND, tenant, self._key(username, client), self.window)
        await self.store.hit(CLIENT_KIND, ALL_TENANTS, self._key(client), self.window)

    async def succeeded(self, tenant: str, username: str, client: str) -> None:
        await self.store.delete(KIND, tenant, self._key(username, client))
