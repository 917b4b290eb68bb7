"""Validating a plugin's hook answers into typed structs, gathering every problem found.

The :class:`Collector` calls hooks one by one and keeps going past a bad answer, so
``kasane plugins check`` and the town's settings pages name every problem at once.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import msgspec
import pluggy

from kasane.core.config_types import FormDefinition, TenantInfo
from kasane.core.i18n import N_

_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")


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


class Collector:
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


def unique_keys(c: Collector, hook: str, items: list[Any]) -> None:
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


def merge_forms(c: Collector, answers: list[Any]) -> dict[str, FormDefinition]:
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


def _form_fields(c: Collector, form: FormDefinition) -> None:
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


def merged_dict(c: Collector, hook: str, answers: list[Any]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for answer in reversed([a for a in answers if a is not None]):
        parsed = c.convert(hook, answer, dict[str, str])
        merged.update(parsed or {})
    return merged
