"""The town's own settings: one row per counter, area or meeting the admin touched.

A row whose key the plugin also answers holds only the fields the town changed (the rest
still comes from the plugin, and a reset empties ``values``); a row with a key of its own
holds the whole item. Rows are never deleted: retiring keeps the item's name for old
records, and ``revision`` only grows, so the configuration version a record keeps
(``town_config_version``) means one configuration for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, utcnow

KINDS = ("counter", "area", "meeting", "menu", "field")


class TownSetting(TenantScoped, Base):
    """What the town's admin set for one counter, area or meeting over the plugin."""

    __tablename__ = "town_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "key"),)

    # counter | area | meeting | menu | field (a local field on the intake or assessment form)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    # field → value the town set (a plugin item's changed fields, or a whole own item)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    position: Mapped[int | None] = mapped_column(Integer)  # None: the plugin's order
    retired: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
