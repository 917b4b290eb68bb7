"""Structured JSON logs (structlog) for the app, the worker and everything they import.

Every line is one JSON object on stdout: ``timestamp``, ``level``, ``logger``, ``event``,
and — inside a request — ``request_id``, ``tenant`` (the slug), ``route`` (the route
template, never the filled-in path or query) and at the end ``status``. Libraries that log
through the standard library (uvicorn, procrastinate, SQLAlchemy) are rendered the same way.

What never goes in: form bodies, query strings, cookies, names or any free text. Requests
are logged by :mod:`kasane.ops.observe` from the route template and status only; expected
4xx answers are not logged as tracebacks (:func:`exception_logging`), and the database
engine hides statement parameters from its errors.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


def configure_logging(level: str = "INFO") -> None:
    """Route the standard library's logging through structlog's JSON renderer (the root
    logger's only handler; call it after the Litestar apps are built)."""
    global _configured
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # its lines carry the query string
    _configured = True


# Expected answers: never a traceback in the logs (the status says it all).
EXPECTED_STATUSES = set(range(400, 500))


def exception_logging(logger: logging.Logger, scope: Any, tb: list[str]) -> None:
    """Litestar's hook for an unexpected exception (a 500): one error line with the
    traceback, the route template and the tenant — never the path, query or body."""
    tenant = (scope.get("state") or {}).get("tenant")
    logging.getLogger("kasane.http").error(
        "unhandled exception",
        extra={
            "route": scope.get("path_template", ""),
            "tenant": getattr(tenant, "slug", None),
            "traceback": "".join(tb),
        },
    )
