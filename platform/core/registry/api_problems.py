"""How the HSDS read API answers a failure: RFC 9457 problem details.

Every answer under ``/api/hsds`` that is not a success is ``application/problem+json`` —
``{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "…"}`` — whatever
failed: an unknown or malformed id (404), a bad query value (400, with ``invalid-params``
naming each parameter, as RFC 9457's own example does), a path or method the API does not
have (404, 405), or a fault of ours (500). ``detail`` is in the caller's language (Japanese
by default). No answer names the request's path or id: another municipality's record and a
missing one must read the same, byte for byte.

Two places apply it: :func:`with_api_problems` wraps the app's exception handlers (routing
failures happen before any controller is chosen, so only the app's handlers see them), and
:func:`api_errors` documents the answers on each operation of the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.responses import create_exception_response
from litestar.openapi.datastructures import ResponseSpec

from kasane.core.errors import NotFound
from kasane.core.i18n import N_, gettext
from kasane.core.web.outage import RETRY_AFTER_SECONDS, is_outage

API_PREFIX = "/api/hsds"
PROBLEM_JSON = "application/problem+json"
NOT_FOUND = N_("Not found: no such record (or it is not public), or no such path in this API.")
INVALID = N_("A query parameter has a value this API does not accept: see invalid-params.")
READ_ONLY = N_("This API only reads: use GET.")
UNAVAILABLE = N_("The service cannot reach its database right now. Please try again shortly.")
SERVER_ERROR = N_("The server could not answer. The error is logged; please try again later.")

ExceptionHandler = Callable[[Request[Any, Any, Any], Exception], Response[Any]]


class InvalidParam(msgspec.Struct, kw_only=True):
    """One parameter the request got wrong (RFC 9457's ``invalid-params`` example)."""

    name: str
    reason: str


class ApiProblem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem: ``type`` is ``about:blank`` (the HTTP status says it all) and
    ``title`` the status's phrase; ``detail`` explains this occurrence."""

    type: str
    title: str
    status: int
    detail: str
    invalid_params: list[InvalidParam] = msgspec.field(default_factory=list, name="invalid-params")


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def problem(
    status: int,
    detail: str,
    *,
    invalid: list[InvalidParam] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[ApiProblem]:
    """The problem answer for ``status``; ``detail`` is already translated."""
    body = ApiProblem(
        type="about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        invalid_params=invalid or [],
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def bad_parameter(name: str, reason: str) -> ValidationException:
    """The exception for one bad query value (answered as a 400 problem naming ``name``)."""
    return ValidationException(
        detail=f"{name}: {reason}", extra=[{"key": name, "message": reason, "source": "query"}]
    )


def _invalid_params(exc: ValidationException) -> list[InvalidParam]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    return [
        InvalidParam(name=str(e.get("key") or "?"), reason=str(e.get("message") or ""))
        for e in extra
        if isinstance(e, dict)
    ]


def problem_for(request: Request[Any, Any, Any], exc: Exception) -> Response[ApiProblem]:
    """The problem answer for any exception raised while serving an API request."""
    if isinstance(exc, NotFound):
        return problem(404, gettext(NOT_FOUND))
    if isinstance(exc, ValidationException) and exc.status_code == 400:
        return problem(400, gettext(INVALID), invalid=_invalid_params(exc))
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        known = {404: NOT_FOUND, 405: READ_ONLY}.get(exc.status_code)
        detail = gettext(known) if known else str(exc.detail)
        return problem(exc.status_code, detail, headers=exc.headers)
    if is_outage(exc):  # the database or Redis is unreachable: try again shortly
        return problem(
            503,
            gettext(UNAVAILABLE),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    # the app logs every exception (LoggingConfig(log_exceptions="always")) before this
    return problem(500, gettext(SERVER_ERROR))


def with_api_problems(handlers: Mapping[Any, ExceptionHandler]) -> dict[Any, ExceptionHandler]:
    """The app's exception handlers, each answering with a problem under ``/api/hsds``.

    A handler for 500 is added (Litestar picks it for any exception no handler names): a
    problem under the API; elsewhere whatever would have answered without it."""

    def wrap(handler: ExceptionHandler) -> ExceptionHandler:
        def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
            if is_api_path(request.url.path):
                return problem_for(request, exc)
            return handler(request, exc)

        return handle

    def unnamed(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        named = (handlers[c] for c in type(exc).__mro__ if c in handlers)
        return next(named, create_exception_response)(request, exc)

    wrapped: dict[Any, ExceptionHandler] = {key: wrap(h) for key, h in handlers.items()}
    wrapped.setdefault(500, wrap(unnamed))
    return wrapped


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ApiProblem,
        media_type=PROBLEM_JSON,
        description=description,
        generate_examples=False,
    )


ERRORS = {
    400: "A parameter has a value the API does not accept (``invalid-params`` names each).",
    404: "No such record: unknown, another municipality's (not shared), not public (without"
    " a login), or the id is not a UUID.",
}


def api_errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The error answers an operation documents (its route's ``responses=``)."""
    return {status: _spec(ERRORS[status]) for status in statuses}


# ------------------------------------------------------------------ CORS

SESSION_COOKIE_PREFIX = b"kasane_session="  # kasane.core.web.deps.SESSION_COOKIE


def with_api_cors(scope: Any, send: Any) -> Any:
    """``Access-Control-Allow-Origin: *`` on the anonymous read API (issue 17): a town's
    open-data page elsewhere can read the public entries from the browser. Only on GET and
    HEAD under ``/api/hsds`` without a staff session cookie, never with
    ``Access-Control-Allow-Credentials``: a browser sending cookies cross-origin is refused
    the answer, so nothing staff see leaves through this."""
    if scope.get("method") not in ("GET", "HEAD") or not is_api_path(scope.get("path", "")):
        return send
    cookies = b";".join(v for k, v in scope.get("headers", ()) if k == b"cookie")
    if SESSION_COOKIE_PREFIX in cookies:
        return send

    async def cors_send(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            headers.append((b"access-control-allow-origin", b"*"))
            message = {**message, "headers": headers}
        await send(message)

    return cors_send
