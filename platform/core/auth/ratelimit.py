"""Login rate limiting: after 5 failures for one tenant+username in 15 minutes, refuse.

In-process; with several app processes this moves to Redis (same interface).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

WINDOW_SECONDS = 15 * 60
MAX_FAILURES = 5


class LoginLimiter:
    def __init__(self, window: float = WINDOW_SECONDS, limit: int = MAX_FAILURES) -> None:
        self.window, self.limit = window, limit
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        q, cutoff = self._failures[key], time.monotonic() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def blocked(self, tenant: str, username: str) -> bool:
        return len(self._recent((tenant, username.lower()))) >= self.limit

    def failed(self, tenant: str, username: str) -> None:
        self._recent((tenant, username.lower())).append(time.monotonic())

    def succeeded(self, tenant: str, username: str) -> None:
        self._failures.pop((tenant, username.lower()), None)
