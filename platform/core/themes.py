"""Installed themes: folders under ``kasane_themes`` holding templates and CSS tokens only."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import kasane_themes


def themes_root() -> Path:
    return Path(kasane_themes.__file__).parent


@cache
def available_themes() -> frozenset[str]:
    """Names of the installed themes (each has a ``static/tokens.css``)."""
    return frozenset(
        p.name for p in themes_root().iterdir() if (p / "static" / "tokens.css").is_file()
    )


def theme_dir(name: str) -> Path:
    return themes_root() / name
