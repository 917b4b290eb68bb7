"""WCAG 2.1 contrast for the admin's colours, against what each theme pairs them with.

A theme says where the admin's colours go in its ``tokens.css``: a token written as
``--color-link: var(--look-primary, #0b57a4)`` takes the primary colour (and falls back to
``#0b57a4``). ``TOKEN_USES`` says what the core stylesheet (``app.css``) puts next to each
token. Together they give every pairing a colour ends up in, for the chosen theme.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from kasane.core.i18n import N_
from kasane.core.themes import theme_dir

HEX_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
TEXT = 4.5  # WCAG 2.1 AA 1.4.3, normal-size text
NON_TEXT = 3.0  # WCAG 2.1 AA 1.4.11, user-interface components such as a focus outline

# The admin's colours as CSS custom properties (what /look.css sets).
LOOK_VARIABLES = {"primary": "--look-primary", "accent": "--look-accent"}


@dataclass(frozen=True)
class Use:
    """The core stylesheet draws a token against ``other`` and needs ``ratio`` there."""

    other: str  # a token of the theme, e.g. "--color-bg"
    ratio: float
    what: str  # msgid: where a user sees this pairing


# Keep in step with platform/core/web/static/app.css: which token is drawn on which.
TOKEN_USES: dict[str, tuple[Use, ...]] = {
    "--color-primary": (Use("--color-on-primary", TEXT, N_("button text on this colour")),),
    "--color-header-bg": (Use("--color-header-text", TEXT, N_("header text on this colour")),),
    "--color-link": (
        Use("--color-bg", TEXT, N_("links on the page background")),
        Use("--color-surface", TEXT, N_("links on cards and forms")),
        Use("--color-note-bg", TEXT, N_("links on notes")),
    ),
    "--color-focus": (
        Use("--color-bg", NON_TEXT, N_("the focus outline on the page background")),
        Use("--color-surface", NON_TEXT, N_("the focus outline on cards and forms")),
    ),
}


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def shown_ratio(ratio: float) -> str:
    """Rounded down, so a refused 4.497 never reads as the 4.50 it did not reach."""
    return f"{math.floor(ratio * 100) / 100:.2f}"


_IMPORT = re.compile(r'@import\s+url\(\s*"?/static/themes/([a-z0-9_-]+)/tokens\.css"?\s*\)')
_DECLARATION = re.compile(r"(--[a-z0-9-]+)\s*:\s*([^;]+);")
_LOOK_VAR = re.compile(r"^var\(\s*(--look-[a-z]+)\s*,\s*(#[0-9a-fA-F]{6})\s*\)$")


@dataclass(frozen=True)
class Token:
    value: str  # the theme's own colour (#rrggbb), or the fallback of a look variable
    look: str | None = None  # the look variable the token takes, e.g. "--look-primary"


@cache
def theme_tokens(theme: str) -> dict[str, Token]:
    """The colour tokens of a theme's ``tokens.css``, imported themes first."""
    css = (theme_dir(theme) / "static" / "tokens.css").read_text(encoding="utf-8")
    tokens: dict[str, Token] = {}
    for parent in _IMPORT.findall(css):
        tokens.update(theme_tokens(parent))
    for name, raw in _DECLARATION.findall(re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        raw = raw.strip()
        if m := _LOOK_VAR.match(raw):
            tokens[name] = Token(m.group(2).lower(), m.group(1))
        elif HEX_COLOUR.match(raw.lower()):
            tokens[name] = Token(raw.lower())
    return tokens


@dataclass(frozen=True)
class Shortfall:
    """A pairing below what WCAG 2.1 AA needs."""

    what: str  # msgid of the pairing
    other: str  # the colour on the other side (#rrggbb)
    found: float
    needed: float
    darker: bool  # True when a darker colour would help


def shortfalls(theme: str, key: str, colour: str) -> list[Shortfall]:
    """Every pairing in ``theme`` where the look colour ``key`` (primary, accent) fails AA,
    worst first.

    ``colour`` is ``#rrggbb`` in lower case; the other side of each pairing is the theme's
    own token (a look colour never meets the other look colour in the core stylesheet).
    """
    tokens = theme_tokens(theme)
    variable = LOOK_VARIABLES[key]
    found: list[Shortfall] = []
    for token, uses in TOKEN_USES.items():
        if token not in tokens or tokens[token].look != variable:
            continue
        for use in uses:
            other = tokens.get(use.other)
            if other is None:
                continue
            ratio = contrast_ratio(colour, other.value)
            if ratio < use.ratio:
                darker = relative_luminance(other.value) >= relative_luminance(colour)
                found.append(Shortfall(use.what, other.value, ratio, use.ratio, darker))
    return sorted(found, key=lambda s: s.found / s.needed)


def routed(theme: str) -> dict[str, set[str]]:
    """Look variable → the theme's tokens that take it (for the checks and the form)."""
    out: dict[str, set[str]] = {}
    for name, token in theme_tokens(theme).items():
        if token.look:
            out.setdefault(token.look, set()).add(name)
    return out
