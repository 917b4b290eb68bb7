"""Per-tenant plugin managers: validation, named problems, last good configuration."""

from __future__ import annotations

import types

from kasane.core import plugins
from kasane.core.plugin_kit import example_tenant, hookimpl
from kasane_plugins import marugame, usuki


def _plugin(name: str, **hooks) -> types.ModuleType:  # type: ignore[no-untyped-def]
    module = types.ModuleType(name)
    module.KASANE_HOOKS = (1, 1)  # type: ignore[attr-defined]
    for hook_name, fn in hooks.items():
        fn.__name__ = hook_name
        setattr(module, hook_name, hookimpl(fn))
    return module


def test_each_tenant_gets_its_own_manager_and_config() -> None:
    # given two tenants bound to different plugins
    plugins.activate("t-usuki", "usuki", example_tenant(slug="usuki"))
    plugins.activate("t-marugame", "marugame", example_tenant(slug="marugame"))
    # then each sees only its own plugin's answers
    u, m = plugins.config_for("t-usuki"), plugins.config_for("t-marugame")
    assert {x.name for x in m.meeting_types} == {"まるごと会議", "支援検討会議", "体制検討会議"}
    assert not {x.name for x in u.meeting_types} & {x.name for x in m.meeting_types}
    assert plugins.hooks_for("t-usuki").kasane_theme(tenant=example_tenant()) == "usuki"
    assert plugins.hooks_for("t-marugame").kasane_theme(tenant=example_tenant()) == "default"


def test_a_plugin_without_a_hook_falls_back_to_the_core_default() -> None:
    bare = _plugin("bare_town")
    config = plugins.build_config(bare, example_tenant())
    assert [c.key for c in config.counters] == ["hokatsu", "kikan", "kodomo", "jiritsu", "general"]
    assert config.theme == "default"


def test_problems_name_plugin_hook_and_field() -> None:
    bad = _plugin(
        "bad_town",
        kasane_counters=lambda tenant: [{"key": "x", "name": 3, "field": "elderly"}],
        kasane_areas=lambda tenant: [{"key": "a", "name": "A", "parent": "nowhere"}],
    )
    problems: list[str] | None = None
    try:
        plugins.build_config(bad, example_tenant())
    except plugins.PluginInvalid as exc:
        problems = exc.problems
    assert problems is not None
    assert any(p.startswith("bad_town: kasane_counters[0](key='x').name") for p in problems)
    assert any("kasane_areas" in p and "parent" in p and "nowhere" in p for p in problems)


def test_an_unknown_hook_is_refused() -> None:
    typo = _plugin("typo_town", kasane_counter=lambda tenant: [])
    try:
        plugins.build_config(typo, example_tenant())
    except plugins.PluginInvalid as exc:
        assert "kasane_counter" in exc.problems[0] and "typo_town" in exc.problems[0]
    else:
        raise AssertionError("a misspelled hook must be refused")


def test_a_hooks_version_the_platform_does_not_speak_is_refused() -> None:
    old = _plugin("old_town")
    old.KASANE_HOOKS = (0, 0)  # type: ignore[attr-defined]
    try:
        plugins.build_config(old, example_tenant())
    except plugins.PluginInvalid as exc:
        assert any("KASANE_HOOKS" in p for p in exc.problems)
    else:
        raise AssertionError("an incompatible plugin must be refused")


def test_a_broken_plugin_keeps_the_tenants_last_good_configuration(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # given a tenant whose plugin was good
    good, problems = plugins.activate("t-upgrade", "usuki", example_tenant())
    assert problems == []
    # when an update of the plugin breaks it
    broken = _plugin("usuki", kasane_counters=lambda tenant: "not a list")
    monkeypatch.setattr(plugins, "load_plugin", lambda ref: broken)
    kept, problems = plugins.activate(
        "t-upgrade", "usuki", example_tenant(), last_good=lambda: good
    )
    # then the problems are reported and the tenant still has its old counters
    assert problems and "kasane_counters" in problems[0]
    assert kept == good
    assert plugins.config_for("t-upgrade").counters == good.counters


def test_the_plugins_shipped_with_kasane_validate() -> None:
    for module in (usuki, marugame):
        plugins.build_config(module, example_tenant(municipality_code=module.MUNICIPALITY_CODE))


def test_config_survives_a_json_round_trip() -> None:
    config = plugins.build_config(usuki, example_tenant())
    assert plugins.config_from_json(plugins.config_to_json(config)) == config
