"""When the database or Redis cannot be reached: 503 with ``Retry-After`` and a short page.

A lost connection is not a bug in the request: the person should read "try again in a
moment", in the town's look, and the htmx handler (``static/kasane.js``) shows the fragment
in place while the form keeps what was typed. The page needs neither the database nor Redis.
When even the page cannot be rendered, a static fallback is sent (:data:`FALLBACK_HTML`).
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from kasane.core.web.templating import render

RETRY_AFTER_SECONDS = 30
log = logging.getLogger("kasane.outage")

# Words a driver uses when the server went away mid-query or refused the connection.
_CUT = (
    "connection was closed",
    "connection is closed",
    "cannot switch to state",
    "server closed the connection",
    "terminating connection",
    "connection refused",
    "could not connect",
    "connection reset",
    "the database system is starting up",
    "the database system is shutting down",
    "database is locked",
)


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the database or Redis is unreachable (not a bug, not bad input)."""
    for e in _chain(exc):
        if isinstance(e, PoolTimeout | ConnectionError | asyncio.TimeoutError):
            return True
        if isinstance(e, OSError) and e.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(e, DBAPIError) and e.connection_invalidated:
            return True
        if type(e).__name__ in _DRIVER_CUTS or _says_cut(e):
            return True
    return False


# A refused, reset or unreachable server; other OSErrors (a missing file) are bugs.
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}
# asyncpg's and redis-py's names for a connection that is gone. redis-py's ConnectionError
# ("Connection closed by server.") and TimeoutError share the builtins' names, which count
# as an outage anyway; BusyLoadingError: a Redis still loading its data.
_DRIVER_CUTS = {
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "ConnectionError",
    "TimeoutError",
    "BusyLoadingError",
}


def _says_cut(e: BaseException) -> bool:
    if not isinstance(e, DBAPIError | RuntimeError) and not type(e).__module__.startswith(
        ("asyncpg", "redis")
    ):
        return False
    text = str(e).lower()
    return any(words in text for words in _CUT)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and e not in seen and len(seen) < 10:
        seen.append(e)
        e = e.__cause__ or e.__context__
        if isinstance(e, BaseExceptionGroup):  # pragma: no cover - TaskGroup wrapping
            e = e.exceptions[0]
    return seen


def unavailable(request: Request[Any, Any, Any], exc: BaseException | None = None) -> Response[str]:
    """The 503 page (a fragment for htmx), in the tenant's look when the tenant is known."""
    if exc is not None:
        log_outage(exc)
    try:
        response = render(request, "unavailable", status_code=503)
    except Exception:
        return static_unavailable()
    return _retry_later(response)


def log_outage(exc: BaseException) -> None:
    """One line, no traceback: the outage is the news, not the request that met it."""
    log.warning("service unavailable: %s: %s", type(exc).__name__, str(exc)[:200])


def static_unavailable() -> Response[str]:
    """The outage page that needs nothing (no tenant, no templates): the central site's."""
    return _retry_later(Response(FALLBACK_HTML, media_type=MediaType.HTML, status_code=503))


def _retry_later(response: Response[str]) -> Response[str]:
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


FALLBACK_HTML = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>一時的に利用できません</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/core/app.css"></head>
<body><main id="main" class="card narrow" role="alert">
<h1>一時的に利用できません</h1>
<p>データベースに接続できません。しばらくしてからもう一度お試しください。入力中の内容はこの画面を閉じずにお待ちください。</p>
<p lang="en">Kasane cannot reach its database right now. Please try again in a moment.</p>
</main></body></html>"""

FALLBACK_ERROR_HTML = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>エラー</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/core/app.css"></head>
<body><main id="main" class="card narrow" role="alert">
<h1>問題が発生しました</h1><p>エラー 500</p><p><a href="/">ホームへ</a></p>
<p lang="en">Something went wrong (error 500).</p>
</main></body></html>"""
