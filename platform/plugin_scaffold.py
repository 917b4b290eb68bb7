"""``kasane plugins new NAME --code CODE``: a municipal plugin as a distribution of its own.

What it writes (``kasane-plugin-NAME/``): ``pyproject.toml`` (the ``kasane.municipalities``
entry point and a compatible range of Kasane), the module ``kasane_NAME`` with the town's
configuration hooks and two rules, ``assumptions.py`` (every value the vendor has not yet
confirmed with the town, in one place), a README and tests that pass as generated — run
them with ``pytest`` once ``kasane`` and the plugin are installed.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from kasane.tenants.municipalities import Municipality, find_municipality

NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
KASANE_RANGE = ">=0.1,<1"  # the Kasane releases this scaffold's hooks (version 1) work with


class ScaffoldRefused(ValueError):
    """The name, code or target cannot be used; the message says why."""


PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "kasane-plugin-$name"
version = "0.1.0"
description = "Kasane municipal plugin: $town ($prefecture, $code)"
readme = "README.md"
requires-python = ">=3.11"
# The Kasane releases this plugin is written for; KASANE_HOOKS in the module says which
# hook versions it speaks (the platform refuses a plugin that speaks none of its own).
dependencies = ["kasane$kasane_range"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points."kasane.municipalities"]
$name = "kasane_$name"

[tool.setuptools]
packages = ["kasane_$name"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

MODULE = '''\
"""$town ($prefecture, 全国地方公共団体コード $code): the town's Kasane plugin.

Configuration hooks return plain data; rule hooks are pure functions of the snapshots the
platform passes (no database, no clock). Values not yet confirmed with the town live in
``assumptions.py``. Hook reference: Kasane's docs/hooks/ (one page per hook).
"""

from __future__ import annotations

import copy
from typing import Any

from kasane.core.plugin_kit import CaseSnapshot, IntakeSnapshot, TenantInfo, hookimpl

from . import assumptions

KASANE_HOOKS = (1, 1)  # hook versions this plugin speaks (min, max)
NAME = "$town"
MUNICIPALITY_CODE = "$code"
PREFECTURE = "$prefecture"


# ---------------------------------------------------------------- configuration


@hookimpl
def kasane_counters(tenant: TenantInfo) -> list[dict[str, Any]]:
    """The consultation counters (相談窓口): at least one, or no intake can happen."""
    return copy.deepcopy(assumptions.COUNTERS)


@hookimpl
def kasane_areas(tenant: TenantInfo) -> list[dict[str, Any]]:
    """The town's areas (日常生活圏域)."""
    return copy.deepcopy(assumptions.AREAS)


@hookimpl
def kasane_agencies(tenant: TenantInfo) -> list[dict[str, Any]]:
    """The agencies taking part in cases and meetings; one coordinates 多機関協働."""
    return copy.deepcopy(assumptions.AGENCIES)


@hookimpl
def kasane_meeting_types(tenant: TenantInfo) -> list[dict[str, Any]]:
    """The meetings, each with its legal basis and cadence."""
    return copy.deepcopy(assumptions.MEETINGS)


# ---------------------------------------------------------------- rules


@hookimpl
def kasane_intake_routing(tenant: TenantInfo, intake: IntakeSnapshot) -> str | None:
    """A case taken into 多機関協働 at intake is led by the coordinating section; any other
    case: the core's rule (the counter's agency)."""
    if intake.outcome == "multi_agency":
        return assumptions.COLLABORATION_LEAD
    return None


@hookimpl
def kasane_monitoring_interval(tenant: TenantInfo, case: CaseSnapshot) -> int:
    """Days between monitorings, by risk."""
    return assumptions.MONITORING_DAYS["high" if case.risk == "high" else "normal"]
'''

ASSUMPTIONS = '''\
"""ASSUMPTIONS for $town: plausible values, not yet confirmed with the town.

Each constant sits under a ``# ASSUMPTION`` comment; whoever learns the real value
changes it here and the plugin follows.
"""

from __future__ import annotations

from typing import Any

# ASSUMPTION: one welfare section coordinates 多機関協働; the 地域包括 is contracted out.
AGENCIES: list[dict[str, Any]] = [
    {"key": "fukushi", "name": "福祉課", "field": "general", "kind": "municipal",
     "coordinates": True},
    {"key": "hokatsu", "name": "地域包括支援センター", "field": "elderly", "kind": "contracted"},
    {"key": "kodomo", "name": "こども家庭センター", "field": "children", "kind": "municipal"},
]

# ASSUMPTION: a single area covering the whole town.
AREAS: list[dict[str, Any]] = [{"key": "zen-iki", "name": "全域"}]

# ASSUMPTION: one counter per agency.
COUNTERS: list[dict[str, Any]] = [
    {"key": "sogo", "name": "福祉総合相談窓口", "field": "general", "agency": "fukushi"},
    {"key": "hokatsu", "name": "地域包括支援センター", "field": "elderly", "agency": "hokatsu"},
    {"key": "kodomo", "name": "こども家庭センター", "field": "children", "agency": "kodomo"},
]

# ASSUMPTION: a 支援会議 as needed and a consent-based 重層的支援会議 on the 2nd Tuesday.
MEETINGS: list[dict[str, Any]] = [
    {
        "key": "shien_kaigi",
        "name": "支援会議",
        "legal_basis": "art106_6",
        "legal_basis_note": "社会福祉法106条の6",
        "host": "fukushi",
        "cadence": {"frequency": "as_needed"},
        "members": ["fukushi", "hokatsu", "kodomo"],
        "decisions": ["information_sharing", "role_assignment"],
    },
    {
        "key": "jusoteki",
        "name": "重層的支援会議",
        "legal_basis": "consent",
        "legal_basis_note": "$town重層的支援体制整備事業実施要綱",
        "host": "fukushi",
        "cadence": {"frequency": "monthly", "weekday": 1, "nth": 2, "time": "14:00"},
        "members": ["fukushi", "hokatsu", "kodomo"],
        "decisions": ["support_decision", "plan_change", "closure", "continuation"],
    },
]

# ASSUMPTION: the welfare section leads every 多機関協働 case from intake.
COLLABORATION_LEAD = "fukushi"

# ASSUMPTION: monitoring every 60 days; every 14 for a high-risk case.
MONITORING_DAYS = {"normal": 60, "high": 14}
'''

README = """\
# kasane-plugin-$name — $town ($prefecture)

The Kasane municipal plugin of $town (全国地方公共団体コード $code), installed as the
entry point `$name` in the `kasane.municipalities` group.

## Develop

    pip install -e . --no-deps     # beside an installed kasane $kasane_range
    pytest                         # the plugin's own tests (kasane.plugin_testing)
    kasane plugins check $name     # what the platform will check
    kasane plugins preview $name   # the staff pages of a throwaway town on this plugin

Values not yet confirmed with the town are in `kasane_$name/assumptions.py`, each marked
`# ASSUMPTION`. The hooks are documented one page per hook in Kasane's `docs/hooks/`.

## Put it in service (the operator)

    kasane tenants create $name --name $town --code $code --prefecture $prefecture --plugin $name
    kasane tenants invite-admin $name admin@example.jp --name "管理者の氏名"
    kasane tenants show $name
"""

CONFTEST = """\
\"\"\"Loads Kasane's plugin test kit and names the plugin under test.\"\"\"

import pytest

import kasane_$name

pytest_plugins = ["kasane.plugin_testing"]


@pytest.fixture
def kasane_plugin():
    return kasane_$name
"""

TESTS = '''\
"""$town's plugin, checked as the platform checks it, and its rules on sample snapshots."""

from kasane.plugin_testing import sample_case, sample_intake

import kasane_$name


def test_the_plugin_passes_the_platform_check(kasane_town):
    assert kasane_town.problems == []
    assert kasane_town.config.counters, "intake needs at least one counter"


def test_it_declares_its_municipality():
    assert kasane_$name.MUNICIPALITY_CODE == "$code"
    assert kasane_$name.KASANE_HOOKS[0] <= 1 <= kasane_$name.KASANE_HOOKS[1]


def test_a_multi_agency_intake_is_led_by_the_coordinating_section(kasane_town):
    intake = sample_intake(
        counter="hokatsu", field="elderly", counter_agency="hokatsu", outcome="multi_agency"
    )
    assert kasane_town.route(intake) == "fukushi"
    # any other case stays with the counter's agency (the core's rule)
    assert kasane_town.route(sample_intake(counter_agency="hokatsu")) == "hokatsu"
    assert kasane_town.fallbacks == []  # the rule answered; nothing fell back


def test_a_high_risk_case_is_monitored_sooner(kasane_town):
    assert kasane_town.monitoring_interval(sample_case(risk="high")) == 14
    assert kasane_town.monitoring_interval(sample_case()) == 60
'''

FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "conftest.py": CONFTEST,
    "kasane_$name/__init__.py": MODULE,
    "kasane_$name/assumptions.py": ASSUMPTIONS,
    "tests/test_$name.py": TESTS,
}


def scaffold(name: str, code: str, parent: Path) -> Path:
    """Write the plugin's project under ``parent``; returns its folder.

    Raises:
        ScaffoldRefused: a name that is not a key, a code no municipality has, or a folder
            that exists already (nothing is overwritten).
    """
    if not NAME.match(name):
        raise ScaffoldRefused(
            f"{name!r}: use 2-31 lower-case ascii letters, digits or _, starting with a letter"
        )
    town: Municipality | None = find_municipality(code)
    if town is None:
        raise ScaffoldRefused(f"{code!r}: no municipality has this code")
    root = parent / f"kasane-plugin-{name}"
    if root.exists():
        raise ScaffoldRefused(f"{root} exists; nothing was written")
    values = {
        "name": name,
        "town": town.name,
        "prefecture": town.prefecture,
        "code": town.code,
        "kasane_range": KASANE_RANGE,
    }
    for path, text in FILES.items():
        target = root / Template(path).substitute(values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(text).substitute(values), encoding="utf-8")
    return root
