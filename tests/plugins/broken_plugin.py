"""A deliberately broken municipal plugin: every hook below is wrong in one known way.

Used by ``tests/plugins/test_municipal_plugins.py`` and by hand with
``kasane plugins check tests.plugins.broken_plugin`` to show what a vendor sees.
Its agencies and areas are valid on purpose, so each problem is reported once, where it is.
"""

from __future__ import annotations

from typing import Any

from kasane.core.plugin_kit import hookimpl

KASANE_HOOKS = (1, 1)
NAME = "壊れ市"
MUNICIPALITY_CODE = "000000"


@hookimpl
def kasane_counters(tenant: Any) -> list[dict[str, Any]]:
    """Wrong: ``name`` is a number, not text."""
    return [{"key": "madoguchi", "name": 123, "field": "general", "agency": "fukushi"}]


@hookimpl
def kasane_areas(tenant: Any) -> list[dict[str, Any]]:
    """Valid."""
    return [{"key": "zenshi", "name": "全市"}]


@hookimpl
def kasane_agencies(tenant: Any) -> list[dict[str, Any]]:
    """Valid."""
    return [{"key": "fukushi", "name": "福祉課", "field": "general", "kind": "municipal"}]


@hookimpl
def kasane_meeting_types(tenant: Any) -> list[dict[str, Any]]:
    """Wrong: a member that is not an agency, and a monthly cadence without its day."""
    return [
        {
            "key": "kaigi",
            "name": "支援会議",
            "legal_basis": "art106_6",
            "legal_basis_note": "社会福祉法106条の6",
            "host": "fukushi",
            "cadence": {"frequency": "monthly"},
            "members": ["fukushi", "yurei_kikan"],
        }
    ]


@hookimpl
def kasane_participation_menus(tenant: Any) -> list[dict[str, Any]]:
    """Wrong: the menu's area is not one of ``kasane_areas``."""
    return [{"key": "salon", "name": "サロン", "category": "ibasho", "area": "atlantis"}]


@hookimpl
def kasane_form_definitions(tenant: Any) -> list[dict[str, Any]]:
    """Wrong: redefines the core intake field ``name``."""
    return [
        {
            "key": "intake",
            "title": "相談受付票",
            "version": "broken-1",
            "sections": [
                {
                    "key": "local",
                    "title": "独自項目",
                    "fields": [{"name": "name", "label": "氏名（独自）", "type": "text"}],
                },
            ],
        }
    ]


@hookimpl
def kasane_stage_labels(tenant: Any) -> dict[str, str]:
    """Wrong: ``triage`` is not a core stage."""
    return {"triage": "振り分け"}


@hookimpl
def kasane_terminology(tenant: Any) -> dict[str, str]:
    """Wrong: ``citizen`` is not a core term."""
    return {"citizen": "市民"}


@hookimpl
def kasane_theme(tenant: Any) -> str:
    """Wrong: no such theme is installed."""
    return "no-such-theme"
