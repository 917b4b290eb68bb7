"""Per-tenant plugin managers: loading, validation into typed structs, last good config.

Code reaches hooks only through :func:`hooks_for` / :func:`config_for` with a tenant; there
is no global manager, so no hook implementation ever sees another tenant.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import msgspec
import pluggy

from kasane.core import defaults, hookspecs
from kasane.core.config_types import (
    STAGES,
    Agency,
    Area,
    Counter,
    FormDefinition,
    MeetingType,
    ParticipationMenu,
    TenantConfig,
    TenantInfo,
)
from kasane.core.i18n import N_
from kasane.core.plugin_answers import Collector, merge_forms, merged_dict, unique_keys
from kasane.core.plugin_rules import check_references, check_strictly
from kasane.core.themes import available_themes

ENTRY_POINT_GROUP = "kasane.municipalities"


class PluginInvalid(Exception):
    """A plugin's answers failed validation; ``problems`` name plugin, hook and field."""

    def __init__(self, plugin: str, problems: list[str]) -> None:
        super().__init__(f"plugin {plugin!r} is invalid:\n" + "\n".join(problems))
        self.plugin = plugin
        self.problems = problems


class PluginNotFound(LookupError):
    """No installed municipal plugin has that name."""


def installed_plugins() -> dict[str, str]:
    """Entry-point name → module path of every installed municipal plugin."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_plugin(name: str) -> ModuleType:
    """Load a municipal plugin by entry-point name, or by dotted module path.

    Raises:
        PluginNotFound: neither an entry point nor an importable module.
    """
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if found:
        module: ModuleType = found[0].load()
        return module
    if "." in name:
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            raise PluginNotFound(name) from exc
    raise PluginNotFound(name)


def plugin_name(plugin: ModuleType | object) -> str:
    return str(getattr(plugin, "__name__", None) or type(plugin).__name__).rsplit(".", 1)[-1]


def plugin_label(plugin: ModuleType | object) -> str:
    """What problems are reported under: the entry point's name when the plugin is installed
    as one (what the operator types after ``--plugin``), else its module's name."""
    module = getattr(plugin, "__name__", None)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.value == module:
            return ep.name
    return plugin_name(plugin)


def make_manager(plugin: ModuleType | object | None) -> pluggy.PluginManager:
    """A fresh manager: the core defaults (``trylast``) plus one municipal plugin.

    Raises:
        PluginInvalid: the plugin implements an unknown hook or names unknown arguments.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(defaults, name="kasane-core")
    if plugin is not None:
        name = plugin_name(plugin)
        try:
            pm.register(plugin, name=name)
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginInvalid(name, [f"{name}: {exc}"]) from exc
    return pm


def build_config(plugin: ModuleType | object | None, tenant: TenantInfo) -> TenantConfig:
    """Run every hook for one tenant and validate the answers into a TenantConfig.

    Raises:
        PluginInvalid: with every problem found, each naming plugin, hook and field.
    """
    name = plugin_label(plugin) if plugin is not None else "kasane-core"
    problems = _hooks_version_problems(plugin, name)
    pm = make_manager(plugin)
    c = Collector(pm, name, tenant)
    c.problems.extend(problems)

    counters: list[Counter] = _listed(c, "kasane_counters", Counter)
    areas: list[Area] = _listed(c, "kasane_areas", Area)
    agencies: list[Agency] = _listed(c, "kasane_agencies", Agency)
    meetings: list[MeetingType] = _listed(c, "kasane_meeting_types", MeetingType)
    menus: list[ParticipationMenu] = _listed(c, "kasane_participation_menus", ParticipationMenu)
    forms = merge_forms(c, c.call("kasane_form_definitions") or [])
    stage_labels = merged_dict(c, "kasane_stage_labels", c.call("kasane_stage_labels") or [])
    terminology = merged_dict(c, "kasane_terminology", c.call("kasane_terminology") or [])
    theme = c.call("kasane_theme")
    template_dir = c.call("kasane_template_dir")

    check_references(c, counters, areas, agencies, meetings, menus)
    check_strictly(c, counters, agencies, meetings, menus)
    _check_answers(c, agencies, forms, stage_labels, terminology, theme, template_dir)
    if c.problems:
        raise PluginInvalid(name, c.problems)
    name = plugin_name(plugin) if plugin is not None else "kasane-core"  # records keep this
    return TenantConfig(
        plugin=name,
        version=name,
        sources=_sources(pm),
        counters=counters,
        areas=areas,
        agencies=agencies,
        meeting_types=meetings,
        participation_menus=menus,
        forms=forms,
        stage_labels=stage_labels,
        terminology=terminology,
        theme=str(theme),
    )


def _hooks_version_problems(plugin: ModuleType | object | None, name: str) -> list[str]:
    """The problem, if any, with the hooks versions the plugin declares it speaks."""
    supported = getattr(plugin, "KASANE_HOOKS", None) if plugin is not None else (1, 1)
    if (
        not isinstance(supported, tuple)
        or len(supported) != 2
        or not supported[0] <= hookspecs.HOOKS_VERSION <= supported[1]
    ):
        return [
            f"{name}: KASANE_HOOKS: declares {supported!r}, the platform speaks hooks version "
            f"{hookspecs.HOOKS_VERSION} (declare KASANE_HOOKS = (min, max))"
        ]
    return []


def _listed(c: Collector, hook: str, typ: type) -> list[Any]:
    """Call a hook that answers a list of keyed items and keep the valid ones."""
    items = c.items(hook, c.call(hook), typ)
    unique_keys(c, hook, items)
    return items


def _check_answers(
    c: Collector,
    agencies: list[Agency],
    forms: dict[str, FormDefinition],
    stage_labels: dict[str, str],
    terminology: dict[str, str],
    theme: Any,
    template_dir: Any,
) -> None:
    """The single answers' own rules: template folder, agencies, labels, terms, theme, intake."""
    if template_dir is not None and not (
        isinstance(template_dir, str)
        and os.path.isabs(template_dir)
        and os.path.isdir(template_dir)
    ):
        c.problem(
            "kasane_template_dir",
            "",
            N_("%(path)r is not an existing folder (give an absolute path)"),
            path=template_dir,
        )
    if sum(1 for a in agencies if a.coordinates) > 1:
        c.problem("kasane_agencies", "coordinates", "only one agency may coordinate 多機関協働")
    if not agencies:
        c.problem("kasane_agencies", "", "at least one agency is needed")
    for stage in stage_labels:
        if stage not in STAGES:
            c.problem("kasane_stage_labels", stage, f"{stage!r} is not a core stage")
    for term in terminology:
        if term not in defaults.TERMS:
            c.problem("kasane_terminology", term, f"{term!r} is not a core term")
    if not isinstance(theme, str) or theme not in available_themes():
        c.problem(
            "kasane_theme",
            "",
            f"{theme!r} is not an installed theme ({', '.join(sorted(available_themes()))})",
        )
    if "intake" not in forms:
        c.problem("kasane_form_definitions", "intake", "the intake form is missing")


def _sources(pm: pluggy.PluginManager) -> dict[str, str]:
    """Where each list kind came from: "plugin" when the plugin answers its hook, else "core"."""
    answered = {
        hook: any(
            impl.plugin_name != "kasane-core" for impl in getattr(pm.hook, hook).get_hookimpls()
        )
        for hook in (
            "kasane_counters",
            "kasane_areas",
            "kasane_meeting_types",
            "kasane_participation_menus",
        )
    }
    return {
        kind: "plugin" if answered[hook] else "core"
        for kind, hook in (
            ("counter", "kasane_counters"),
            ("area", "kasane_areas"),
            ("meeting", "kasane_meeting_types"),
            ("menu", "kasane_participation_menus"),
        )
    }


def config_to_json(config: TenantConfig) -> bytes:
    """Serialize a validated config (kept as the tenant's last good configuration)."""
    return msgspec.json.encode(config)


def config_from_json(data: bytes | str) -> TenantConfig:
    return msgspec.json.decode(data, type=TenantConfig)


# ---------------------------------------------------------------- per-tenant registry

_managers: dict[str, pluggy.PluginManager] = {}
_configs: dict[str, TenantConfig] = {}
_refs: dict[str, str] = {}  # the plugin each tenant was activated with


def activate(
    tenant_key: str,
    plugin_ref: str,
    tenant: TenantInfo,
    last_good: Callable[[], TenantConfig | None] = lambda: None,
) -> tuple[TenantConfig, list[str]]:
    """Build (or rebuild) one tenant's manager and config; cache both under ``tenant_key``.

    Returns the config in force and the problems found. When the plugin fails validation
    the tenant keeps ``last_good()`` (its last good configuration); with none, the core
    defaults alone.
    """
    _refs[tenant_key] = plugin_ref
    try:
        plugin = load_plugin(plugin_ref)
        config = build_config(plugin, tenant)
        _managers[tenant_key] = make_manager(plugin)
        _configs[tenant_key] = config
        return config, []
    except (PluginInvalid, PluginNotFound) as exc:
        problems = (
            exc.problems
            if isinstance(exc, PluginInvalid)
            else [f"{plugin_ref}: no installed municipal plugin has this name"]
        )
        kept = last_good() or build_config(None, tenant)
        _managers[tenant_key] = make_manager(None)
        _configs[tenant_key] = kept
        return kept, problems


def hooks_for(tenant_key: str) -> Any:
    """The hook caller of one tenant's plugin manager (``hooks_for(t).kasane_x(...)``)."""
    return _managers[tenant_key].hook


def config_for(tenant_key: str) -> TenantConfig:
    """The validated configuration in force for one tenant."""
    return _configs[tenant_key]


def is_active(tenant_key: str, plugin_ref: str | None = None) -> bool:
    """Whether this process has built the tenant's manager yet (on ``plugin_ref``, when
    given: a tenant rebound to another plugin is built again)."""
    if plugin_ref is not None and _refs.get(tenant_key) != plugin_ref:
        return False
    return tenant_key in _configs


def forget(tenant_key: str) -> None:
    _managers.pop(tenant_key, None)
    _configs.pop(tenant_key, None)
    _refs.pop(tenant_key, None)
