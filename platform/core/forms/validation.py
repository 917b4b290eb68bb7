"""Check a submission against a FormDefinition.

Every problem is a message in the user's language that names the field's label; values are
returned as typed so a failed submit can show exactly what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kasane.core.config_types import FormDefinition, FormField
from kasane.core.i18n import N_, gettext
from kasane.core.japan_time import today_jst
from kasane.core.protection.mynumber import find_mynumber

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_TYPES = ("text", "textarea", "tel", "email")


@dataclass
class Submission:
    """What was typed (``raw``), the typed values, and the problems by field name."""

    raw: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _label(f: FormField) -> str:
    return gettext(f.label)


def field_problem(f: FormField, raw: Any) -> tuple[Any, str | None]:
    """Parse one field; returns (value, problem message or None)."""
    if f.type == "checkboxes":
        chosen = [v for v in (raw or []) if v]
        allowed = {c.value for c in f.choices}
        if any(v not in allowed for v in chosen):
            return chosen, gettext(N_("%(label)s: choose from the list"), label=_label(f))
        if f.required and not chosen:
            return chosen, gettext(N_("%(label)s: choose at least one"), label=_label(f))
        return chosen, None
    text = (raw or "").strip() if isinstance(raw, str) else ("" if raw is None else str(raw))
    if f.type == "boolean":
        return text in ("on", "true", "1", "yes"), None
    if not text:
        if f.required:
            return None, gettext(N_("%(label)s is required"), label=_label(f))
        return None, None
    if f.type in TEXT_TYPES and find_mynumber(text):
        return text, gettext(
            N_(
                "%(label)s: this looks like an Individual Number (My Number). "
                "Kasane never stores it: remove it."
            ),
            label=_label(f),
        )
    v = f.validation
    if v and v.max_length and len(text) > v.max_length:
        return text, gettext(
            N_("%(label)s: at most %(n)s characters"), label=_label(f), n=v.max_length
        )
    if v and v.pattern and not re.search(v.pattern, text):
        return text, f"{_label(f)}: {gettext(v.message or N_('the format is not valid'))}"
    if f.type == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return text, gettext(N_("%(label)s: enter a date like 2026-04-01"), label=_label(f))
        if v and v.past_only and day > today_jst():
            return text, gettext(N_("%(label)s: cannot be in the future"), label=_label(f))
        return day, None
    if f.type == "number":
        try:
            number = float(text)
        except ValueError:
            return text, gettext(N_("%(label)s: enter a number"), label=_label(f))
        if v and ((v.min is not None and number < v.min) or (v.max is not None and number > v.max)):
            return text, gettext(N_("%(label)s: out of range"), label=_label(f))
        return int(number) if number.is_integer() else number, None
    if f.type == "email" and not EMAIL.match(text):
        return text, gettext(N_("%(label)s: enter an e-mail address"), label=_label(f))
    if f.type in ("select", "radio") and text not in {c.value for c in f.choices}:
        return text, gettext(N_("%(label)s: choose from the list"), label=_label(f))
    return text, None


def check_form(form: FormDefinition, data: Mapping[str, Any]) -> Submission:
    """Validate ``data`` (field name → str, or list for checkboxes) against ``form``."""
    sub = Submission()
    for f in form.all_fields():
        raw = data.get(f.name)
        sub.raw[f.name] = raw
        value, problem = field_problem(f, raw)
        sub.values[f.name] = value
        if problem:
            sub.errors[f.name] = problem
    return sub


def split_sensitive(form: FormDefinition, values: Mapping[str, Any]) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """(plain values, sensitive values) — sensitive ones are sealed before storage."""
    sensitive = {f.name for f in form.all_fields() if f.sensitive}
    plain = {k: _jsonable(v) for k, v in values.items() if k not in sensitive}
    sealed = {k: _jsonable(v) for k, v in values.items() if k in sensitive and v}
    return plain, sealed


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def check_text(
    label: str, text: str, *, required: bool = False, max_length: int = 4000
) -> str | None:
    """The same rules for free text outside plugin forms (notes, plan rows, reasons)."""
    from kasane.core.config_types import FormField, Validation

    f = FormField(
        name="_",
        label=label,
        type="textarea",
        required=required,
        validation=Validation(max_length=max_length),
    )
    return field_problem(f, text)[1]
