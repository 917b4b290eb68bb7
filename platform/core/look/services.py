"""The tenant's look and words: what the admin set, its checks, and the stylesheet it gives.

The admin's settings layer over the plugin's: an empty field keeps the plugin's theme, the
theme's colours, the tenant's name and the plugin's word for a term. The resolver loads
them with the tenant (``look_and_terms``); ``TenantContext`` merges them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import utcnow
from kasane.core.defaults import TERMS
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.look.contrast import (
    HEX_COLOUR,
    LOOK_VARIABLES,
    Shortfall,
    shortfalls,
    shown_ratio,
)
from kasane.core.look.models import LOGO_TEXT_MAX, TERM_MAX, TenantLook
from kasane.core.themes import available_themes

TERM_FIELD = "term_"  # form field prefix: term_counter, term_area, …
FIELD_LABELS: dict[str, str] = {
    "theme": N_("Theme"),
    "primary_color": N_("Primary colour"),
    "accent_color": N_("Accent colour"),
    "logo_text": N_("Logo text"),
    "terminology": N_("Words for core terms"),
}
COLOUR_FIELDS = {"primary_color": "primary", "accent_color": "accent"}  # field → look key
_BARE_HEX = re.compile(r"^[0-9a-f]{6}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class LookInput:
    """The look form as typed (trimmed); empty strings mean "keep the plugin's"."""

    theme: str = ""
    primary_color: str = ""
    accent_color: str = ""
    logo_text: str = ""
    terminology: dict[str, str] = field(default_factory=dict)  # core term → word, non-empty
    unknown_terms: list[str] = field(default_factory=list)

    def form_values(self) -> dict[str, str]:
        """The values to put back in the form (nothing typed is lost on an error)."""
        values = {
            "theme": self.theme,
            "primary_color": self.primary_color,
            "accent_color": self.accent_color,
            "logo_text": self.logo_text,
        }
        values.update({TERM_FIELD + k: v for k, v in self.terminology.items()})
        return values


def _colour(raw: str) -> str:
    value = raw.strip().lower()
    return "#" + value if _BARE_HEX.match(value) else value  # "2f5d3a" is what they meant


def read_look_form(data: Mapping[str, str]) -> LookInput:
    """Parse the posted look form; unknown ``term_*`` fields are kept to be refused."""
    look = LookInput(
        theme=(data.get("theme") or "").strip(),
        primary_color=_colour(data.get("primary_color") or ""),
        accent_color=_colour(data.get("accent_color") or ""),
        logo_text=(data.get("logo_text") or "").strip(),
    )
    for name, raw in data.items():
        if not name.startswith(TERM_FIELD):
            continue
        term, word = name[len(TERM_FIELD) :], (raw or "").strip()
        if term not in TERMS:
            look.unknown_terms.append(term)
        elif word:
            look.terminology[term] = word
    return look


def input_of(row: TenantLook | None) -> LookInput:
    """The saved look as form input (an empty form when nothing was set)."""
    if row is None:
        return LookInput()
    return LookInput(
        theme=row.theme or "",
        primary_color=row.primary_color or "",
        accent_color=row.accent_color or "",
        logo_text=row.logo_text or "",
        terminology={k: v for k, v in (row.terminology or {}).items() if k in TERMS and v},
    )


def theme_problem(name: str) -> str:
    """The message for a theme the town cannot have (not installed, or another town's)."""
    return _named("theme", N_("%(field)s: no installed theme is called %(name)s"), name=name)


def _named(field_name: str, message: str, **variables: object) -> str:
    return _(message, field=_(FIELD_LABELS[field_name]), **variables)


def _length_problem(label: str, text: str, limit: int) -> str | None:
    if len(text) > limit:
        return _(
            "%(field)s: use at most %(max)s characters (you entered %(n)s)",
            field=label,
            max=limit,
            n=len(text),
        )
    if _CONTROL.search(text):
        return _("%(field)s: use a single line of text", field=label)
    return None


def _contrast_problem(field_name: str, worst: Shortfall) -> str:
    hint = N_("Choose a darker colour.") if worst.darker else N_("Choose a lighter colour.")
    message = _named(
        field_name,
        N_(
            "%(field)s: contrast %(found)s:1 for %(what)s (%(other)s); "
            "WCAG 2.1 AA needs at least %(needed)s:1."
        ),
        what=_(worst.what),
        other=worst.other,
        found=shown_ratio(worst.found),
        needed=f"{worst.needed:.1f}",
    )
    return f"{message} {_(hint)}"


def check_look(look: LookInput, fallback_theme: str) -> dict[str, str]:
    """Problems with the look form: field → message (translated) naming the field.

    Args:
        look: the form as read by ``read_look_form``.
        fallback_theme: the theme used when the admin picks none (operator's or plugin's);
            the colours' contrast is checked against the theme that will be used.

    Returns:
        Nothing when the look may be saved.
    """
    problems: dict[str, str] = {}
    theme = fallback_theme
    if look.theme and look.theme not in available_themes():
        problems["theme"] = theme_problem(look.theme)
    elif look.theme:
        theme = look.theme
    for field_name, key in COLOUR_FIELDS.items():
        colour = getattr(look, field_name)
        if not colour:
            continue
        if not HEX_COLOUR.match(colour):
            problems[field_name] = _named(
                field_name,
                N_("%(field)s: enter a colour as # and six hexadecimal digits, e.g. #2f5d3a"),
            )
            continue
        if found := shortfalls(theme, key, colour):
            problems[field_name] = _contrast_problem(field_name, found[0])
    if problem := _length_problem(_(FIELD_LABELS["logo_text"]), look.logo_text, LOGO_TEXT_MAX):
        problems["logo_text"] = problem
    for term, word in look.terminology.items():
        if problem := _length_problem(_(TERMS[term]), word, TERM_MAX):
            problems[TERM_FIELD + term] = problem
    if look.unknown_terms:
        problems["terminology"] = _named(
            "terminology",
            N_("%(field)s: %(terms)s is not a core term"),
            terms=", ".join(sorted(look.unknown_terms)),
        )
    return problems


async def find_look(session: AsyncSession) -> TenantLook | None:
    """The session tenant's look row, if its admin ever saved one."""
    return (await session.execute(select(TenantLook))).scalar_one_or_none()


async def look_and_terms(session: AsyncSession) -> tuple[dict[str, str], dict[str, str]]:
    """(look: theme, colours and logo text, terminology overrides) set by the tenant's admin.

    Only what is set and still valid: a theme since uninstalled or a term the core no longer
    defines is left out, so the plugin's value shows instead.
    """
    row = await find_look(session)
    if row is None:
        return {}, {}
    look = {
        "theme": row.theme if row.theme in available_themes() else None,
        "primary": row.primary_color,
        "accent": row.accent_color,
        "logo_text": row.logo_text,
    }
    return {k: v for k, v in look.items() if v}, input_of(row).terminology


async def do_save_look(session: AsyncSession, look: LookInput, actor: str) -> list[str]:
    """Save a checked look; audit ``look.update`` with the names of the fields that changed.

    Returns:
        The changed fields (``term:<key>`` for a word); empty when nothing changed.
    """
    row = await find_look(session)
    new = {
        "theme": look.theme or None,
        "primary_color": look.primary_color or None,
        "accent_color": look.accent_color or None,
        "logo_text": look.logo_text or None,
    }
    old = {name: getattr(row, name) if row else None for name in new}
    old_terms = dict(row.terminology or {}) if row else {}
    changed = [name for name, value in new.items() if old[name] != value]
    changed += [f"term:{t}" for t in TERMS if old_terms.get(t) != look.terminology.get(t)]
    if not changed:
        return []
    if row is None:
        row = TenantLook(terminology={})
        session.add(row)
    for name, value in new.items():
        setattr(row, name, value)
    row.terminology = dict(look.terminology)  # a new dict: JSON columns track reassignment
    row.updated_at = utcnow()
    await session.flush()
    await do_audit(session, actor, "look.update", f"tenant_look:{row.id}", fields=changed)
    return changed


def look_css(colours: Mapping[str, str]) -> str:
    """The stylesheet of ``colours`` (look key → #rrggbb): the custom properties the
    themes' ``tokens.css`` take (``--look-primary``, ``--look-accent``)."""
    lines = [
        f"  {variable}: {colours[key]};"
        for key, variable in LOOK_VARIABLES.items()
        if HEX_COLOUR.match(colours.get(key) or "")
    ]
    body = "\n".join(lines)
    return f"/* This municipality's colours, set on its look page. */\n:root {{\n{body}\n}}\n"
