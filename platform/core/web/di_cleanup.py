"""Close generator dependencies when a later dependency fails (a Litestar 2 gap).

Litestar closes a ``yield`` dependency (our per-request database session) when the handler
returns or raises, but not when *another dependency* raises while they are being resolved —
``requires_login`` raising ``LoginRequired`` or a permission refusal, or failing to reach the
database. The session's generator was then left open until the garbage collector closed it
on whatever task ran next: a connection held meanwhile and, during an outage, ``RuntimeError:
aclose(): asynchronous generator is already running`` in the log (issue 22).

:func:`install` replaces ``KwargsModel.resolve_dependencies`` with the same loop plus that
missing step: on failure the exception is thrown into the generators resolved so far (the
session rolls back and closes) before it propagates. Upstream's loop is copied from Litestar
2.25 (MIT licence); drop this module when Litestar does the same.
"""

from __future__ import annotations

from typing import Any

from anyio import create_task_group
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection

UPSTREAM = KwargsModel.resolve_dependencies  # Litestar's own (the tests show its gap)


async def resolve_dependencies(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    try:
        for batch in self.dependency_batches:
            if len(batch) == 1:
                await resolve_dependency(next(iter(batch)), connection, kwargs, cleanup_group)
            else:
                try:
                    async with create_task_group() as task_group:
                        for dependency in batch:
                            task_group.start_soon(
                                resolve_dependency, dependency, connection, kwargs, cleanup_group
                            )
                except BaseExceptionGroup as group:  # what anyio's task group raises on 3.11+
                    raise group.exceptions[0] from group
    except BaseException as exc:
        try:  # what Litestar leaves to the garbage collector
            await cleanup_group.close(exc)
        except Exception:
            pass
        raise
    return cleanup_group


def install() -> None:
    KwargsModel.resolve_dependencies = resolve_dependencies  # type: ignore[method-assign]
