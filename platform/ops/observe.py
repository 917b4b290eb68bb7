"""Per request: a request id, the log context, one access log line and the latency metric.

Wrapped around every HTTP request by ``KasaneApp.__call__`` before anything else, so the
tenant resolver, the handlers and the error pages log with the same ``request_id``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import structlog

from kasane.ops.metrics import REQUEST_LATENCY

log = logging.getLogger("kasane.http")
# An id from the ingress (X-Request-ID) is kept when it looks like one; else a new one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _request_id(scope: Any) -> str:
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            candidate = value.decode("latin-1")
            if REQUEST_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def observed(scope: Any, send: Any) -> Any:
    """Bind the request's log context and return a ``send`` that adds ``X-Request-ID``,
    then logs the request and observes its latency when the answer starts."""
    request_id = _request_id(scope)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    method = scope.get("method", "")

    async def wrapped(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append((b"x-request-id", request_id.encode()))
            message = {**message, "headers": headers}
            status = int(message["status"])
            route = scope.get("path_template") or _unrouted(scope)
            tenant = (scope.get("state") or {}).get("tenant")
            slug = getattr(tenant, "slug", None)
            elapsed = time.perf_counter() - started
            REQUEST_LATENCY.labels(route=route, method=method, status=str(status)).observe(elapsed)
            log.info(
                "request",
                extra={
                    "tenant": slug,
                    "route": route,
                    "method": method,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
        await send(message)

    return wrapped


def _unrouted(scope: Any) -> str:
    """A label for a request no route matched (404s, health, static): never the raw path."""
    path = str(scope.get("path", ""))
    for prefix in ("/static/", "/healthz", "/readyz"):
        if path.startswith(prefix):
            return prefix.rstrip("/") + ("/*" if prefix.endswith("/") else "")
    return "(unmatched)"


def bind_tenant(slug: str | None) -> None:
    """Add the tenant to the request's log context once it is known."""
    structlog.contextvars.bind_contextvars(tenant=slug)


def unbind() -> None:
    structlog.contextvars.clear_contextvars()


__all__ = ["bind_tenant", "observed", "unbind"]
