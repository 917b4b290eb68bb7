"""Operator-host signup and billing routes, and the Stripe webhook."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []  # route handlers this module serves
