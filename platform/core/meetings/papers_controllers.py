"""Staff pages for meetings (htmx fragments and full pages)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []  # route handlers and controllers this module serves
