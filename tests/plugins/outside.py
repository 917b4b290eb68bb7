"""Plugins from outside the repository, made visible to ``importlib.metadata`` the way an
installed distribution is: the project folder on ``sys.path`` (its module) beside a
``<dist>.dist-info`` folder with ``METADATA`` and ``entry_points.txt`` (the shim pip would
write). No network and no build: CI-friendly."""

from __future__ import annotations

import tomllib
from pathlib import Path


def install_shim(project: Path, site: Path) -> None:
    """Write the dist-info of ``project`` (read from its pyproject.toml) into ``site``."""
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist = meta["name"].replace("-", "_")
    info = site / f"{dist}-{meta['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n",
        encoding="utf-8",
    )
    lines = []
    for group, entries in meta.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


OLD_TOWN_PYPROJECT = """\
[project]
name = "kasane-plugin-oldtown"
version = "1.0.0"
dependencies = ["kasane>=0.1,<1"]

[project.entry-points."kasane.municipalities"]
oldtown = "kasane_oldtown"
"""

# Written against hooks version 1 before rule hooks existed: configuration only.
OLD_TOWN_MODULE = """\
from kasane.core.plugin_kit import hookimpl

KASANE_HOOKS = (1, 1)
NAME = "綾川町"
MUNICIPALITY_CODE = "373877"


@hookimpl
def kasane_counters(tenant):
    return [
        {"key": "sogo", "name": "総合相談窓口", "field": "general", "agency": "kenko-fukushi"},
        {"key": "hokatsu", "name": "地域包括支援センター", "field": "elderly", "agency": "hokatsu"},
    ]


@hookimpl
def kasane_agencies(tenant):
    return [
        {"key": "kenko-fukushi", "name": "健康福祉課", "field": "general", "kind": "municipal"},
        {"key": "hokatsu", "name": "地域包括支援センター", "field": "elderly",
         "kind": "contracted"},
    ]


@hookimpl
def kasane_meeting_types(tenant):
    return [
        {
            "key": "jusoteki",
            "name": "重層的支援会議",
            "legal_basis": "consent",
            "legal_basis_note": "綾川町重層的支援体制整備事業実施要綱",
            "host": "健康福祉課",
            "cadence": {"frequency": "monthly", "weekday": 2, "nth": 3, "time": "13:30"},
            "members": ["kenko-fukushi", "hokatsu"],
            "decisions": ["support_decision", "closure", "continuation"],
        }
    ]


@hookimpl
def kasane_stage_labels(tenant):
    return {"decision": "支援方針決定"}
"""


def write_old_town(root: Path) -> Path:
    project = root / "kasane-plugin-oldtown"
    (project / "kasane_oldtown").mkdir(parents=True)
    (project / "pyproject.toml").write_text(OLD_TOWN_PYPROJECT, encoding="utf-8")
    (project / "kasane_oldtown" / "__init__.py").write_text(OLD_TOWN_MODULE, encoding="utf-8")
    return project
