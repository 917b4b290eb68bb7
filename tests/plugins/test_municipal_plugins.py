"""The two shipped municipal plugins (臼杵市, 丸亀市) and a deliberately broken one.

What a municipality and a plugin vendor would notice: the shipped plugins pass the same
check the platform runs, the two towns really differ, Usuki's unpublished values are all
marked as assumptions in one place the plugin follows, and a broken plugin is refused with
messages that name the plugin, the hook and the field.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

import jinja2
import pytest

from kasane.core.plugin_kit import TenantConfig, check_plugin, example_tenant
from kasane.core.plugins import build_config
from kasane_plugins import marugame, usuki
from kasane_plugins.usuki import assumptions

USUKI_TENANT = example_tenant(
    slug="usuki", name="臼杵市", municipality_code="442062", prefecture="大分県", population=36000
)
MARUGAME_TENANT = example_tenant(
    slug="marugame",
    name="丸亀市",
    municipality_code="372021",
    prefecture="香川県",
    population=110000,
)


@pytest.fixture(scope="module")
def broken_plugin() -> ModuleType:
    """The broken plugin, loaded by path so it works under any pytest import mode."""
    path = Path(__file__).with_name("broken_plugin.py")
    spec = importlib.util.spec_from_file_location("broken_plugin", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def usuki_config() -> TenantConfig:
    return build_config(usuki, USUKI_TENANT)


def marugame_config() -> TenantConfig:
    return build_config(marugame, MARUGAME_TENANT)


def check_digit_ok(code: str) -> bool:
    """全国地方公共団体コード: the 6th digit is 11 − (Σ digit×weight 6..2 mod 11), last digit."""
    total = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True))
    return len(code) == 6 and code.isdigit() and (11 - total % 11) % 10 == int(code[5])


# ---------------------------------------------------------------- the shipped plugins pass


@pytest.mark.parametrize(
    "plugin, tenant",
    [(usuki, USUKI_TENANT), (marugame, MARUGAME_TENANT)],
    ids=["usuki", "marugame"],
)
def test_shipped_plugin_passes_the_platform_check(plugin: ModuleType, tenant) -> None:
    # given a shipped municipal plugin and its own tenant
    # when the plugin kit checks it as the platform will
    problems = check_plugin(plugin, tenant)
    # then there is nothing to fix, for its tenant and for the kit's example tenant alike
    assert problems == []
    assert check_plugin(plugin) == []


@pytest.mark.parametrize(
    "plugin, code, prefecture_code",
    [(usuki, "442062", "44"), (marugame, "372021", "37")],
    ids=["usuki", "marugame"],
)
def test_plugin_declares_its_municipality(
    plugin: ModuleType, code: str, prefecture_code: str
) -> None:
    # given a shipped plugin
    # when we read what it declares about itself
    declared = plugin.MUNICIPALITY_CODE
    # then it is the town's real 6-digit code, in the right prefecture, with a valid check digit
    assert declared == code
    assert declared.startswith(prefecture_code)  # 44 = 大分県, 37 = 香川県
    assert check_digit_ok(declared)
    assert plugin.KASANE_HOOKS == (1, 1)
    assert plugin.__doc__ and plugin.NAME in plugin.__doc__


def test_usuki_is_configured_as_the_town_is_organised() -> None:
    # given 臼杵市's plugin
    # when its configuration is built
    config = usuki_config()
    # then the two former municipalities are the parents of 18 地域振興協議会 districts
    parents = [a for a in config.areas if a.parent is None]
    districts = [a for a in config.areas if a.parent is not None]
    assert [a.name for a in parents] == ["臼杵地域", "野津地域"]
    assert len(districts) == 18
    assert {a.parent for a in districts} == {"usuki", "nozu"}
    # and each statutory field has a counter, with one at 野津庁舎
    assert {"elderly", "disability", "children", "poverty", "general"} <= {
        c.field for c in config.counters
    }
    assert any(c.place == "野津庁舎" for c in config.counters)
    # and the 支援会議 rests on 106条の6 while the 重層的支援会議 needs consent
    meetings = {m.key: m for m in config.meeting_types}
    assert meetings["shien_kaigi"].legal_basis_note == "社会福祉法106条の6"
    assert not meetings["shien_kaigi"].consent_required
    assert meetings["jusoteki"].consent_required
    assert config.theme == "usuki"


def test_local_intake_section_follows_the_national_fields() -> None:
    # given each town's intake addition
    # when the configuration merges it with the national form
    usuki_form, marugame_form = usuki_config().forms["intake"], marugame_config().forms["intake"]
    # then the national fields come first and the local ones after, under a combined version
    assert usuki_form.sections[0].key == "reception"
    assert usuki_form.sections[-1].key == "usuki"
    assert usuki_form.version.endswith("+usuki-2026.1")
    assert "ishibotoke_net" in {f.name for f in usuki_form.all_fields()}
    assert marugame_form.version.endswith("+marugame-2025.1")
    assert marugame_form.sections[-1].key == "marugame"


# ---------------------------------------------------------------- the towns differ


def test_the_two_towns_differ_in_counters_meetings_and_menus() -> None:
    # given both towns' configurations
    usuki_cfg, marugame_cfg = usuki_config(), marugame_config()
    # when we compare what each town's staff will see
    # then Marugame runs exactly its three meetings, and Usuki does not run them
    assert sorted(m.name for m in marugame_cfg.meeting_types) == sorted(
        ["まるごと会議", "支援検討会議", "体制検討会議"]
    )
    assert {m.name for m in usuki_cfg.meeting_types} == {"重層的支援会議", "支援会議"}
    # and counters and menus are each town's own
    assert {c.name for c in usuki_cfg.counters} != {c.name for c in marugame_cfg.counters}
    assert {c.place for c in usuki_cfg.counters} >= {"臼杵庁舎", "野津庁舎"}
    assert not {m.name for m in usuki_cfg.participation_menus} & {
        m.name for m in marugame_cfg.participation_menus
    }
    assert "learning" in {m.category for m in marugame_cfg.participation_menus}
    # and so are the words and the look
    assert usuki_cfg.stage_labels["reception"] != marugame_cfg.stage_labels["reception"]
    assert (usuki_cfg.theme, marugame_cfg.theme) == ("usuki", "default")


def test_marugame_meetings_each_decide_their_own_things() -> None:
    # given Marugame's three meetings
    meetings = {m.name: m for m in marugame_config().meeting_types}
    # when we look at what each may decide
    # then only the consent-based 支援検討会議 decides support and closure,
    # まるごと会議 shares information without consent, 体制検討会議 reviews the system
    assert meetings["支援検討会議"].consent_required
    assert {"support_decision", "closure"} <= set(meetings["支援検討会議"].decisions)
    assert meetings["まるごと会議"].legal_basis == "art106_6"
    assert "support_decision" not in meetings["まるごと会議"].decisions
    assert meetings["体制検討会議"].cadence.frequency == "quarterly"
    assert meetings["体制検討会議"].decisions[0] == "system_review"


# ---------------------------------------------------------------- Usuki's assumptions


def test_usuki_assumptions_are_declared_and_every_value_is_marked() -> None:
    # given the module that holds what 臼杵市 has not published
    source = inspect.getsource(assumptions)
    tree = ast.parse(source)
    lines = source.splitlines()
    # when we read its docstring and every constant it defines
    constants = [
        (node.lineno, target.id)
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id.isupper()
    ]
    # then it says these are assumptions, and each constant sits under a "# ASSUMPTION" comment
    assert "ASSUMPTIONS" in (ast.get_docstring(tree) or "")
    assert len(constants) >= 8
    for lineno, name in constants:
        above, i = [], lineno - 2
        while i >= 0 and lines[i].lstrip().startswith("#"):
            above.append(lines[i])
            i -= 1
        assert any("# ASSUMPTION:" in line for line in above), f"{name} is not marked"


def test_usuki_plugin_takes_its_unpublished_values_from_the_assumptions() -> None:
    # given the configuration built from the assumptions as they stand
    config = usuki_config()
    # when we compare it with the assumptions module
    # then counters, agencies, districts, cadence and menus are exactly those values
    assert [c.key for c in config.counters] == [c["key"] for c in assumptions.COUNTERS]
    assert [a.key for a in config.agencies] == [a["key"] for a in assumptions.AGENCIES]
    assert [a.name for a in config.areas if a.parent] == [d["name"] for d in assumptions.DISTRICTS]
    jusoteki = next(m for m in config.meeting_types if m.key == "jusoteki")
    assert jusoteki.cadence.nth == assumptions.JUSOTEKI_CADENCE["nth"]
    assert jusoteki.legal_basis_note == assumptions.JUSOTEKI_YOKO
    assert [m.key for m in config.participation_menus] == [
        m["key"] for m in assumptions.PARTICIPATION_MENUS
    ]


def test_correcting_an_assumption_corrects_the_configuration(monkeypatch) -> None:
    # given the town tells us its 重層的支援会議 really meets on the 3rd Thursday at 10:00
    monkeypatch.setattr(
        assumptions,
        "JUSOTEKI_CADENCE",
        {"frequency": "monthly", "weekday": 3, "nth": 3, "time": "10:00"},
    )
    # when the configuration is rebuilt
    jusoteki = next(m for m in usuki_config().meeting_types if m.key == "jusoteki")
    # then the meeting follows, with no change to the plugin itself
    assert (jusoteki.cadence.weekday, jusoteki.cadence.nth, jusoteki.cadence.time) == (
        3,
        3,
        "10:00",
    )


def test_hooks_return_copies_so_the_assumptions_cannot_be_altered_by_callers() -> None:
    # given the counters a hook returned
    counters = usuki.kasane_counters(USUKI_TENANT)
    # when a caller changes them
    counters[0]["name"] = "changed"
    # then the next configuration is unaffected
    assert usuki.kasane_counters(USUKI_TENANT)[0]["name"] == assumptions.COUNTERS[0]["name"]


# ---------------------------------------------------------------- templates and imports


@pytest.mark.parametrize("plugin", [usuki, marugame], ids=["usuki", "marugame"])
def test_home_intro_fragment_renders_as_a_titled_section(plugin: ModuleType) -> None:
    # given the plugin's template folder
    folder = Path(plugin.kasane_template_dir(example_tenant()))
    # when the staff home's fragment is rendered on its own
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True)
    html = env.get_template("_home_intro.html").render()
    # then it is a section titled by an h2, mentions the town, and leaves colour to the theme
    assert folder.is_absolute()
    assert html.lstrip().startswith("<section") and html.rstrip().endswith("</section>")
    assert html.count("<h2") == 1 and 'aria-labelledby="home-intro-title"' in html
    assert plugin.NAME in html
    assert "style=" not in html and "color" not in html


@pytest.mark.parametrize(
    "module", [usuki, assumptions, marugame], ids=["usuki", "usuki.assumptions", "marugame"]
)
def test_plugins_import_only_the_plugin_kit_from_kasane(module: ModuleType) -> None:
    # given a plugin module's source
    tree = ast.parse(inspect.getsource(module))
    # when we list what it imports from the platform
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kasane")
    }
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("kasane")
    }
    # then it is the plugin kit or nothing — never models, services or the database
    assert imported <= {"kasane.core.plugin_kit"}


# ---------------------------------------------------------------- a broken plugin


def test_broken_plugin_is_refused_naming_plugin_hook_and_field(broken_plugin) -> None:
    # given a plugin whose every hook is wrong in one known way
    # when the plugin kit checks it
    problems = check_plugin(broken_plugin)
    text = "\n".join(problems)

    # then every problem names the plugin
    assert problems and all(p.startswith("broken_plugin: ") for p in problems)

    def about(hook: str, *fragments: str) -> bool:
        return any(hook in p and all(f in p for f in fragments) for p in problems)

    # and each names the hook and the field that is wrong
    assert about("kasane_counters", "(key='madoguchi')", ".name", "str"), text
    assert about("kasane_meeting_types", "(key='kaigi')", ".members", "'yurei_kikan'"), text
    assert about("kasane_meeting_types", ".cadence", "weekday and nth"), text
    assert about("kasane_participation_menus", ".area", "'atlantis'"), text
    assert about("kasane_form_definitions", "intake.local.name", "redefines"), text
    assert about("kasane_stage_labels", "triage"), text
    assert about("kasane_terminology", "citizen"), text
    assert about("kasane_theme", "'no-such-theme'"), text
    # and the valid parts are not blamed
    blamed = {p.split(": ", 2)[1].split("[")[0].split(".")[0] for p in problems}
    assert not blamed & {"kasane_agencies", "kasane_areas"}, text
