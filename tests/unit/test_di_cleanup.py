"""A ``yield`` dependency is closed when a later dependency refuses the request."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.testing import TestClient

from kasane.core.web import di_cleanup


def test_a_session_dependency_is_closed_when_the_login_dependency_raises() -> None:
    di_cleanup.install()
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
    # the generator was closed on the request's own task, before the answer went out
    assert events == ["open", "rolled back", "closed"]
