"""Turn a Litestar form (multi-dict) into the shape check_form expects."""

from __future__ import annotations

from typing import Any

from kasane.core.config_types import FormDefinition


def form_data(form: FormDefinition, multi: Any) -> dict[str, Any]:
    """Checkbox fields become lists (``getall``); others the single value."""
    out: dict[str, Any] = {}
    for f in form.all_fields():
        if f.type == "checkboxes":
            out[f.name] = (
                list(multi.getall(f.name, []))
                if hasattr(multi, "getall")
                else list(multi.get(f.name) or [])
            )
        else:
            out[f.name] = multi.get(f.name)
    return out
