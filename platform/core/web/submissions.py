"""One-time submission keys: a form sent twice is saved once.

Every form that posts carries a random ``_submission`` value (``static/kasane.js`` adds it).
When a save's answer is lost on the way back (a dropped connection, a proxy's timeout), the
person's natural retry sends the same key: it gets the first submission's result and nothing
is written or audited a second time.

The key is claimed before the request runs (an atomic add in the ephemeral store, shared by
every process through Redis) and, once the answer is known, replaced by what the retry
needs: the status and the redirect headers — never the page, which may hold personal data.
A refused or failed submission (4xx, 5xx, an outage) releases its key, so the same form can
be sent again once corrected or once the database is back. Decision record 0022.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from urllib.parse import unquote_plus, urlsplit

from litestar.enums import ScopeType
from litestar.types import HTTPResponseStartEvent, Message, Receive, Scope, Send

from kasane.core.ephemeral import EphemeralStore

KIND = "submission"
FIELD = b"_submission="
VALID_KEY = re.compile(r"[0-9a-f]{16,64}")
PENDING_TTL = 120.0  # a request still running after two minutes is presumed dead
DONE_TTL = 24 * 3600.0  # a retry the next morning still finds the first result
WAIT_FOR_FIRST = 10.0  # a retry sent while the first is still running waits for it
# Signing in and out, the language and the agency switch set cookies: never replayed.
NOT_KEPT = ("/login", "/logout", "/lang/", "/session/agency", "/sso/")
REPLAYED_HEADERS = (b"location", b"hx-redirect", b"hx-location", b"hx-refresh", b"hx-trigger")

App = Callable[[Scope, Receive, Send], Awaitable[None]]


def split_key(body: bytes) -> tuple[str | None, bytes]:
    """The url-encoded body's submission key, and the body without it (handlers never see
    it, so no form model has to allow an extra field)."""
    key, kept = None, []
    for part in body.split(b"&"):
        if part.startswith(FIELD):
            value = unquote_plus(part[len(FIELD) :].decode("latin-1"))
            key = value if VALID_KEY.fullmatch(value) else None
        else:
            kept.append(part)
    return key, b"&".join(kept)


def applies(scope: Scope) -> bool:
    return (
        scope["type"] == ScopeType.HTTP
        and scope["method"] == "POST"
        and not str(scope["path"]).startswith(NOT_KEPT)
    )


async def once(
    app: App,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    store: EphemeralStore,
    tenant: str,
    key: str,
    session: str,
) -> None:
    """Run ``app`` for the first submission of ``key``; answer a repeat with its result."""
    ident = hashlib.sha256(f"{session}\0{scope['path']}\0{key}".encode()).hexdigest()
    if not await store.add(KIND, tenant, ident, {"state": "pending"}, PENDING_TTL):
        first = await _wait_for_first(store, tenant, ident)
        await _replay(scope, send, first)
        return
    answer: dict[str, object] = {}

    async def keep_answer(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = [
                [k.decode("latin-1"), v.decode("latin-1")]
                for k, v in message.get("headers", [])
                if k.lower() in REPLAYED_HEADERS
            ]
        try:
            await send(message)
        except OSError:  # the person's connection is gone: the retry will get the result
            pass

    try:
        await app(scope, receive, keep_answer)
    except BaseException:
        await store.delete(KIND, tenant, ident)
        raise
    status = int(answer.get("status", 500))  # type: ignore[call-overload]
    if status < 400:
        await store.put(KIND, tenant, ident, {"state": "done", **answer}, DONE_TTL)
    else:  # refused or failed: nothing was written, the same form may be sent again
        await store.delete(KIND, tenant, ident)


async def _wait_for_first(
    store: EphemeralStore, tenant: str, ident: str
) -> dict[str, object] | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_FIRST
    while True:
        found = await store.get(KIND, tenant, ident)
        if found is None or found.get("state") == "done" or loop.time() > deadline:
            return found if found and found.get("state") == "done" else None
        await asyncio.sleep(0.2)


async def _replay(scope: Scope, send: Send, first: dict[str, object] | None) -> None:
    """The first submission's redirect; for an htmx save a page refresh (which shows what
    was saved); when the first is still running or vanished, 409 and a reload link."""
    htmx = _header(scope, b"hx-request") == "true"
    headers: list[tuple[bytes, bytes]] = [(b"cache-control", b"no-store")]
    if first is None:
        status, body = 409, CONFLICT_HTML.encode()
        headers.append((b"content-type", b"text/html; charset=utf-8"))
    else:
        status, body = int(first["status"]), b""  # type: ignore[call-overload]
        kept = [(str(k).encode(), str(v).encode()) for k, v in first["headers"]]  # type: ignore[attr-defined]
        headers += kept
        if not 300 <= status < 400 and not any(k == b"hx-redirect" for k, _ in kept):
            if htmx:
                status = 200
                headers.append((b"hx-refresh", b"true"))
            else:  # a page answered the first: go back to where the form was
                status = 303
                headers.append((b"location", _back(scope).encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == name), "")


def _back(scope: Scope) -> str:
    referer = urlsplit(_header(scope, b"referer"))
    path = referer.path if referer.path.startswith("/") else "/"
    return path + (f"?{referer.query}" if referer.query else "")


CONFLICT_HTML = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>送信済みです</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/core/app.css"></head>
<body><main id="main" class="card narrow" role="alert" data-kasane-failed>
<h1>同じ送信を処理しています</h1>
<p>この内容はすでに送信され、処理中です。二重に保存しないため、少し待ってからページを開き直して結果を確かめてください。</p>
<p lang="en">This form was already sent and is still being processed. To avoid saving it twice,
wait a moment and reload the page to see the result.</p>
<p><a href="/">ホームへ / Home</a></p>
</main></body></html>"""
