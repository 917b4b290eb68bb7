"""OpenTelemetry behind KASANE_TRACING: spans per request and per statement, and never the
query string (a search may hold a name) nor statement parameters."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kasane.app import create_app
from tests.conftest import Env, login

SEARCH = "検証山田"


def test_requests_and_statements_are_traced_without_queries_or_parameters(
    sqlite_env: Env,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    app = create_app(replace(sqlite_env.settings, tracing=True))
    with TestClient(app, base_url="http://usuki.kasane.test") as c:
        login(c, "caseworker")
        exporter.clear()
        assert c.get(f"/registry?q={SEARCH}").status_code == 200
    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.kind == trace.SpanKind.SERVER]
    statements = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    assert len(server) == 1 and server[0].name.startswith("HTTP GET")
    assert statements, [s.name for s in spans]
    assert all(s.parent is not None for s in statements)  # inside the request's trace
    everything = repr([(s.name, dict(s.attributes or {})) for s in spans])
    assert SEARCH not in everything and "q=" not in everything
