"""Staff pages for community."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []  # route handlers and controllers this package serves
