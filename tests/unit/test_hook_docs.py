"""Every hook is documented: in hookspecs.py, the README and the plugin guide."""

from __future__ import annotations

import inspect

import pytest

from kasane.core import hookspecs
from tests.conftest import REPO

HOOKS = sorted(
    n for n, f in vars(hookspecs).items() if n.startswith("kasane_") and inspect.isfunction(f)
)


def test_there_are_hooks() -> None:
    assert {
        "kasane_counters",
        "kasane_areas",
        "kasane_agencies",
        "kasane_meeting_types",
        "kasane_participation_menus",
        "kasane_form_definitions",
        "kasane_stage_labels",
        "kasane_terminology",
        "kasane_theme",
    } <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_hook_docstring_has_every_part(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    missing = [part for part in ("Called:", "Args:", "Returns:", "Example:") if part not in doc]
    assert not missing, f"{name} docstring lacks {missing}"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_listed_in_readme_and_plugin_guide(name: str) -> None:
    assert f"`{name}`" in (REPO / "README.md").read_text(), f"README lacks {name}"
    assert f"`{name}`" in (REPO / "docs" / "plugin-guide.md").read_text(), (
        f"docs/plugin-guide.md lacks {name}"
    )
