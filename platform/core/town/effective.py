"""The effective configuration: core defaults → plugin → the town's own settings.

Pure functions over a validated :class:`TenantConfig` and the town's rows (as
:class:`TownRow` values, loaded with the tenant): no session, no I/O. Each value of each
item knows where it comes from (``core``, ``plugin`` or ``town``), so the admin pages can
say so and offer to reset what the town's setting hides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from kasane.core.config_types import (
    Area,
    Choice,
    Counter,
    FieldType,
    FormDefinition,
    FormField,
    FormSection,
    MeetingType,
    ParticipationMenu,
    TenantConfig,
)
from kasane.core.i18n import N_
from kasane.core.plugin_answers import Problem
from kasane.core.plugin_rules import check_forms, check_lists

LOCAL_FORMS = ("intake", "assessment")  # the forms a town adds its own fields to
TOWN_SECTION = "town"
TOWN_SECTION_TITLE = N_("The town's own fields")


class TownField(msgspec.Struct, forbid_unknown_fields=True):
    """A field the town adds to one of its forms (``key`` is the field's name)."""

    key: str
    form: str
    label: str
    type: FieldType
    required: bool = False
    choices: list[Choice] = []
    help: str = ""

    @property
    def name(self) -> str:
        """The label, for lists that show every kind by its name."""
        return self.label

    def as_field(self) -> FormField:
        return FormField(
            name=self.key,
            label=self.label,
            type=self.type,
            required=self.required,
            choices=list(self.choices),
            help=self.help,
        )


KIND_TYPES: dict[str, type[msgspec.Struct]] = {
    "counter": Counter,
    "area": Area,
    "meeting": MeetingType,
    "menu": ParticipationMenu,
    "field": TownField,
}
KIND_LISTS = {
    "counter": "counters",
    "area": "areas",
    "meeting": "meeting_types",
    "menu": "participation_menus",
}
KIND_RETIRED = {
    "counter": "retired_counters",
    "area": "retired_areas",
    "meeting": "retired_meeting_types",
    "menu": "retired_participation_menus",
}


@dataclass(frozen=True)
class TownRow:
    """One of the town's settings, as the tenant carries it (see ``models.TownSetting``)."""

    kind: str
    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    position: int | None = None
    retired: bool = False
    revision: int = 0


@dataclass(frozen=True)
class Effective:
    """One counter, area or meeting as the town has it, and where each value comes from."""

    kind: str
    key: str
    item: Any  # Counter | Area | MeetingType
    base: Any | None  # the plugin's (or core's) item; None for the town's own
    sources: dict[str, str]  # field → "core" | "plugin" | "town"
    retired: bool
    position: float

    @property
    def own(self) -> bool:
        """Added by the town (no plugin item has this key)."""
        return self.base is None

    @property
    def overridden(self) -> bool:
        """A plugin item with at least one value the town set (it can be reset)."""
        return self.base is not None and "town" in self.sources.values()


def base_items(config: TenantConfig, kind: str) -> list[Any]:
    """The plugin's (or core's) items of one kind; local fields have none (the plugin's
    fields are its forms', which the town adds to and never changes)."""
    return list(getattr(config, KIND_LISTS[kind])) if kind in KIND_LISTS else []


def town_forms(
    forms: dict[str, FormDefinition], fields: list[TownField], version: str
) -> dict[str, FormDefinition]:
    """``forms`` with the town's fields in a section of their own at the end of each."""
    out = dict(forms)
    for key in LOCAL_FORMS:
        mine = [f.as_field() for f in fields if f.form == key]
        base = out.get(key)
        if not mine or base is None:
            continue
        out[key] = FormDefinition(
            key=base.key,
            title=base.title,
            version=f"{base.version}+{version}",
            sections=[*base.sections, FormSection(TOWN_SECTION, TOWN_SECTION_TITLE, mine)],
        )
    return out


def as_data(item: msgspec.Struct) -> dict[str, Any]:
    """A struct as the plain data a hook would return."""
    return msgspec.to_builtins(item)  # type: ignore[no-any-return]


def effective_items(
    kind: str, base: list[Any], base_source: str, rows: Iterable[TownRow]
) -> list[Effective]:
    """Every item of one kind (retired ones too), in the town's order.

    A row that no longer converts (say, the plugin changed under it) is left out for an own
    item and ignored for a plugin item: the plugin's value stands.
    """
    typ = KIND_TYPES[kind]
    mine = {r.key: r for r in rows if r.kind == kind}
    out: list[Effective] = []
    for index, item in enumerate(base):
        data = as_data(item)
        row = mine.pop(item.key, None)
        sources = {name: base_source for name in data}
        merged, retired, position = item, False, float(index * 10)
        if row is not None:
            changed = {k: v for k, v in row.values.items() if k != "key"}
            try:
                merged = msgspec.convert({**data, **changed}, typ)
                sources.update(
                    {k: "town" for k in changed if k in data or k in typ.__struct_fields__}
                )
            except msgspec.ValidationError:
                merged = item
            retired = row.retired
            position = float(row.position) if row.position is not None else position
        out.append(Effective(kind, item.key, merged, item, sources, retired, position))
    for row in sorted(mine.values(), key=lambda r: r.revision):
        try:
            own = msgspec.convert({**row.values, "key": row.key}, typ)
        except msgspec.ValidationError:
            continue
        position = float(row.position) if row.position is not None else 100000.0 + row.revision
        sources = {name: "town" for name in as_data(own)}
        out.append(Effective(kind, row.key, own, None, sources, row.retired, position))
    return sorted(out, key=lambda e: e.position)


def apply_town(config: TenantConfig, rows: Iterable[TownRow]) -> TenantConfig:
    """``config`` (plugin + the admin's agencies) with the town's settings on top."""
    rows = list(rows)
    if not rows:
        return config
    changes: dict[str, Any] = {}
    for kind, attr in KIND_LISTS.items():
        items = effective_items(
            kind, getattr(config, attr), config.sources.get(kind, "plugin"), rows
        )
        changes[attr] = [e.item for e in items if not e.retired]
        changes[KIND_RETIRED[kind]] = [e.item for e in items if e.retired]
    revision = max(r.revision for r in rows)
    fields = [e.item for e in effective_items("field", [], "town", rows) if not e.retired]
    if fields:
        changes["forms"] = town_forms(config.forms, fields, f"town.{revision}")
    changes["version"] = f"{config.version or config.plugin}+town.{revision}"
    return msgspec.structs.replace(config, **changes)


def check_town(
    config: TenantConfig, rows: Iterable[TownRow], source: str = "town settings"
) -> list[Problem]:
    """Check the configuration the rows would give, with the plugin check's rules and
    messages (``config`` is the plugin's with the admin's agencies)."""
    rows = list(rows)
    problems = check_lists(
        source,
        counters=_active(config, rows, "counter"),
        areas=_active(config, rows, "area"),
        agencies=list(config.agencies),
        meetings=_active(config, rows, "meeting"),
        menus=_active(config, rows, "menu"),
    )
    fields = _active(config, rows, "field")
    problems += [_not_a_local_form(f) for f in fields if f.get("form") not in LOCAL_FORMS]
    extra = _local_forms(fields)
    if extra:
        problems += check_forms(source, config.forms, extra)
    return problems


def _active(config: TenantConfig, rows: list[TownRow], kind: str) -> list[dict[str, Any]]:
    """The ``kind`` items the rows would leave: the plugin's with the town's values over
    them, minus the retired, plus the town's own."""
    items = effective_items(kind, base_items(config, kind), "plugin", [])
    merged = []
    mine = {r.key: r for r in rows if r.kind == kind}
    for e in items:
        row = mine.pop(e.key, None)
        if row is not None and row.retired:
            continue
        merged.append({**as_data(e.item), **(dict(row.values) if row else {})})
    for row in mine.values():
        if not row.retired:
            merged.append({**row.values, "key": row.key})
    return merged


def _local_forms(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The town's own fields as form definitions (one section per form), for the plugin
    check's form rules."""
    return [
        {
            "key": form,
            "title": form,
            "version": "town",
            "sections": [
                {
                    "key": TOWN_SECTION,
                    "title": TOWN_SECTION_TITLE,
                    "fields": [
                        {
                            "name": f["key"],
                            **{k: v for k, v in f.items() if k not in ("key", "form")},
                        }
                        for f in fields
                        if f.get("form") == form
                    ],
                }
            ],
        }
        for form in LOCAL_FORMS
        if any(f.get("form") == form for f in fields)
    ]


def _not_a_local_form(field: dict[str, Any]) -> Problem:
    """A town field on a form the town may not add fields to."""
    form = field.get("form")
    return Problem(
        "kasane_form_definitions",
        f"{form}.{field['key']}",
        N_("%(form)r is not a form the town may add fields to"),
        {"form": form},
        f"{form!r} is not a form the town may add fields to",
    )
