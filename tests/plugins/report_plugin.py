"""A town plugin whose local indicator misbehaves on demand (``BEHAVIOUR["mode"]``).

Everything else comes from the core's national defaults, so the tenant works; the report
tests set the mode to ``raise``, ``nonsense`` or ``ok`` and check that the core's figures
are shown whatever the plugin does.
"""

from __future__ import annotations

from typing import Any

from kasane.core.plugin_kit import hookimpl

KASANE_HOOKS = (1, 1)
NAME = "試験町"
MUNICIPALITY_CODE = "442046"
BEHAVIOUR = {"mode": "raise"}


@hookimpl
def kasane_local_indicators(tenant: Any, records: Any) -> list[dict[str, Any]]:
    """Raises, answers nonsense, or counts every consultation once, as told."""
    if BEHAVIOUR["mode"] == "raise":
        raise RuntimeError(f"boom over {len(records.consultations)} records")
    if BEHAVIOUR["mode"] == "nonsense":
        return [{"key": "Bad Key!", "name": 3, "facts": "many"}]
    return [
        {
            "key": "all-consultations",
            "name": "すべての相談（試験）",
            "definition": "相談を受付日で数えます。",
            "facts": [{"unit": c.ref, "on": c.received_on} for c in records.consultations],
        }
    ]
