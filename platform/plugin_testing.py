"""Test kit for municipal plugin vendors: run your hooks and rules without a database.

Use it from your plugin's tests (``pytest_plugins = ["kasane.plugin_testing"]`` in your
``conftest.py`` gives the fixtures; or import the functions)::

    from kasane.plugin_testing import PluginHarness, sample_case, sample_intake
    import kasane_kita as plugin

    def test_collaboration_is_led_by_the_welfare_section():
        town = PluginHarness(plugin)
        assert town.problems == []                       # what ``plugins check`` says
        assert town.route(sample_intake(outcome="multi_agency")) == "fukushi"
        assert town.fallbacks == []                      # no rule failed on the way

Every rule call goes through the platform's own runner: the same worker thread, time budget
and answer checks, and the same fallback to the core's rule. ``fallbacks`` lists what fell
back (hook, plugin, why), so a test can prove a rule really answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from datetime import date
from types import MappingProxyType, ModuleType
from typing import Any, TypeVar

from kasane.core.config_types import TenantConfig, TenantInfo
from kasane.core.plugin_kit import (
    CaseSnapshot,
    HouseholdSnapshot,
    IntakeSnapshot,
    MeetingSnapshot,
    MemberSnapshot,
    RecordSnapshot,
    example_tenant,
)
from kasane.core.plugins import PluginInvalid, build_config, make_manager
from kasane.core.rules import apply
from kasane.core.rules.runner import Rules

T = TypeVar("T")
SAMPLE_DAY = date(2026, 6, 10)  # a Wednesday in 令和8年度, no holiday

__all__ = [
    "SAMPLE_DAY",
    "PluginHarness",
    "household",
    "sample_case",
    "sample_intake",
    "sample_meeting",
    "sample_record",
]


def household(*patterns: str) -> HouseholdSnapshot:
    """A household showing ``patterns``: ``8050`` (a parent of 82 with a child of 52),
    ``young_carer`` (a carer of 15), ``withdrawn`` (a member who has withdrawn); none: one
    adult of 45 living alone."""
    members = [MemberSnapshot("head", 45)]
    if "8050" in patterns:
        members = [MemberSnapshot("head", 82, needs_care=True), MemberSnapshot("child", 52)]
    if "young_carer" in patterns:
        members += [
            MemberSnapshot("spouse", 44, needs_care=True),
            MemberSnapshot("child", 15, is_carer=True),
        ]
    if "withdrawn" in patterns:
        members += [MemberSnapshot("child", 30, withdrawn=True)]
    real = tuple(p for p in patterns if p != "withdrawn")
    return HouseholdSnapshot(tuple(members), real)


def sample_intake(**overrides: Any) -> IntakeSnapshot:
    """A consultation at a general counter that opens a case (``outcome="continued"``)."""
    values: dict[str, Any] = {
        "counter": "general",
        "field": "general",
        "counter_agency": None,
        "coordinating_agency": "fukushi",
        "outcome": "continued",
        "categories": ("income",),
        "main_category": "income",
        "channel": "visit_counter",
        "household": household(),
        "today": SAMPLE_DAY,
        "fields": MappingProxyType({}),
    }
    values.update(overrides)
    return IntakeSnapshot(**values)


def sample_case(**overrides: Any) -> CaseSnapshot:
    """An open case in support, opened 120 days before ``SAMPLE_DAY``; override anything."""
    values: dict[str, Any] = {
        "ref": "case-1",
        "case_no": 1,
        "stage": "support",
        "stage_since": date(2026, 4, 1),
        "opened_on": date(2026, 2, 10),
        "counter": "general",
        "field": "general",
        "lead_agency": "fukushi",
        "agencies": ("fukushi",),
        "collaboration": False,
        "collaboration_since": None,
        "has_plan": True,
        "next_monitoring_on": None,
        "categories": ("income",),
        "risk": "normal",
        "household": household(),
        "today": SAMPLE_DAY,
    }
    values.update(overrides)
    return CaseSnapshot(**values)


def sample_meeting(**overrides: Any) -> MeetingSnapshot:
    """A consent-based meeting on ``SAMPLE_DAY`` that decides support and closure."""
    values: dict[str, Any] = {
        "ref": "meeting-1",
        "meeting_type": "jusoteki",
        "legal_basis": "consent",
        "decisions": ("support_decision", "plan_change", "closure", "continuation"),
        "members": ("fukushi",),
        "on": SAMPLE_DAY,
    }
    values.update(overrides)
    return MeetingSnapshot(**values)


def sample_record(form: str = "intake", today: date = SAMPLE_DAY, **values: Any) -> RecordSnapshot:
    """A record of ``form`` with ``values`` (as the core validated them)."""
    return RecordSnapshot(form, MappingProxyType(values), today, None)


class PluginHarness:
    """One plugin, one town: its configuration and its rules as the platform runs them."""

    def __init__(self, plugin: ModuleType | object, tenant: TenantInfo | None = None) -> None:
        self.plugin = plugin
        code = getattr(plugin, "MUNICIPALITY_CODE", None)
        self.tenant = tenant or (
            example_tenant(municipality_code=code) if code else example_tenant()
        )
        self.fallbacks: list[str] = []
        try:
            self.config: TenantConfig | None = build_config(plugin, self.tenant)
            self.problems: list[str] = []
        except PluginInvalid as exc:
            self.config, self.problems = None, exc.problems
        self._hooks = make_manager(plugin).hook

    @property
    def rules(self) -> Rules:
        if self.config is None:
            raise AssertionError("the plugin fails its check:\n" + "\n".join(self.problems))
        return Rules(self._hooks, self.tenant, self.config, self.tenant.slug, self.fallbacks)

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(work)

    def route(self, intake: IntakeSnapshot) -> str:
        """The lead agency the platform would use (``kasane_intake_routing``)."""
        return self._run(apply.lead_for(self.rules, intake))

    def agenda(self, meeting: MeetingSnapshot, cases: list[CaseSnapshot]) -> list[tuple[str, str]]:
        """(case ref, kind) proposals (``kasane_agenda_rules``)."""
        return self._run(apply.agenda_for(self.rules, meeting, list(cases)))

    def monitoring_interval(self, case: CaseSnapshot) -> int:
        """Days to the next monitoring (``kasane_monitoring_interval``)."""
        return self._run(apply.monitoring_days(self.rules, case))

    def prompts(self, case: CaseSnapshot) -> list[tuple[str, str, str]]:
        """(key, suggest, message) shown on the case page (``kasane_escalation_prompts``)."""
        found = self._run(apply.prompts_for(self.rules, case))
        return [(p.key, p.suggest, p.message) for p in found]

    def validate(self, record: RecordSnapshot) -> dict[str, str]:
        """Field → message (``kasane_validate_record``); empty when the record passes."""
        return self._run(apply.record_problems(self.rules, record))

    def hook(self, name: str, **args: Any) -> Any:
        """Call any hook directly, as pluggy does (core defaults included)."""
        return getattr(self._hooks, name)(tenant=self.tenant, **args)


# ---------------------------------------------------------------- pytest fixtures
# Active when a vendor's conftest says ``pytest_plugins = ["kasane.plugin_testing"]``; the
# vendor provides a ``kasane_plugin`` fixture returning their plugin module.

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixtures
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def kasane_town(kasane_plugin: Any) -> PluginHarness:
        """The harness of your plugin (define a ``kasane_plugin`` fixture)."""
        return PluginHarness(kasane_plugin)

    @pytest.fixture
    def kasane_samples() -> Iterator[Any]:
        """The sample snapshot builders, as one namespace."""

        class Samples:
            case = staticmethod(sample_case)
            intake = staticmethod(sample_intake)
            meeting = staticmethod(sample_meeting)
            record = staticmethod(sample_record)
            household = staticmethod(household)
            replace = staticmethod(replace)

        yield Samples
