"""Templates are not re-checked for changes in production (issue 16): Jinja's auto-reload
stats every template and include on each render. The demo (local development) keeps it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kasane.core.web import templating
from kasane.settings import load_settings


@pytest.mark.parametrize("reload", [False, True])
def test_a_changed_template_is_seen_only_when_reloading(tmp_path: Path, reload: bool) -> None:
    page = tmp_path / "probe.html"
    page.write_text("first", encoding="utf-8")
    templating.set_template_reload(reload)
    try:
        env = templating.environment_for("default", str(tmp_path))
        assert env.get_template("probe.html").render() == "first"
        page.write_text("second", encoding="utf-8")
        later = page.stat().st_mtime + 5
        os.utime(page, (later, later))
        assert env.get_template("probe.html").render() == ("second" if reload else "first")
    finally:
        templating.set_template_reload(False)


def test_production_settings_do_not_reload_and_the_demo_does(tmp_path: Path) -> None:
    keys = {"secret_key": "x" * 32, "master_key": "y" * 32}
    assert not load_settings(var_dir=tmp_path, demo=False, **keys).template_reload
    assert load_settings(var_dir=tmp_path, demo=True, **keys).template_reload
