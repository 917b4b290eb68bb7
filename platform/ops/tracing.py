"""OpenTelemetry tracing behind ``KASANE_TRACING=1``: a span per request (ASGI) and per
database statement (SQLAlchemy), exported over OTLP as the standard ``OTEL_*`` variables
say (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME`` …).

Spans are named by route template; the statement text of a span holds placeholders only
(never parameters); no request body, query string or header is recorded.
"""

from __future__ import annotations

from typing import Any


def instrument(app: Any) -> None:
    """Trace the app's requests and its database statements."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(resource=Resource.create({"service.name": "kasane"}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    # its declared range stops at SQLAlchemy 2.0; the engine events it uses are unchanged in
    # 2.1 (tests/integration/test_tracing.py checks the spans)
    SQLAlchemyInstrumentor().instrument(engine=app.state.db.engine.sync_engine, skip_dep_check=True)
    inner = app.asgi_handler

    async def restore_query(scope: Any, receive: Any, send: Any) -> None:
        scope["query_string"] = scope.pop("kasane_query_string", b"")
        await inner(scope, receive, send)

    traced = OpenTelemetryMiddleware(
        restore_query,
        default_span_details=lambda scope: (f"HTTP {scope.get('method', '')}", {}),
        exclude_spans=["receive", "send"],
    )

    async def without_query(scope: Any, receive: Any, send: Any) -> None:
        # the span records the path, never the query string (a search may hold a name)
        if scope["type"] == "http":
            scope["kasane_query_string"] = scope.get("query_string", b"")
            scope["query_string"] = b""
        await traced(scope, receive, send)

    app.asgi_handler = without_query
