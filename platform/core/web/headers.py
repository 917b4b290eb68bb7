"""Security headers on every response, whatever produced it (routes, static files, the
host router's own pages).

The Content-Security-Policy allows no inline script or style and no eval: pages load
scripts and stylesheets from this origin only (htmx is configured for it in ``base.html``:
no indicator ``<style>``, no ``hx-on``). No page may be framed. HSTS is sent when the app
is served over HTTPS (``secure_cookies``, on by default outside demo).
"""

from __future__ import annotations

from litestar.types import Message, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


NO_STORE = (b"cache-control", b"no-store")


def with_security_headers(send: Send, *, https: bool, cacheable: bool = False) -> Send:
    """``send`` that adds the headers to the response start (a route's own value wins,
    e.g. the iCal feed's stricter ``Referrer-Policy: no-referrer``). Unless ``cacheable``
    (static files) or the route set its own ``Cache-Control``, nothing is stored: a staff
    page left in a shared PC's cache would outlive the logout."""
    extra = (*BASE_HEADERS, HSTS) if https else BASE_HEADERS
    if not cacheable:
        extra = (*extra, NO_STORE)

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            present = {bytes(k).lower() for k, _ in headers}
            headers += [(k, v) for k, v in extra if k not in present]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
