"""Per-tenant plugin managers: loading, validation into typed structs, last good config.

Code reaches hooks only through :func:`hooks_for` / :func:`config_for` with a tenant; there
is no global manager, so no hook implementation ever sees another tenant.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, NamedTuple

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
from kasane.core.themes import available_themes

ENTRY_POINT_GROUP = "kasane.municipalities"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")


class PluginInvalid(Exception):
    """A plugin's answers failed validation; ``problems`` name plugin, hook and field."""

    def __init__(self, plugin: str, problems: list[str]) -> None:
        super().__init__(f"plugin {plugin!r} is invalid:\n" + "\n".join(problems))
        self.plugin = plugin
        self.problems = problems


class Problem(NamedTuple):
    """One problem found in a configuration: where, and the message (a msgid and its
    parameters, and the English text ``kasane plugins check`` prints)."""

    hook: str
    field: str  # "[2](key='x').agency", "intake.validation.pattern", …
    msgid: str
    params: dict[str, Any]
    text: str

    @property
    def item_key(self) -> str | None:
        """The key of the list item the problem is in (``[2](key='x')…`` → ``x``)."""
        found = re.match(r"^\[\d+\]\(key='([^']*)'\)", self.field)
        return found.group(1) if found else None

    @property
    def attribute(self) -> str:
        """The item's field the problem names (``…(key='x').cadence.time`` → ``cadence.time``)."""
        return re.sub(r"^\[\d+\](\(key='[^']*'\))?\.?", "", self.field)


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


def _path(err: msgspec.ValidationError, items: Any) -> tuple[str, str]:
    """Split msgspec's "… - at `$[1].cadence.weekday`" into (field path, message)."""
    text = str(err)
    message, _, where = text.rpartition(" - at ")
    if not message:
        return "", text
    where = where.strip("`").removeprefix("$")
    index = re.match(r"^\[(\d+)\]", where)
    if index and isinstance(items, list) and int(index.group(1)) < len(items):
        item = items[int(index.group(1))]
        if isinstance(item, dict) and "key" in item:
            where = f"{where[: index.end()]}(key={item['key']!r}){where[index.end() :]}"
    return where, message


class _Collector:
    """Calls hooks one by one, gathering problems instead of stopping at the first."""

    def __init__(
        self, pm: pluggy.PluginManager | None, plugin: str, tenant: TenantInfo | None
    ) -> None:
        self.pm, self.plugin, self.tenant = pm, plugin, tenant
        self.problems: list[str] = []
        self.found: list[Problem] = []
        # keys of items refused on their own: references to them are not reported again
        self.refused: dict[str, set[str]] = {}
        self.position: dict[int, int] = {}  # id(item) → its index in the hook's answer

    def problem(self, hook: str, field: str, message: str, **params: Any) -> None:
        """Record a problem; ``message`` is an English msgid with ``%(name)s`` parameters,
        so the admin's pages can show the same message translated."""
        where = f"{hook}{field}" if field.startswith("[") or not field else f"{hook}.{field}"
        text = message % params if params else message
        self.problems.append(f"{self.plugin}: {where}: {text}")
        self.found.append(Problem(hook, field, message, params, text))

    def call(self, hook: str) -> Any:
        try:
            if self.pm is None:  # no plugin loaded: no answer (the core's defaults apply)
                return None
            return getattr(self.pm.hook, hook)(tenant=self.tenant)
        except Exception as exc:  # a plugin bug must not take the tenant down
            self.problem(hook, "", f"raised {type(exc).__name__}: {exc}")
            return None

    def items(self, hook: str, data: Any, typ: type) -> list[Any]:
        """Validate a list item by item: one bad item is reported (with its index, key and
        field) and left out; the others are kept, so nothing cascades from it."""
        refused = self.refused.setdefault(hook, set())
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem(hook, "", N_("must be a list, not %(type)s"), type=type(data).__name__)
            return []
        good: list[Any] = []
        for i, item in enumerate(data):
            key = item.get("key") if isinstance(item, dict) else None
            where = f"[{i}](key={key!r})" if isinstance(key, str) else f"[{i}]"
            try:
                parsed: Any = msgspec.convert(item, typ)
            except msgspec.ValidationError as exc:
                message, _, at = str(exc).rpartition(" - at ")
                if not message:
                    message, at = str(exc), "$"
                self.problem(hook, where + at.strip("`").removeprefix("$"), message)
                if isinstance(key, str):
                    refused.add(key)
                continue
            self.position[id(parsed)] = i
            good.append(parsed)
        return good

    def where(self, item: Any, i: int) -> str:
        """``[index](key='k')`` of an item, its index in the plugin's own answer."""
        return f"[{self.position.get(id(item), i)}](key={item.key!r})"

    def convert(self, hook: str, data: Any, typ: Any) -> Any:
        try:
            return msgspec.convert(data, typ)
        except msgspec.ValidationError as exc:
            field, message = _path(exc, data)
            self.problem(hook, field, message)
            return None


def _unique_keys(c: _Collector, hook: str, items: list[Any]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        i = c.position.get(id(item), i)
        if not _KEY.match(item.key):
            c.problem(
                hook,
                f"[{i}].key",
                N_("%(key)r must be lower-case ascii, digits, - or _"),
                key=item.key,
            )
        if item.key in seen:
            c.problem(hook, f"[{i}].key", N_("duplicate key %(key)r"), key=item.key)
        seen.add(item.key)


def _merge_forms(c: _Collector, answers: list[Any]) -> dict[str, FormDefinition]:
    """Core forms first; a plugin form with the same key appends sections (never replaces)."""
    forms: dict[str, FormDefinition] = {}
    # pluggy returns the last-registered (the municipal plugin) first; core is trylast.
    for answer in reversed([a for a in answers if a is not None]):
        for form in c.items("kasane_form_definitions", answer, FormDefinition):
            _form_fields(c, form)
            base = forms.get(form.key)
            if base is None:
                forms[form.key] = form
                continue
            taken = {f.name for f in base.all_fields()}
            for section in form.sections:
                for field in section.fields:
                    if field.name in taken:
                        c.problem(
                            "kasane_form_definitions",
                            f"{form.key}.{section.key}.{field.name}",
                            N_("redefines a field the core form already has"),
                        )
            forms[form.key] = FormDefinition(
                key=base.key,
                title=base.title,
                version=f"{base.version}+{form.version}",
                sections=[*base.sections, *form.sections],
            )
    for form in forms.values():
        for field in form.all_fields():
            if field.type in ("select", "radio", "checkboxes") and not field.choices:
                c.problem(
                    "kasane_form_definitions",
                    f"{form.key}.{field.name}.choices",
                    N_("a %(type)s field needs choices"),
                    type=field.type,
                )
            if field.validation and field.validation.pattern:
                try:
                    re.compile(field.validation.pattern)
                except re.error as exc:
                    c.problem(
                        "kasane_form_definitions",
                        f"{form.key}.{field.name}.validation.pattern",
                        N_("not a regular expression: %(error)s"),
                        error=str(exc),
                    )
    return forms


def _form_fields(c: _Collector, form: FormDefinition) -> None:
    """One form's own fields: names that are keys, each once, sane validation bounds."""
    hook, seen = "kasane_form_definitions", set()
    for section in form.sections:
        for field in section.fields:
            where = f"{form.key}.{section.key}.{field.name}"
            if not _KEY.match(field.name):
                c.problem(
                    hook,
                    where + ".name",
                    N_("%(name)r is not a field key (lower-case ascii, digits, - or _)"),
                    name=field.name,
                )
            if field.name in seen:
                c.problem(
                    hook, where + ".name", N_("duplicate field name %(name)r"), name=field.name
                )
            seen.add(field.name)
            v = field.validation
            if v and v.min is not None and v.max is not None and v.min > v.max:
                c.problem(
                    hook,
                    where + ".validation",
                    N_("min %(min)s is greater than max %(max)s"),
                    min=v.min,
                    max=v.max,
                )
            if v and v.max_length is not None and v.max_length < 1:
                c.problem(hook, where + ".validation.max_length", N_("must be at least 1"))


def _merged_dict(c: _Collector, hook: str, answers: list[Any]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for answer in reversed([a for a in answers if a is not None]):
        parsed = c.convert(hook, answer, dict[str, str])
        merged.update(parsed or {})
    return merged


def build_config(plugin: ModuleType | object | None, tenant: TenantInfo) -> TenantConfig:
    """Run every hook for one tenant and validate the answers into a TenantConfig.

    Raises:
        PluginInvalid: with every problem found, each naming plugin, hook and field.
    """
    name = plugin_label(plugin) if plugin is not None else "kasane-core"
    problems: list[str] = []
    supported = getattr(plugin, "KASANE_HOOKS", None) if plugin is not None else (1, 1)
    if (
        not isinstance(supported, tuple)
        or len(supported) != 2
        or not supported[0] <= hookspecs.HOOKS_VERSION <= supported[1]
    ):
        problems.append(
            f"{name}: KASANE_HOOKS: declares {supported!r}, the platform speaks hooks version "
            f"{hookspecs.HOOKS_VERSION} (declare KASANE_HOOKS = (min, max))"
        )
    pm = make_manager(plugin)
    c = _Collector(pm, name, tenant)
    c.problems.extend(problems)

    def listed(hook: str, typ: type) -> list[Any]:
        items = c.items(hook, c.call(hook), typ)
        _unique_keys(c, hook, items)
        return items

    counters: list[Counter] = listed("kasane_counters", Counter)
    areas: list[Area] = listed("kasane_areas", Area)
    agencies: list[Agency] = listed("kasane_agencies", Agency)
    meetings: list[MeetingType] = listed("kasane_meeting_types", MeetingType)
    menus: list[ParticipationMenu] = listed("kasane_participation_menus", ParticipationMenu)
    forms = _merge_forms(c, c.call("kasane_form_definitions") or [])
    stage_labels = _merged_dict(c, "kasane_stage_labels", c.call("kasane_stage_labels") or [])
    terminology = _merged_dict(c, "kasane_terminology", c.call("kasane_terminology") or [])
    theme = c.call("kasane_theme")
    template_dir = c.call("kasane_template_dir")

    check_references(c, counters, areas, agencies, meetings, menus)
    check_strictly(c, counters, agencies, meetings, menus)
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

    if c.problems:
        raise PluginInvalid(name, c.problems)
    name = plugin_name(plugin) if plugin is not None else "kasane-core"  # records keep this
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
    return TenantConfig(
        plugin=name,
        version=name,
        sources={
            kind: "plugin" if answered[hook] else "core"
            for kind, hook in (
                ("counter", "kasane_counters"),
                ("area", "kasane_areas"),
                ("meeting", "kasane_meeting_types"),
                ("menu", "kasane_participation_menus"),
            )
        },
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


def _check_refs(
    c: _Collector, hook: str, items: list[Any], attr: str, keys: set[str], target: str
) -> None:
    for i, item in enumerate(items):
        ref = getattr(item, attr)
        # an item refused on its own was reported where it is, not again at each reference
        if ref is not None and ref not in keys and ref not in c.refused.get(target, ()):
            c.problem(hook, f"{c.where(item, i)}.{attr}", N_("%(ref)r is not a known key"), ref=ref)


def check_references(
    c: _Collector,
    counters: list[Counter],
    areas: list[Area],
    agencies: list[Agency],
    meetings: list[MeetingType],
    menus: list[ParticipationMenu],
) -> None:
    """The rules between lists (a counter's agency and area exist, a meeting's members are
    agencies, a monthly cadence has its day …): the plugin check's and the town settings'."""
    area_keys, agency_keys = {a.key for a in areas}, {a.key for a in agencies}
    _check_refs(c, "kasane_counters", counters, "agency", agency_keys, "kasane_agencies")
    _check_refs(c, "kasane_counters", counters, "area", area_keys, "kasane_areas")
    _check_refs(c, "kasane_areas", areas, "parent", area_keys, "kasane_areas")
    _check_refs(c, "kasane_participation_menus", menus, "area", area_keys, "kasane_areas")
    refused_agencies = c.refused.get("kasane_agencies", set())
    for i, m in enumerate(meetings):
        for member in m.members:
            if member not in agency_keys and member not in refused_agencies:
                c.problem(
                    "kasane_meeting_types",
                    f"{c.where(m, i)}.members",
                    N_("%(member)r is not an agency key from kasane_agencies"),
                    member=member,
                )
        if m.cadence.frequency == "monthly" and (m.cadence.weekday is None or not m.cadence.nth):
            c.problem(
                "kasane_meeting_types",
                f"{c.where(m, i)}.cadence",
                N_("a monthly cadence needs weekday and nth"),
            )
        if m.cadence.time and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", m.cadence.time):
            c.problem(
                "kasane_meeting_types",
                f"{c.where(m, i)}.cadence.time",
                N_("%(time)r is not HH:MM"),
                time=m.cadence.time,
            )
    by_key = {x.key: x for x in areas}
    for i, a in enumerate(areas):
        seen, parent = {a.key}, a.parent
        while parent in by_key:
            if parent in seen:
                c.problem(
                    "kasane_areas",
                    f"{c.where(a, i)}.parent",
                    N_("%(key)r would be inside itself"),
                    key=a.key,
                )
                break
            seen.add(parent)
            parent = by_key[parent].parent


# Decisions a meeting takes about one case: none on a meeting about the system itself.
CASE_DECISIONS = frozenset(
    {"support_decision", "plan_change", "closure", "suspension", "continuation", "role_assignment"}
)
OFFICE_HOURS = ("07:00", "21:00")  # a meeting's start outside these is almost surely a typo
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_strictly(
    c: _Collector,
    counters: list[Counter],
    agencies: list[Agency],
    meetings: list[MeetingType],
    menus: list[ParticipationMenu],
) -> None:
    """What a plugin must get right beyond the types (``plugins check``, tenants create and
    set-plugin): a town with no counter cannot take a consultation; a cadence the calendar
    cannot place, or a meeting on a closed day, never happens as written.

    Long: one check after another, each with the message that names the field; split,
    they would be read out of order.
    """
    if not counters and not c.refused.get("kasane_counters"):
        c.problem(
            "kasane_counters", "", N_("at least one counter is needed: intake happens at one")
        )
    hosts = {"municipality"} | {a.key for a in agencies} | {a.name for a in agencies}
    hosts |= c.refused.get("kasane_agencies", set())  # reported where it is
    for i, m in enumerate(meetings):
        at, cad = c.where(m, i), m.cadence
        hook = "kasane_meeting_types"
        if cad.frequency in ("weekly", "quarterly") and cad.weekday is None:
            c.problem(
                hook,
                f"{at}.cadence.weekday",
                N_("a %(frequency)s cadence needs a weekday, or it is never scheduled"),
                frequency=cad.frequency,
            )
        if cad.frequency == "quarterly" and not cad.nth:
            c.problem(hook, f"{at}.cadence.nth", N_("a quarterly cadence needs nth"))
        if cad.frequency == "weekly" and cad.nth is not None:
            c.problem(
                hook, f"{at}.cadence.nth", N_("a weekly meeting meets every week: leave out nth")
            )
        if cad.frequency == "as_needed" and (cad.weekday is not None or cad.nth is not None):
            c.problem(hook, f"{at}.cadence", N_("an as_needed meeting has no weekday or nth"))
        if cad.weekday is not None and cad.weekday >= 5:
            c.problem(
                hook,
                f"{at}.cadence.weekday",
                N_("%(day)s is not a working day: the meeting would always move to Monday"),
                day=WEEKDAYS[cad.weekday],
            )
        if cad.time and not OFFICE_HOURS[0] <= cad.time <= OFFICE_HOURS[1]:
            c.problem(
                hook,
                f"{at}.cadence.time",
                N_("%(time)s is outside %(start)s-%(end)s"),
                time=cad.time,
                start=OFFICE_HOURS[0],
                end=OFFICE_HOURS[1],
            )
        if not 1 <= cad.duration_minutes <= 480:
            c.problem(
                hook,
                f"{at}.cadence.duration_minutes",
                N_("%(minutes)s minutes: a meeting lasts 1 to 480 minutes"),
                minutes=cad.duration_minutes,
            )
        if not m.discusses_cases:
            for decision in sorted(CASE_DECISIONS & set(m.decisions)):
                c.problem(
                    hook,
                    f"{at}.decisions",
                    N_(
                        "%(decision)r is a decision about a case; this meeting does not discuss "
                        "cases (discusses_cases: false)"
                    ),
                    decision=decision,
                )
        if m.host not in hosts:
            c.problem(
                hook,
                f"{at}.host",
                N_('%(host)r is neither an agency\'s key or name nor "municipality"'),
                host=m.host,
            )
    for i, menu in enumerate(menus):
        if menu.capacity is not None and menu.capacity < 1:
            c.problem(
                "kasane_participation_menus",
                f"{c.where(menu, i)}.capacity",
                N_("capacity %(capacity)s: at least 1, or leave it out for no limit"),
                capacity=menu.capacity,
            )


def check_forms(
    source: str, forms: dict[str, FormDefinition], extra: list[dict[str, Any]]
) -> list[Problem]:
    """Validate form definitions added over ``forms`` (plain data, as a plugin's
    ``kasane_form_definitions`` answer) exactly as ``plugins check`` does: a field may not
    redefine one the form has, a choice field needs choices, a pattern must compile."""
    c = _Collector(None, source, None)
    _merge_forms(c, [extra, [msgspec.to_builtins(f) for f in forms.values()]])
    return c.found


def check_lists(
    source: str,
    *,
    counters: list[dict[str, Any]],
    areas: list[dict[str, Any]],
    agencies: list[Agency],
    meetings: list[dict[str, Any]],
    menus: list[dict[str, Any]],
) -> list[Problem]:
    """Validate counters, areas and meetings given as plain data exactly as ``plugins check``
    validates a plugin's answers (same messages, same field paths); ``source`` names who
    answered (the town's settings). Returns every problem found, none when valid."""
    c = _Collector(None, source, None)

    def listed(hook: str, data: list[dict[str, Any]], typ: type) -> list[Any]:
        items = c.items(hook, data, typ)
        _unique_keys(c, hook, items)
        return items

    check_references(
        c,
        listed("kasane_counters", counters, Counter),
        listed("kasane_areas", areas, Area),
        agencies,
        listed("kasane_meeting_types", meetings, MeetingType),
        listed("kasane_participation_menus", menus, ParticipationMenu),
    )
    return c.found


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
