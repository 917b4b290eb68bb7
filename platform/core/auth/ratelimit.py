"""Login rate limiting: after 5 failures for one tenant+username in 15 minutes, refuse.

The failure window lives in the app's ephemeral store (Redis with several processes), so a
failure counted on one process blocks the next try on any other; a success clears it.
"""

from __future__ import annotations

import hashlib
import hmac

from kasane.core.ephemeral import EphemeralStore

WINDOW_SECONDS = 15 * 60
MAX_FAILURES = 5
KIND = "login_failures"


class LoginLimiter:
    def __init__(
        self,
        store: EphemeralStore,
        key_secret: str = "",
        window: float = WINDOW_SECONDS,
        limit: int = MAX_FAILURES,
    ) -> None:
        self.store, self.window, self.limit = store, window, limit
        self._secret = key_secret.encode()

    def _user_key(self, username: str) -> str:
        # Keyed hash: the store never holds a user name, nor one found by hashing a word list.
        return hmac.new(self._secret, username.lower().encode(), hashlib.sha256).hexdigest()

    async def blocked(self, tenant: str, username: str) -> bool:
        count = await self.store.hits(KIND, tenant, self._user_key(username), self.window)
        return count >= self.limit

    async def failed(self, tenant: str, username: str) -> None:
        await self.store.hit(KIND, tenant, self._user_key(username), self.window)

    async def succeeded(self, tenant: str, username: str) -> None:
        await self.store.delete(KIND, tenant, self._user_key(username))
