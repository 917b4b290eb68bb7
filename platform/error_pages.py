"""The answers of the tenant app's exception handlers: the not-found page, the login
redirect, the read-only notice, the error page, and the outage page for an outage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar_htmx import ClientRedirect

from kasane.core.protection.mynumber import MyNumberRefused, field_label
from kasane.core.web.outage import FALLBACK_ERROR_HTML, is_outage, unavailable
from kasane.core.web.templating import htmx_of, render


def not_found(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    """The not-found page (404)."""
    # One body for missing, other tenant's and not-yours: nothing tells them apart.
    return render(request, "not_found", status_code=404, fragment=False)


def login_required(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    """To the sign-in page, coming back to the page the person was on."""
    htmx = htmx_of(request)
    if htmx:
        # back to the page the person was typing on (its draft is offered there again),
        # not to the address the form posted to
        page = urlsplit(htmx.current_url or "").path or request.url.path
        return ClientRedirect("/login?next=" + page)
    return Redirect("/login?next=" + request.url.path)


def read_only(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
    """The suspended tenant's notice page (423) for a write."""
    return render(request, "suspended", status_code=423, fragment=False)


def http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    """The error page for an HTTP error (the not-found page for a 404)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return not_found(request, exc)
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    return render(
        request, "error", {"status": status, "detail": detail}, status_code=status, fragment=False
    )


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    """The outage page (503) for an outage, else the error page (500)."""
    # An unreachable database or Redis is an outage (503, try again), anything else a bug.
    if is_outage(exc):
        return unavailable(request, exc)
    try:
        return render(
            request, "error", {"status": 500, "detail": ""}, status_code=500, fragment=False
        )
    except Exception:
        return Response(FALLBACK_ERROR_HTML, media_type=MediaType.HTML, status_code=500)


def mynumber_refused(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    """The error page (422) naming the field a My Number was typed in."""
    # The backstop for a form that did not check its own fields: nothing was stored.
    assert isinstance(exc, MyNumberRefused)
    return render(
        request,
        "error",
        {"status": 422, "detail": "", "mynumber_field": field_label(exc.field)},
        status_code=422,
    )
