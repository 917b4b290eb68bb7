"""Rules: the two demo towns decide differently on the same case, and a rule that raises,
overruns or answers nonsense falls back to the core's, logged with tenant and hook."""

from __future__ import annotations

import logging
import time
import types
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from kasane.core.plugin_kit import hookimpl
from kasane.core.rules import runner
from kasane.plugin_testing import (
    SAMPLE_DAY,
    PluginHarness,
    household,
    sample_case,
    sample_intake,
    sample_meeting,
    sample_record,
)
from kasane_plugins import marugame, usuki

USUKI, MARUGAME = PluginHarness(usuki), PluginHarness(marugame)


def test_the_same_multi_agency_intake_gets_a_different_lead() -> None:
    # given the same consultation at each town's 地域包括 counter, taken into 多機関協働
    intake = sample_intake(
        counter="hokatsu", field="elderly", counter_agency="hokatsu", outcome="multi_agency"
    )
    # then Usuki hands it to 地域力創生課; Marugame leaves it with the counter's agency
    assert USUKI.route(replace(intake, coordinating_agency="chiikiryoku")) == "chiikiryoku"
    assert MARUGAME.route(replace(intake, coordinating_agency="kyosei")) == "hokatsu"
    # and a case that is not 多機関協働 stays with the counter in both towns
    plain = replace(intake, outcome="continued")
    assert USUKI.route(plain) == MARUGAME.route(plain) == "hokatsu"
    assert USUKI.fallbacks == MARUGAME.fallbacks == []


def test_the_same_case_is_monitored_at_different_intervals() -> None:
    children = sample_case(counter="kodomo", field="children")
    risky = sample_case(risk="high")
    assert (USUKI.monitoring_interval(children), MARUGAME.monitoring_interval(children)) == (60, 30)
    assert (USUKI.monitoring_interval(risky), MARUGAME.monitoring_interval(risky)) == (14, 30)
    assert MARUGAME.monitoring_interval(sample_case()) == 90  # the core's


def test_the_same_new_and_stalled_cases_go_to_different_meetings() -> None:
    # given a case opened a week ago and one stuck in assessment for 120 days
    new = sample_case(
        ref="new",
        case_no=1,
        stage="intake",
        opened_on=SAMPLE_DAY - timedelta(days=7),
        stage_since=SAMPLE_DAY - timedelta(days=7),
        has_plan=False,
    )
    stalled = sample_case(
        ref="stalled",
        case_no=2,
        stage="assessment",
        stage_since=SAMPLE_DAY - timedelta(days=120),
        has_plan=False,
    )
    cases = [new, stalled]
    marugoto = sample_meeting(
        meeting_type="marugoto", legal_basis="art106_6", decisions=("information_sharing",)
    )
    shien = sample_meeting(meeting_type="shien_kento")
    # then Marugame proposes the new one to まるごと会議 and the stalled one to 支援検討会議
    assert MARUGAME.agenda(marugoto, cases) == [("new", "early_detection")]
    assert MARUGAME.agenda(shien, cases) == [("stalled", "other")]
    # while Usuki's consent-based 重層的支援会議 gets neither (the core's rule: no plan, no
    # monitoring due, no 多機関協働) and its 支援会議 the new one as early detection
    assert USUKI.agenda(sample_meeting(), cases) == []
    shien_kaigi = replace(marugoto, meeting_type="shien_kaigi")
    assert USUKI.agenda(shien_kaigi, cases) == [("new", "early_detection")]


def test_an_8050_household_prompts_differently() -> None:
    case = sample_case(household=household("8050"))
    # the core suggests 多機関協働; Usuki replaces that with a visit by 地域力創生課
    assert [(k, s) for k, s, _ in MARUGAME.prompts(case)] == [("8050", "collaboration")]
    [(key, suggest, message)] = USUKI.prompts(case)
    assert (key, suggest) == ("8050", "outreach") and "地域力創生課" in message


def test_marugame_checks_marugoto_sharing_at_intake_and_usuki_does_not() -> None:
    record = sample_record(marugoto_referral=True, school_district=None)
    [(field, message)] = MARUGAME.validate(record).items()
    assert field == "school_district" and "中学校区を選んでください" in message
    assert (
        MARUGAME.validate(
            replace(record, values={"marugoto_referral": True, "school_district": "nishi"})
        )
        == {}
    )
    assert MARUGAME.validate(sample_record(marugoto_referral=True, island_resident=True)) == {}
    assert USUKI.validate(record) == {}


# ---------------------------------------------------------------- a failing rule falls back


def town_with(**rules: Any) -> PluginHarness:
    module = types.ModuleType("shaky_town")
    module.KASANE_HOOKS = (1, 1)  # type: ignore[attr-defined]
    for name, fn in rules.items():
        fn.__name__ = name
        setattr(module, name, hookimpl(fn))
    return PluginHarness(module)


def raises(tenant: Any, case: Any) -> int:
    raise RuntimeError("a bug in the rule, quoting 山田太郎")


def too_slow(tenant: Any, case: Any) -> int:
    time.sleep(runner.BUDGET * 4)
    return 7


def nonsense(tenant: Any, case: Any) -> Any:
    return "every other week"


@pytest.mark.parametrize(
    ("rule", "why"),
    [(raises, "raised RuntimeError"), (too_slow, "took longer than"), (nonsense, "nonsense")],
    ids=["raises", "too slow", "nonsense"],
)
def test_a_failing_rule_falls_back_to_the_core_and_is_logged(
    rule: Any, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    town = town_with(kasane_monitoring_interval=rule)
    with caplog.at_level(logging.WARNING, logger="kasane.rules"):
        started = time.monotonic()
        days = town.monitoring_interval(sample_case())
        took = time.monotonic() - started
    # then the core's interval applies, without waiting for the slow rule to finish
    assert days == 90
    assert took < runner.BUDGET * 3
    # and the log names the tenant and the hook and why — never what the rule said
    [record] = [r for r in caplog.records if r.name == "kasane.rules"]
    text = record.getMessage()
    assert "tenant=example" in text and "hook=kasane_monitoring_interval" in text
    assert why in text and "山田" not in text
    assert town.fallbacks and why in town.fallbacks[0]


def test_a_routing_rule_naming_an_unknown_agency_falls_back() -> None:
    town = town_with(kasane_intake_routing=lambda tenant, intake: "atlantis")
    intake = sample_intake(counter_agency="hokatsu", coordinating_agency="kikan")
    assert town.route(intake) == "hokatsu"
    assert "is not one of the town's agency keys" in town.fallbacks[0]


def test_an_agenda_rule_inventing_a_case_falls_back() -> None:
    town = town_with(
        kasane_agenda_rules=lambda tenant, meeting, cases: [{"case": "ghost", "kind": "other"}]
    )
    planned = sample_case(stage="plan_draft", has_plan=True)
    assert town.agenda(sample_meeting(), [planned]) == [("case-1", "support_decision")]
    assert "a case that was not offered" in town.fallbacks[0]
