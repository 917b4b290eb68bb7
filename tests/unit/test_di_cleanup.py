"""A ``yield`` dependency is closed when a later dependency refuses the request — which
Litestar's own resolution does not do (the gap ``di_cleanup`` fills)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar, get
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.testing import TestClient

from kasane.core.web import di_cleanup


def _events_of_a_refused_request() -> list[str]:
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        events.append("open")
        try:
            yield "session"
        except NotAuthorizedException:
            events.append("rolled back")
            raise
        finally:
            events.append("closed")

    async def login(session: NamedDependency[str]) -> str:
        raise NotAuthorizedException()

    @get("/", dependencies={"session": Provide(session), "actor": Provide(login)})
    async def page(actor: NamedDependency[str]) -> str:
        return actor

    with TestClient(Litestar([page])) as client:
        assert client.get("/").status_code == 401
        return list(events)  # what had happened when the answer went out


def test_litestars_own_resolution_never_rolls_the_session_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(KwargsModel, "resolve_dependencies", di_cleanup.UPSTREAM)
    # the refusal is never thrown into the session: no rollback on the request's task (the
    # garbage collector closes the generator later, wherever it runs)
    assert "rolled back" not in _events_of_a_refused_request()


def test_a_session_dependency_is_closed_when_the_login_dependency_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(KwargsModel, "resolve_dependencies", di_cleanup.resolve_dependencies)
    # the generator is closed on the request's own task, before the answer went out
    assert _events_of_a_refused_request() == ["open", "rolled back", "closed"]
