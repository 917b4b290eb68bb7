"""The case's printable sheets (PDF) for the isolation matrix.

The matrix logs in as the ``caseworker``, whose agency takes part in a case opened at the
"hokatsu" counter (``routes_cases.case_id``): the tenant's own case answers 200 (a sheet
prints even before a plan exists), the other tenant's the plain 404. The agency that does
not take part is checked in ``tests/integration/test_case_printables.py``.
"""

from __future__ import annotations

from tests.isolation.routes import IdRoute
from tests.isolation.routes_cases import case_id, evaluating_case_id

ROUTES = [
    IdRoute("/cases/{id}/plan.pdf", evaluating_case_id),
    IdRoute("/cases/{id}/evaluation.pdf", evaluating_case_id),
    IdRoute("/cases/{id}/intake.pdf", case_id),
]
