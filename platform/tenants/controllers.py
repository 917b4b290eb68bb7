"""The operator host (``http://localhost:8000/``): landing page and health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from kasane.core.web.deps import DbSession
from kasane.core.web.templating import render
from kasane.tenants.plans import PLANS, TAX_RATE_PERCENT
from kasane.tenants.services import DEMO_SLUGS, list_tenants

OPERATOR_PREFIX = "/_operator"  # the tenant middleware mounts the operator host here


def _requires_operator_host(request: Request[Any, Any, Any]) -> None:
    if request.scope["state"].get("tenant") is not None:
        raise NotFoundException()


@get(f"{OPERATOR_PREFIX}/", name="operator_home")
async def operator_home(request: Request[Any, Any, Any], db_session: DbSession) -> Response[str]:
    _requires_operator_host(request)
    settings = request.app.state.settings
    tenants = await list_tenants(db_session) if settings.demo else []
    port = request.url.port
    return render(
        request,
        "operator",
        {
            "tenants": [
                t
                for t in tenants
                if t.status in ("trial", "active", "past_due") and t.slug in DEMO_SLUGS
            ],
            "base": settings.base_domain + (f":{port}" if port else ""),
            "scheme": request.url.scheme,
            "plans": PLANS,
            "tax_rate": TAX_RATE_PERCENT,
        },
    )
