"""The generated hook reference (docs/hooks/) matches the real hook specs, page by page —
the signature as pluggy will check it and the docstring — as datasette's documentation
test does. After changing a hook: ``kasane plugins docs``."""

from __future__ import annotations

import inspect
import re

import pytest

from kasane import hook_docs
from kasane.core import hookspecs
from tests.conftest import REPO

DOCS = REPO / "docs" / "hooks"
HOOKS = hook_docs.hooks()


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_each_hook_has_its_page_with_the_real_signature(name: str) -> None:
    page = DOCS / f"{name}.md"
    assert page.exists(), f"docs/hooks/{name}.md is missing: run `kasane plugins docs`"
    text = page.read_text(encoding="utf-8")
    # the signature written in the page is the hook's own (argument names pluggy matches on)
    written = re.search(rf"```python\n({name}\(.*\).*)\n```", text)
    assert written, f"{name}: no signature in its page"
    params = re.match(rf"{name}\(([^)]*)\)", written.group(1))
    assert params
    names = [p.split(":")[0].strip() for p in params.group(1).split(",") if p.strip()]
    assert names == list(inspect.signature(HOOKS[name]).parameters), (
        f"{name}: the page's arguments differ from the hook's: run `kasane plugins docs`"
    )
    # and the whole page is what the hook's signature and docstring make it
    assert text == hook_docs.hook_page(name, HOOKS[name]), (
        f"docs/hooks/{name}.md is out of date: run `kasane plugins docs`"
    )


def test_there_is_no_page_for_a_hook_that_does_not_exist() -> None:
    pages = {p.stem for p in DOCS.glob("kasane_*.md")}
    assert pages == set(HOOKS)
    assert (DOCS / "README.md").read_text(encoding="utf-8") == hook_docs.index_page()


def test_the_check_fails_when_a_hook_changes_without_its_page(monkeypatch) -> None:
    # given a hook that gains an argument (and a word in its docstring) but no new page
    def kasane_monitoring_interval(tenant, case, history):  # type: ignore[no-untyped-def]
        """Changed."""

    monkeypatch.setattr(hookspecs, "kasane_monitoring_interval", kasane_monitoring_interval)
    changed = hook_docs.hooks()["kasane_monitoring_interval"]
    # then the page no longer matches what the hook makes it
    page = (DOCS / "kasane_monitoring_interval.md").read_text(encoding="utf-8")
    assert page != hook_docs.hook_page("kasane_monitoring_interval", changed)
    assert "history" not in page


def test_rule_hooks_are_documented_as_rules_with_their_fallback() -> None:
    for name in hook_docs.RULES:
        text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
        assert "**Kind:** rule" in text
    intro = inspect.getdoc(hookspecs) or ""
    assert "half a second" in intro and "core's own rule applies" in intro
