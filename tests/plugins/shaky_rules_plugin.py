"""A configuration-valid plugin whose every rule raises: the pages must work regardless.

Used by ``tests/integration/test_rules_pages.py`` (bound to a copy of 臼杵市's settings).
"""

from __future__ import annotations

from typing import Any

from kasane.core.plugin_kit import hookimpl
from kasane_plugins import usuki

KASANE_HOOKS = (1, 1)
NAME = "臼杵市（規則が壊れた版）"

kasane_counters = usuki.kasane_counters
kasane_areas = usuki.kasane_areas
kasane_agencies = usuki.kasane_agencies
kasane_meeting_types = usuki.kasane_meeting_types
kasane_form_definitions = usuki.kasane_form_definitions


@hookimpl
def kasane_intake_routing(tenant: Any, intake: Any) -> str:
    raise RuntimeError("routing bug")


@hookimpl
def kasane_escalation_prompts(tenant: Any, case: Any) -> list[dict[str, str]]:
    raise RuntimeError("prompt bug")


@hookimpl
def kasane_monitoring_interval(tenant: Any, case: Any) -> int:
    raise RuntimeError("interval bug")


@hookimpl
def kasane_agenda_rules(tenant: Any, meeting: Any, cases: Any) -> list[dict[str, str]]:
    raise RuntimeError("agenda bug")


@hookimpl
def kasane_validate_record(tenant: Any, record: Any) -> list[dict[str, str]]:
    raise RuntimeError("validation bug")
