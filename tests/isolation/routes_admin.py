"""The tenant admin's staff, membership, agency and invitation routes for the isolation
matrix. Each id is a throwaway object of the given tenant (an account, a membership, an
agency, an invitation), so the matrix may deactivate, revoke or withdraw it freely."""

from __future__ import annotations

import uuid
from typing import Any

from kasane.core.auth.agencies import AgencyForm, do_add_agency
from kasane.core.auth.invitations import do_invite_staff
from kasane.core.auth.services import do_create_account
from kasane.core.db import Database
from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import Env
from tests.isolation.routes import IdRoute


def _in(env: Env, slug: str, fn: Any) -> Any:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> Any:
        async with db.session(tenant_id) as s:
            return await fn(s)

    return env.run(go)


def account_id(env: Env, slug: str) -> uuid.UUID:
    """A throwaway registry editor (a role that needs no agency, valid in any tenant)."""

    async def go(s: Any) -> uuid.UUID:
        account = await do_create_account(
            s,
            username=f"matrix-{uuid.uuid4().hex[:8]}",
            display_name="行列 試験",
            password=DEMO_PASSWORD,
            role="registry_editor",
        )
        return account.id

    return _in(env, slug, go)  # type: ignore[no-any-return]


def membership_id(env: Env, slug: str) -> uuid.UUID:
    """The only membership of a throwaway account (revoking it breaks no rule)."""

    async def go(s: Any) -> uuid.UUID:
        account = await do_create_account(
            s,
            username=f"matrix-{uuid.uuid4().hex[:8]}",
            display_name="行列 試験",
            password=DEMO_PASSWORD,
            role="registry_editor",
        )
        return account.memberships[0].id

    return _in(env, slug, go)  # type: ignore[no-any-return]


def agency_id(env: Env, slug: str) -> uuid.UUID:
    form = AgencyForm(key=f"matrix-{uuid.uuid4().hex[:8]}", name="行列の機関", field="other")
    return _in(env, slug, lambda s: _add_agency(s, form))  # type: ignore[no-any-return]


async def _add_agency(s: Any, form: AgencyForm) -> uuid.UUID:
    return (await do_add_agency(s, form, actor="system")).id


def invitation_id(env: Env, slug: str) -> uuid.UUID:
    async def go(s: Any) -> uuid.UUID:
        invitation, _token = await do_invite_staff(
            s, email=f"matrix-{uuid.uuid4().hex[:8]}@example.jp", role="registry_editor"
        )
        return invitation.id

    return _in(env, slug, go)  # type: ignore[no-any-return]


AGENCY = {"name": "行列の機関（改）", "field": "other", "kind": "partner"}

ROUTES = [
    IdRoute("/admin/staff/{id}", account_id, username="admin"),
    IdRoute(
        "/admin/staff/{id}/roles",
        account_id,
        method="POST",
        form={
            "role": "viewer",
            "agency_key": "hokatsu",
        },  # usuki's 地域包括 (the matrix posts to usuki)
        username="admin",
    ),
    IdRoute("/admin/staff/{id}/deactivate", account_id, method="POST", username="admin"),
    IdRoute("/admin/staff/{id}/reactivate", account_id, method="POST", username="admin"),
    IdRoute("/admin/memberships/{id}/revoke", membership_id, method="POST", username="admin"),
    IdRoute("/admin/agencies/{id}", agency_id, method="POST", form=AGENCY, username="admin"),
    IdRoute("/admin/agencies/{id}/deactivate", agency_id, method="POST", username="admin"),
    IdRoute("/admin/agencies/{id}/reactivate", agency_id, method="POST", username="admin"),
    IdRoute("/admin/invitations/{id}/withdraw", invitation_id, method="POST", username="admin"),
]
