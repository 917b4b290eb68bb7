"""``kasane plugins preview NAME``: the staff pages of a throwaway town on a plugin.

A SQLite database in a temporary folder, migrated, with one active tenant bound to the
plugin (named after the plugin's ``MUNICIPALITY_CODE`` in the bundled list), its demo
accounts, a demo caseload and meetings. Nothing touches the operator's own database. The
pages to look at: home, intake, meetings and participation menus.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from kasane.core import plugins
from kasane.core.db import Database
from kasane.settings import Settings, load_settings
from kasane.tenants.municipalities import find_municipality

PAGES = ("/", "/intake", "/meetings", "/town")  # home, intake, meetings, menus (the town page)
FALLBACK_CODE = "442062"  # a plugin that names no code previews as this town


class PreviewRefused(ValueError):
    """The plugin cannot be previewed (unknown, or it fails its check)."""


def preview_settings(folder: Path) -> Settings:
    """Demo settings on a SQLite file in ``folder`` (its keys generated there too)."""
    settings = load_settings(
        database_url=f"sqlite:///{folder / 'preview.db'}",
        var_dir=folder,
        demo=True,
        base_domain="localhost",
    )
    return replace(settings, central_database_url="", jobs="off", smtp_url="")


def preview_slug(plugin_ref: str) -> str:
    slug = re.sub(r"[^a-z0-9-]", "-", plugin_ref.rsplit(".", 1)[-1].lower()).strip("-")
    return slug if re.match(r"^[a-z][a-z0-9-]{1,40}$", slug) else "preview"


async def prepare_preview(db: Database, plugin_ref: str) -> tuple[str, list[str]]:
    """Create the throwaway tenant on ``plugin_ref`` and seed it; returns its slug and
    what was created.

    Raises:
        PreviewRefused: no such plugin, or it fails its check (the problems are listed).
    """
    from kasane.tenants.demo import seed_town
    from kasane.tenants.operator import plugin_problems
    from kasane.tenants.services import do_create_tenant

    try:
        module = plugins.load_plugin(plugin_ref)
    except plugins.PluginNotFound as exc:
        raise PreviewRefused(f"no municipal plugin named {plugin_ref!r}") from exc
    town = find_municipality(str(getattr(module, "MUNICIPALITY_CODE", ""))) or find_municipality(
        FALLBACK_CODE
    )
    assert town is not None
    from kasane.core.config_types import TenantInfo

    info = TenantInfo(preview_slug(plugin_ref), town.name, town.code, town.prefecture)
    if problems := plugin_problems(plugin_ref, info):
        raise PreviewRefused("\n".join(problems))
    tenant = await do_create_tenant(
        db,
        slug=info.slug,
        name=town.name,
        municipality_code=town.code,
        prefecture=town.prefecture,
        plugin=plugin_ref,
        population=town.population,
        status="active",
        actor="preview",
    )
    return tenant.slug, await seed_town(db, tenant, full=False)
