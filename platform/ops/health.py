"""``/healthz`` and ``/readyz``, answered on every host before any tenant is looked up.

- ``/healthz``: the process is alive and answering (liveness; touches nothing else).
- ``/readyz``: the database answers, Redis answers when configured, and no migration is
  pending (readiness): 200 ``{"status": "ok", …}`` or 503 naming the failing check —
  never a URL, a password or an error text.

A pure ASGI responder, in its own module: it must keep answering while the database is
down, when every other page of a tenant's host cannot.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import text

HEALTH_PATHS = ("/healthz", "/readyz")
CHECK_TIMEOUT = 2.0
log = logging.getLogger("kasane.health")
_heads: set[str] | None = None


def script_heads() -> set[str]:
    """The migrations' head revision(s) this code expects (read once)."""
    global _heads
    if _heads is None:
        from alembic.script import ScriptDirectory

        from kasane.migrations import alembic_config

        _heads = set(ScriptDirectory.from_config(alembic_config("")).get_heads())
    return _heads


async def _database(app: Any) -> str:
    db = app.state.db
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    if {r[0] for r in rows} != script_heads():
        return "migrations pending"
    return ""


async def _redis(app: Any) -> str:
    url = app.state.settings.redis_url
    if not url:
        return ""
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return ""


async def readiness(app: Any) -> dict[str, str]:
    """Each check's state: "ok", "pending" (migrations) or "unreachable"."""
    checks: dict[str, str] = {}
    try:
        pending = await asyncio.wait_for(_database(app), CHECK_TIMEOUT)
        checks["database"], checks["migrations"] = "ok", "pending" if pending else "ok"
    except Exception as exc:  # any failure means not ready; only its class is logged
        log.warning("readiness: database", extra={"error": type(exc).__name__})
        checks["database"] = "unreachable"
    if app.state.settings.redis_url:
        try:
            await asyncio.wait_for(_redis(app), CHECK_TIMEOUT)
            checks["redis"] = "ok"
        except Exception as exc:
            log.warning("readiness: redis", extra={"error": type(exc).__name__})
            checks["redis"] = "unreachable"
    return checks


async def answer_health(app: Any, scope: Any, send: Any) -> None:
    """Answer ``/healthz`` or ``/readyz`` (GET or HEAD)."""
    if scope["path"] == "/healthz":
        status, body, kind = 200, b"ok", b"text/plain; charset=utf-8"
    else:
        checks = await readiness(app)
        ok = all(v == "ok" for v in checks.values())
        status = 200 if ok else 503
        body = json.dumps({"status": "ok" if ok else "unavailable", "checks": checks}).encode()
        kind = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
