"""Alembic migrations, run programmatically by ``kasane db upgrade`` (no alembic.ini).

The same migrations run on SQLite and PostgreSQL; on PostgreSQL they also create the
owner and app roles, grants and RLS policies (see ``kasane.core.db.rls``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` (an admin/owner URL on PostgreSQL)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
