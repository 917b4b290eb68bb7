"""``plugins check`` catches what the issue listed, item by item, naming entry point, hook,
item key and field — and one bad value costs only its own item (no cascade)."""

from __future__ import annotations

import copy
import types
from typing import Any

import pytest

from kasane.core import plugins
from kasane.core.config_types import Counter
from kasane.core.plugin_answers import Collector
from kasane.core.plugin_kit import check_plugin, hookimpl

AGENCIES = [
    {"key": "fukushi", "name": "福祉課", "field": "general", "kind": "municipal"},
    {"key": "shakyo", "name": "社会福祉協議会", "field": "general", "kind": "contracted"},
]
COUNTERS = [{"key": "madoguchi", "name": "福祉総合窓口", "field": "general", "agency": "fukushi"}]
MEETING = {
    "key": "kaigi",
    "name": "支援会議",
    "legal_basis": "art106_6",
    "legal_basis_note": "社会福祉法106条の6",
    "host": "fukushi",
    "cadence": {"frequency": "monthly", "weekday": 1, "nth": 2, "time": "14:00"},
    "members": ["fukushi", "shakyo"],
    "decisions": ["information_sharing"],
}
MENU = {"key": "salon", "name": "サロン", "category": "ibasho", "capacity": 10}
FIELD = {"name": "kominkan", "label": "公民館", "type": "text"}


def town(
    *,
    counters: Any = None,
    meeting: dict[str, Any] | None = None,
    menu: dict[str, Any] | None = None,
    fields: list[dict[str, Any]] | None = None,
    template_dir: str | None = None,
    agencies: Any = None,
) -> types.ModuleType:
    """A valid plugin (module ``kita_town``) with one part replaced."""
    module = types.ModuleType("kita_town")
    module.KASANE_HOOKS = (1, 1)  # type: ignore[attr-defined]
    answers = {
        "kasane_counters": COUNTERS if counters is None else counters,
        "kasane_agencies": AGENCIES if agencies is None else agencies,
        "kasane_meeting_types": [meeting or MEETING],
        "kasane_participation_menus": [menu or MENU],
        "kasane_form_definitions": [
            {
                "key": "intake",
                "title": "相談受付票",
                "version": "kita-1",
                "sections": [{"key": "kita", "title": "北町", "fields": fields or [FIELD]}],
            }
        ],
    }
    for hook, answer in answers.items():

        def impl(tenant: Any, answer: Any = answer) -> Any:
            return copy.deepcopy(answer)

        impl.__name__ = hook
        setattr(module, hook, hookimpl(impl))
    if template_dir is not None:

        def kasane_template_dir(tenant: Any) -> str:
            return template_dir

        module.kasane_template_dir = hookimpl(kasane_template_dir)  # type: ignore[attr-defined]
    return module


def cadence(**values: Any) -> dict[str, Any]:
    return {**MEETING, "cadence": values}


def test_the_valid_town_passes() -> None:
    assert check_plugin(town()) == []


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # (what the issue listed, the bad part, the field named, a fragment of the message)
    (
        "weekly on Sunday",
        {"meeting": cadence(frequency="weekly", weekday=6, time="14:00")},
        "kasane_meeting_types[0](key='kaigi').cadence.weekday",
        "Sunday is not a working day",
    ),
    (
        "at 03:00",
        {"meeting": cadence(frequency="weekly", weekday=2, time="03:00")},
        "kasane_meeting_types[0](key='kaigi').cadence.time",
        "03:00 is outside 07:00-21:00",
    ),
    (
        "lasting 0 minutes",
        {"meeting": cadence(frequency="weekly", weekday=2, duration_minutes=0)},
        "kasane_meeting_types[0](key='kaigi').cadence.duration_minutes",
        "0 minutes",
    ),
    (
        "quarterly with no weekday",
        {"meeting": cadence(frequency="quarterly", time="10:00")},
        "kasane_meeting_types[0](key='kaigi').cadence.weekday",
        "never scheduled",
    ),
    (
        "nth on a weekly meeting",
        {"meeting": cadence(frequency="weekly", weekday=2, nth=2)},
        "kasane_meeting_types[0](key='kaigi').cadence.nth",
        "every week",
    ),
    (
        "case decisions on a meeting that discusses no case",
        {"meeting": {**MEETING, "discusses_cases": False, "decisions": ["closure"]}},
        "kasane_meeting_types[0](key='kaigi').decisions",
        "'closure' is a decision about a case",
    ),
    (
        "an unknown host",
        {"meeting": {**MEETING, "host": "yurei-ka"}},
        "kasane_meeting_types[0](key='kaigi').host",
        "'yurei-ka' is neither an agency's key or name",
    ),
    (
        "a negative capacity",
        {"menu": {**MENU, "capacity": -3}},
        "kasane_participation_menus[0](key='salon').capacity",
        "capacity -3",
    ),
    (
        "no counters",
        {"counters": []},
        "kasane_counters",
        "at least one counter is needed",
    ),
    (
        "a field name that is not a key",
        {"fields": [{**FIELD, "name": "公民館名"}]},
        "kasane_form_definitions.intake.kita.公民館名.name",
        "is not a field key",
    ),
    (
        "duplicate field names",
        {"fields": [FIELD, {**FIELD, "label": "公民館（再）"}]},
        "kasane_form_definitions.intake.kita.kominkan.name",
        "duplicate field name 'kominkan'",
    ),
    (
        "min > max",
        {"fields": [{**FIELD, "type": "number", "validation": {"min": 10, "max": 1}}]},
        "kasane_form_definitions.intake.kita.kominkan.validation",
        "min 10.0 is greater than max 1.0",
    ),
    (
        "a template folder that does not exist",
        {"template_dir": "/nonexistent/kita/templates"},
        "kasane_template_dir",
        "is not an existing folder",
    ),
]


@pytest.mark.parametrize(("what", "part", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_listed_mistake_is_refused_naming_hook_key_and_field(
    what: str, part: dict[str, Any], field: str, message: str
) -> None:
    problems = check_plugin(town(**part))
    assert any(p.startswith(f"kita_town: {field}: ") and message in p for p in problems), problems


def test_one_bad_item_is_reported_alone_without_cascading() -> None:
    # given an agency whose field is wrong, which a counter and a meeting both name
    agencies = [{**AGENCIES[0], "field": "welfare"}, AGENCIES[1]]
    problems = check_plugin(town(agencies=agencies))
    # then only the agency is reported, with its key and field; nothing that names it is
    assert len(problems) == 1, problems
    assert problems[0].startswith("kita_town: kasane_agencies[0](key='fukushi').field: ")


def test_the_other_items_of_a_hook_survive_one_bad_item() -> None:
    # given two counters, the second one wrong
    counters = [*COUNTERS, {"key": "sodan", "name": 7, "field": "general"}]
    c = Collector(None, "kita_town", None)
    kept = c.items("kasane_counters", counters, Counter)
    # then the good one is kept and the bad one named by index and key
    assert [x.key for x in kept] == ["madoguchi"]
    assert c.problems == [
        "kita_town: kasane_counters[1](key='sodan').name: Expected `str`, got `int`"
    ]


def test_problems_name_the_entry_point_an_operator_types() -> None:
    # given the shipped plugin installed as entry point "usuki"
    from kasane_plugins import usuki

    assert plugins.plugin_label(usuki) == "usuki"
    assert usuki.__name__ == "kasane_plugins.usuki"
