"""What ``create_app`` adds for operations: the in-process job worker
(``KASANE_JOBS=inprocess``), the Prometheus port and OpenTelemetry tracing."""

from __future__ import annotations

from typing import Any

from kasane.settings import Settings


def ops_lifecycle(app: Any, settings: Settings) -> None:
    """Register start-up and shut-down steps on the Litestar ``app``."""
    if settings.metrics_port:
        from kasane.ops.metrics import serve_metrics, track_pool

        def start_metrics() -> None:
            track_pool("app", app.state.db.engine)
            track_pool("central", app.state.central.state.db.engine)
            serve_metrics(settings.metrics_port)

        app.on_startup.append(start_metrics)
    if settings.jobs == "inprocess":
        from kasane.ops.jobs.runner import InProcessJobs

        jobs = InProcessJobs(settings)
        app.state.jobs = jobs
        app.on_startup.append(jobs.start)
        app.on_shutdown.insert(0, jobs.stop)
    if settings.tracing:
        from kasane.ops.tracing import instrument

        instrument(app)
