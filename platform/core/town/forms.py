"""What the admin types for a counter, area or meeting, parsed into hook-shaped data.

The parse keeps what was typed (a refused form loses nothing) and finds only what the
plugin check cannot say in the admin's words (a missing name, a malformed new key); every
other rule is the plugin check's own (:func:`kasane.core.town.effective.check_town`).
"""

from __future__ import annotations

import re
from typing import Any

from kasane.core.i18n import N_

NEW_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{1,39}$")
NAME_MAX = 200
LEGAL_BASES: dict[str, str] = {
    "art106_6": N_("Art. 106-6 of the Social Welfare Act (no consent needed; confidentiality)"),
    "consent": N_("Consent of the person (the municipality's rules)"),
    "other_law": N_("Another law"),
}
FREQUENCIES: dict[str, str] = {
    "monthly": N_("Monthly"),
    "weekly": N_("Weekly"),
    "quarterly": N_("Quarterly"),
    "as_needed": N_("As needed"),
}
NTHS: dict[str, str] = {"1": "1", "2": "2", "3": "3", "4": "4", "-1": N_("last")}
# decisions a new meeting of the town may record, by its legal basis (as the core defaults)
DECISIONS: dict[str, list[str]] = {
    "art106_6": ["information_sharing", "system_review", "role_assignment"],
    "consent": [
        "support_decision",
        "plan_change",
        "closure",
        "suspension",
        "continuation",
        "role_assignment",
        "resource_development",
    ],
    "other_law": ["information_sharing", "role_assignment"],
}
MENU_CATEGORIES: dict[str, str] = {
    "work_trial": N_("Work trial"),
    "ibasho": N_("A place to belong"),
    "volunteer": N_("Volunteering"),
    "housing_watch": N_("Housing and watching over"),
    "learning": N_("Learning"),
    "other": N_("Other"),
}
FIELD_TYPES: dict[str, str] = {
    "text": N_("Short text"),
    "textarea": N_("Long text"),
    "date": N_("Date"),
    "number": N_("Number"),
    "tel": N_("Phone"),
    "select": N_("One of a list (drop-down)"),
    "radio": N_("One of a list (buttons)"),
    "checkboxes": N_("Several of a list"),
    "boolean": N_("Yes / no"),
}
CHOICE_TYPES = ("select", "radio", "checkboxes")
FIELDS_OF = {
    "counter": ("name", "field", "agency", "area", "place", "phone"),
    "area": ("name", "kind", "parent"),
    "meeting": ("name", "legal_basis", "legal_basis_note", "host", "members", "cadence", "purpose"),
}


def _text(data: dict[str, Any], name: str, limit: int = NAME_MAX) -> str:
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()[:limit]


def _optional(data: dict[str, Any], name: str) -> str | None:
    return _text(data, name, 64) or None


def parse_item(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Hook-shaped values of one item and field → msgid of what the admin must fix."""
    if kind == "field":
        return _parse_field(data)
    problems: dict[str, str] = {}
    values: dict[str, Any] = {"name": _text(data, "name")}
    if not values["name"]:
        problems["name"] = N_("Enter the name")
    if kind == "counter":
        values.update(
            field=_text(data, "field", 20) or "general",
            agency=_optional(data, "agency"),
            area=_optional(data, "area"),
            place=_text(data, "place"),
            phone=_text(data, "phone", 30),
        )
        if values["phone"] and not re.fullmatch(r"[0-9０-９\-‐ー()（） ]{0,20}", values["phone"]):
            problems["phone"] = N_("Use digits and hyphens only")
    elif kind == "menu":
        capacity = _text(data, "capacity", 6)
        values.update(
            category=_text(data, "category", 20) or "other",
            description=_text(data, "description", 1000),
            capacity=int(capacity) if capacity.isdigit() else None,
            schedule=_text(data, "schedule"),
            area=_optional(data, "area"),
        )
        if capacity and not capacity.isdigit():
            problems["capacity"] = N_("Enter a whole number, or leave it empty")
    elif kind == "area":
        values.update(
            kind=_text(data, "kind", 60) or "日常生活圏域", parent=_optional(data, "parent")
        )
    else:
        members = data.get("members") or []
        members = [members] if isinstance(members, str) else list(members)
        frequency = _text(data, "frequency", 20) or "as_needed"
        cadence: dict[str, Any] = {"frequency": frequency}
        if frequency != "as_needed":
            weekday = _text(data, "weekday", 2)
            cadence["weekday"] = int(weekday) if weekday.isdigit() else None
            nth = _text(data, "nth", 3)
            cadence["nth"] = int(nth) if re.fullmatch(r"-?\d", nth) else None
            cadence["time"] = _text(data, "time", 5) or None
            if frequency != "monthly":
                cadence["nth"] = None
        values.update(
            legal_basis=_text(data, "legal_basis", 20) or "consent",
            legal_basis_note=_text(data, "legal_basis_note"),
            host=_text(data, "host", 200),
            members=members,
            cadence=cadence,
            purpose=_text(data, "purpose", 1000),
        )
        if not values["legal_basis_note"]:
            problems["legal_basis_note"] = N_("Name the law or the municipality's rules")
        if not values["host"]:
            problems["host"] = N_("Choose who hosts the meeting")
    return values, problems


def check_new_key(key: str, taken: set[str]) -> str | None:
    """The msgid of what is wrong with a new item's key, None when it may be used."""
    if not NEW_KEY.fullmatch(key):
        return N_(
            "Use 2 to 40 lowercase letters, digits, hyphens or underscores, starting with a "
            "letter or digit"
        )
    if key in taken:
        return N_("This key is already used")
    return None


def field_of(attribute: str) -> str:
    """The form field a plugin-check problem's attribute belongs to (``cadence.time`` →
    ``time``; ``cadence`` → ``frequency``)."""
    if attribute.startswith("cadence."):
        return attribute.removeprefix("cadence.")
    if attribute == "cadence":
        return "frequency"
    return attribute.split(".", 1)[0] or "name"


def _parse_field(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A local form field: its form, label, type, whether it is required, its choices (one a
    line, ``value=label`` or the label alone) and a hint."""
    problems: dict[str, str] = {}
    lines = [line.strip() for line in str(data.get("choices") or "").splitlines() if line.strip()]
    choices = []
    for n, line in enumerate(lines[:50], start=1):
        value, sep, label = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", value.strip()):
            value, label = f"c{n}", line
        choices.append({"value": value.strip(), "label": label.strip()[:NAME_MAX]})
    field_type = _text(data, "type", 20) or "text"
    values: dict[str, Any] = {
        "form": _text(data, "form", 20) or "intake",
        "label": _text(data, "label"),
        "type": field_type,
        "required": str(data.get("required") or "") in ("1", "on", "true", "yes"),
        "choices": choices if field_type in CHOICE_TYPES else [],
        "help": _text(data, "help", 500),
    }
    if not values["label"]:
        problems["label"] = N_("Enter the label")
    return values, problems
