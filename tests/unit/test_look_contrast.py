"""WCAG 2.1 contrast and what each installed theme does with the admin's colours."""

from __future__ import annotations

import pytest

from kasane.core.look.contrast import (
    NON_TEXT,
    TEXT,
    TOKEN_USES,
    contrast_ratio,
    routed,
    shortfalls,
    shown_ratio,
    theme_tokens,
)
from kasane.core.look.services import look_css
from kasane.core.themes import available_themes

THEMES = sorted(available_themes())


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # #767676 is the lightest grey that passes 4.5:1 on white; #777777 just fails
    assert shown_ratio(contrast_ratio("#767676", "#ffffff")) == "4.54"
    assert contrast_ratio("#777777", "#ffffff") < TEXT < contrast_ratio("#767676", "#ffffff")
    assert contrast_ratio("#123456", "#fedcba") == contrast_ratio("#fedcba", "#123456")


def test_a_ratio_just_short_is_never_shown_as_reaching_the_need() -> None:
    assert shown_ratio(4.4999) == "4.49"


@pytest.mark.parametrize("theme", THEMES)
def test_every_theme_gives_the_admins_colours_to_its_header_buttons_links_and_focus(
    theme: str,
) -> None:
    assert routed(theme) == {
        "--look-primary": {"--color-primary", "--color-header-bg", "--color-link"},
        "--look-accent": {"--color-focus"},
    }


@pytest.mark.parametrize("theme", THEMES)
def test_every_themes_own_colours_pass_the_checks_the_admin_gets(theme: str) -> None:
    tokens = theme_tokens(theme)
    for token in TOKEN_USES:
        own = tokens[token].value
        key = "primary" if tokens[token].look == "--look-primary" else "accent"
        assert shortfalls(theme, key, own) == [], (theme, token, own)


def test_usukis_darker_notes_refuse_a_link_colour_the_default_theme_accepts() -> None:
    assert shortfalls("default", "primary", "#307880") == []
    (only,) = shortfalls("usuki", "primary", "#307880")
    assert only.what == "links on notes" and only.other == "#f1ead8"
    assert only.needed == TEXT and only.darker
    assert shown_ratio(only.found) == "4.24"


def test_the_accent_needs_three_to_one_as_a_focus_outline() -> None:
    found = shortfalls("default", "accent", "#f0f0f0")
    assert {s.needed for s in found} == {NON_TEXT} and len(found) == 2


def test_the_stylesheet_only_ever_holds_colours() -> None:
    css = look_css({"primary": "#1d4e89", "accent": "red; } body { display: none"})
    assert "--look-primary: #1d4e89;" in css
    assert "--look-accent" not in css and "display" not in css
