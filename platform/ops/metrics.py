"""Prometheus metrics, served on their own internal port (``KASANE_METRICS_PORT``), never
on a tenant's host: request latency by route and status, the database pool, job runs and
failures, and the audit chains' state.

Labels are route names (``/cases/{case_id:uuid}``, never a filled-in path), status codes,
job names and tenant slugs: no personal data, no ids.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("kasane.metrics")

REQUEST_LATENCY = Histogram(
    "kasane_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status.",
    ("route", "method", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOB_RUNS = Counter(
    "kasane_job_runs", "Job runs by job and outcome (succeeded, failed, alarm).", ("job", "status")
)
JOB_DURATION = Histogram("kasane_job_duration_seconds", "How long a job run took.", ("job",))
AUDIT_CHAIN_OK = Gauge(
    "kasane_audit_chain_ok",
    "1 when the tenant's audit hash chain verified at the last check, 0 when it is broken.",
    ("tenant",),
)
_engines: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


class PoolCollector(Collector):
    """The database pools' state, read when Prometheus scrapes (``track_pool``)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        used = GaugeMetricFamily(
            "kasane_db_pool_checked_out", "Database connections in use, by pool.", labels=["pool"]
        )
        size = GaugeMetricFamily(
            "kasane_db_pool_size", "Connections the pool holds open, by pool.", labels=["pool"]
        )
        for name, engine in list(_engines.items()):
            pool = engine.sync_engine.pool
            for family, attr in ((used, "checkedout"), (size, "size")):
                value = getattr(pool, attr, None)
                family.add_metric([name], float(value()) if callable(value) else 0.0)
        yield used
        yield size


REGISTRY.register(PoolCollector())


def track_pool(name: str, engine: Any) -> None:
    """Report ``engine``'s pool as ``pool=name`` (the app's, the central site's)."""
    _engines[name] = engine


_served: set[int] = set()


def serve_metrics(port: int, addr: str = "0.0.0.0") -> bool:
    """Serve ``/metrics`` on ``port`` (once per process). False when it cannot bind — e.g.
    a second worker process of one server: the first one's port answers."""
    if not port or port in _served:
        return False
    try:
        start_http_server(port, addr=addr, registry=REGISTRY)
    except OSError as exc:
        log.warning("metrics port not bound", extra={"port": port, "error": str(exc)})
        return False
    _served.add(port)
    return True
