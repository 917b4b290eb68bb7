"""The town's settings: load, check (the plugin check's rules and messages), change.

Every change is checked against the whole configuration it would give (a counter's agency
and area must exist, a meeting's members must be agencies, …) with
:func:`kasane.core.plugin_rules.check_lists`, the same code ``kasane plugins check`` runs; a
refused change saves nothing. Every change is audited and raises the settings' revision,
which the configuration's version (kept by records) carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.config_types import TenantConfig
from kasane.core.db import utcnow
from kasane.core.errors import NotFound
from kasane.core.i18n import gettext
from kasane.core.plugin_answers import Problem
from kasane.core.town.effective import (
    TownRow,
    as_data,
    base_items,
    check_town,
    effective_items,
)
from kasane.core.town.models import KINDS, TownSetting


class TownSettingRefused(Exception):
    """The change would give a configuration the plugin check refuses."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.text for p in problems))
        self.problems = problems


def as_row(s: TownSetting) -> TownRow:
    return TownRow(s.kind, s.key, dict(s.values), s.position, s.retired, s.revision)


async def load_town_rows(session: AsyncSession) -> list[TownRow]:
    """Every setting of the session's tenant (for ``TenantLocal.town``)."""
    rows = await session.execute(select(TownSetting).order_by(TownSetting.kind, TownSetting.key))
    return [as_row(s) for s in rows.scalars()]


async def _settings(session: AsyncSession) -> dict[tuple[str, str], TownSetting]:
    rows = await session.execute(select(TownSetting))
    return {(s.kind, s.key): s for s in rows.scalars()}


async def _next_revision(session: AsyncSession) -> int:
    top = (await session.execute(select(func.max(TownSetting.revision)))).scalar_one()
    return int(top or 0) + 1


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound("town_setting")


async def _apply(
    session: AsyncSession,
    base: TenantConfig,
    kind: str,
    key: str,
    *,
    actor: str,
    action: str,
    values: Mapping[str, Any] | None = None,
    retired: bool | None = None,
    positions: Mapping[str, int] | None = None,
) -> None:
    """Check the configuration the change gives, then write it (audited).

    Raises:
        TownSettingRefused: with the plugin check's problems; nothing is written.
    """
    existing = await _settings(session)
    proposed = {k: as_row(s) for k, s in existing.items()}
    current = proposed.get((kind, key)) or TownRow(kind, key)
    if values is not None or retired is not None:
        proposed[(kind, key)] = TownRow(
            kind,
            key,
            dict(values) if values is not None else dict(current.values),
            current.position,
            retired if retired is not None else current.retired,
        )
    for k, pos in (positions or {}).items():
        row = proposed.get((kind, k)) or TownRow(kind, k)
        proposed[(kind, k)] = TownRow(kind, k, dict(row.values), pos, row.retired)
    problems = check_town(base, proposed.values())
    if problems:
        raise TownSettingRefused(problems)
    revision = await _next_revision(session)
    now = utcnow()
    for (k_kind, k_key), row in proposed.items():
        old = existing.get((k_kind, k_key))
        if old is not None and (dict(old.values), old.position, old.retired) == (
            dict(row.values),
            row.position,
            row.retired,
        ):
            continue
        if old is None:
            old = TownSetting(kind=k_kind, key=k_key, created_at=now, values={})
            session.add(old)
        old.values, old.position, old.retired = dict(row.values), row.position, row.retired
        old.revision, old.updated_at = revision, now
    await session.flush()
    await do_audit(
        session,
        actor,
        action,
        f"town_setting:{kind}:{key}",
        kind=kind,
        key=key,
        revision=revision,
        fields=sorted((values or {}).keys()),
    )


_ABSENT = object()


def _same(plugin_value: Any, value: Any) -> bool:
    """Whether a submitted value is the plugin's (its text as shown, translated, counts)."""
    if plugin_value is _ABSENT:
        return False
    if plugin_value == value:
        return True
    return (
        isinstance(plugin_value, str) and isinstance(value, str) and gettext(plugin_value) == value
    )


def base_item(base: TenantConfig, kind: str, key: str) -> Any | None:
    """The plugin's (or core's) item with this key, None for the town's own."""
    return next((i for i in base_items(base, kind) if i.key == key), None)


async def do_save_item(
    session: AsyncSession,
    base: TenantConfig,
    kind: str,
    key: str,
    data: Mapping[str, Any],
    *,
    actor: str,
) -> None:
    """Set an item's values: for a plugin item only those that differ from the plugin's are
    kept (the rest keeps following the plugin); a new key adds the town's own item."""
    _check_kind(kind)
    plugin_item = base_item(base, kind, key)
    existing = (await _settings(session)).get((kind, key))
    if plugin_item is not None:
        plugin_data = as_data(plugin_item)
        values = {
            k: v
            for k, v in data.items()
            if k != "key" and not _same(plugin_data.get(k, _ABSENT), v)
        }
        action = "town.setting.changed"
    else:
        values = {k: v for k, v in data.items() if k != "key"}
        action = "town.setting.changed" if existing is not None else "town.setting.added"
    await _apply(session, base, kind, key, actor=actor, action=action, values=values)


async def do_reset_item(
    session: AsyncSession, base: TenantConfig, kind: str, key: str, *, actor: str
) -> None:
    """Drop what the town set on a plugin item: the plugin's values apply again."""
    _check_kind(kind)
    if base_item(base, kind, key) is None:
        raise NotFound("town_setting")
    await _apply(
        session, base, kind, key, actor=actor, action="town.setting.reset", values={}, retired=False
    )


async def do_set_retired(
    session: AsyncSession, base: TenantConfig, kind: str, key: str, retired: bool, *, actor: str
) -> None:
    """Retire an item (offered nowhere; records that name it keep its name) or restore it."""
    _check_kind(kind)
    known = {e.key for e in effective_items(kind, base_items(base, kind), "", [])}
    if key not in known and (kind, key) not in await _settings(session):
        raise NotFound("town_setting")
    action = "town.setting.retired" if retired else "town.setting.restored"
    await _apply(session, base, kind, key, actor=actor, action=action, retired=retired)


async def do_move(
    session: AsyncSession,
    base: TenantConfig,
    effective: TenantConfig,
    kind: str,
    key: str,
    step: int,
    *,
    actor: str,
) -> None:
    """Move an item one place up (``step`` -1) or down (+1) among the active ones."""
    _check_kind(kind)
    rows = [as_row(s) for s in (await _settings(session)).values()]
    keys = [e.key for e in effective_items(kind, base_items(base, kind), "", rows) if not e.retired]
    if key not in keys:
        raise NotFound("town_setting")
    i = keys.index(key)
    j = max(0, min(len(keys) - 1, i + step))
    keys[i], keys[j] = keys[j], keys[i]
    positions = {k: (n + 1) * 10 for n, k in enumerate(keys)}
    await _apply(
        session, base, kind, key, actor=actor, action="town.setting.moved", positions=positions
    )
