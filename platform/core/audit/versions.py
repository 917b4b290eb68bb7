"""Answers that hold until a tenant's next audited change.

Every change to a tenant's records goes through a service that audits it (the house rule:
every state change is audited), so while the tenant's last audit sequence number stays the
same, so do its records — in every process, since the number is read from the database. A
count keyed by that number (the reports' figures, the case list's total) can be kept and
served again: the same answer as counting anew.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import audited_in_this_transaction

V = TypeVar("V")


def data_version_of(tenant_id: Any) -> ScalarSelect[Any]:
    """The tenant's last audited change, its own report views and downloads left out
    (reading a report changes no record); as a column another statement can carry."""
    last = (
        select(AuditEvent.seq)
        .where(AuditEvent.tenant_id == tenant_id, ~AuditEvent.action.like("report.%"))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    return last.scalar_subquery()


async def data_version(session: AsyncSession) -> int:
    """The bound tenant's :func:`data_version_of`."""
    last = await session.execute(select(data_version_of(session.info["tenant_id"])))
    return int(last.scalar() or 0)


async def version_key(
    session: AsyncSession, *asked: Hashable, version: int | None = None
) -> tuple[Hashable, ...] | None:
    """A kept answer's key: the database, the bound tenant and its :func:`data_version`
    (the database too, as two databases may hold the same tenant: a restored copy, each
    test's own), then what was ``asked``. ``version``: the data version when a statement of
    the request read it already (:func:`data_version_of` as a column).

    None inside a transaction that has audited a change: it would read its own change under
    the next version number before it is committed — and if it is rolled back, the next
    real change would find that answer kept."""
    if audited_in_this_transaction(session):
        return None
    return (
        session.bind.url.render_as_string(),  # type: ignore[union-attr]
        session.info["tenant_id"],
        version if version is not None else await data_version(session),
        *asked,
    )


class UntilNextChange(Generic[V]):
    """A small per-process map of counted answers, the least recently used dropped first.
    Its keys start with :func:`version_key`, so an entry is never served after a change:
    the next key differs. Without a key (None), nothing is read or kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable | None) -> V | None:
        if key is None:
            return None
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable | None, value: V) -> None:
        if key is None:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
