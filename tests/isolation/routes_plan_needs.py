"""Plan unmet-need routes for the isolation matrix: the editor's "add a need" row."""

from __future__ import annotations

from tests.isolation.routes import IdRoute
from tests.isolation.routes_cases import case_id

ROUTES = [
    IdRoute("/cases/{id}/plan/need", case_id),
]
