"""Staff sign-in through the municipality's own identity provider (OIDC)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []  # route handlers this module serves
