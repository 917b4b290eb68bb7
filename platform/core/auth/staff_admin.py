"""The tenant admin's staff pages: ``/admin/staff`` (everyone, with their memberships) and
``/admin/staff/{id}`` (grant and revoke roles in agencies, deactivate, reactivate, history).

Needs ``tenant:staff:manage`` (enforced by ``requires_login``). Another tenant's account or
membership answers exactly like a missing one (404). Forms post normally and with htmx
(the staff member's section is swapped in place; a refused change answers 422 with the
reason and keeps what was chosen).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from litestar_htmx import ClientRedirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.models import AuditEvent
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.memberships import (
    MembershipRefused,
    active_admin_ids,
    do_deactivate,
    do_grant_role,
    do_reactivate,
    do_revoke_role,
    get_membership,
)
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.permissions import (
    AGENCY_OPTIONAL_ROLES,
    ROLE_HINTS,
    ROLE_LABELS,
    ROLES,
    TENANT_ADMIN,
    needs,
)
from kasane.core.auth.services import get_account, list_accounts
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import Actor, DbSession, FormBody, requires_login
from kasane.core.web.templating import is_htmx, render

LOGIN = {"actor": Provide(requires_login)}
HISTORY_LIMIT = 30
ACTION_LABELS: dict[str, str] = {
    "staff.create": N_("Account created"),
    "staff.role_granted": N_("Role granted"),
    "staff.role_revoked": N_("Role revoked"),
    "staff.deactivated": N_("Deactivated"),
    "staff.reactivated": N_("Reactivated"),
}
DONE: dict[str, str] = {
    "granted": N_("The role was granted."),
    "revoked": N_("The role was revoked."),
    "deactivated": N_("The account was deactivated: it can no longer sign in."),
    "reactivated": N_("The account was reactivated."),
}


def _tenant(request: Request[Any, Any, Any]) -> TenantContext:
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant


async def _history(session: AsyncSession, account: StaffAccount) -> list[dict[str, Any]]:
    """The account's staff.* audit events, newest first, with who made each change."""
    events = list(
        (
            await session.execute(
                select(AuditEvent)
                .where(
                    AuditEvent.target == f"staff_account:{account.id}",
                    AuditEvent.action.in_(list(ACTION_LABELS)),
                )
                .order_by(AuditEvent.seq.desc())
                .limit(HISTORY_LIMIT)
            )
        ).scalars()
    )
    names = {f"account:{a.id}": a.display_name for a in await list_accounts(session)}
    rows = []
    for e in events:
        detail = json.loads(e.detail or "{}")
        rows.append(
            {
                "at": e.at,
                "action": ACTION_LABELS[e.action],
                "by": names.get(e.actor) or (_("System") if e.actor == "system" else e.actor),
                "role": detail.get("role"),
                "agency": detail.get("agency"),
            }
        )
    return rows


async def _member_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: ActorInfo,
    account: StaffAccount,
    *,
    status: int = 200,
    **state: Any,
) -> Response[str]:
    admins = await active_admin_ids(session)
    context = {
        "account": account,
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "role_hints": ROLE_HINTS,
        "agency_optional": AGENCY_OPTIONAL_ROLES,
        "agencies": _tenant(request).config.agencies,
        "last_admin": account.is_active and admins == {account.id},
        "history": await _history(session, account) if actor.can("audit:log:read") else None,
        "values": state.get("values", {"role": "caseworker", "agency_key": actor.agency_key}),
        "errors": state.get("errors", {}),
        "alert": state.get("alert"),
        "done": state.get("done"),
        "done_messages": DONE,
        "tenant_admin": TENANT_ADMIN,
    }
    return render(request, "admin/staff_member", context, status_code=status)


async def _after(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    account: StaffAccount,
    done: str,
) -> Response[Any]:
    """The staff member's page saying what was done: in place for htmx, else a redirect."""
    if is_htmx(request):
        return await _member_page(request, db_session, actor, account, done=done)
    return Redirect(f"/admin/staff/{account.id}?done={done}", status_code=303)


@get("/admin/staff", name="admin_staff", dependencies=LOGIN, opt=needs("tenant:staff:manage"))
async def admin_staff(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    accounts = await list_accounts(db_session)
    return render(
        request,
        "admin/staff",
        {
            "accounts": accounts,
            "role_labels": ROLE_LABELS,
            "active_count": sum(1 for a in accounts if a.is_active),
        },
    )


@get(
    "/admin/staff/{account_id:uuid}",
    name="admin_staff_member",
    dependencies=LOGIN,
    opt=needs("tenant:staff:manage"),
)
async def admin_staff_member(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    account_id: FromPath[uuid.UUID],
) -> Response[str]:
    account = await get_account(db_session, account_id)
    done = request.query_params.get("done")
    return await _member_page(
        request, db_session, actor, account, done=done if done in DONE else None
    )


@post(
    "/admin/staff/{account_id:uuid}/roles",
    name="admin_staff_grant",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:staff:manage"),
)
async def admin_staff_grant(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    account_id: FromPath[uuid.UUID],
    data: FormBody,
) -> Response[Any]:
    """Give the staff member a role in an agency (or tenant-wide, for the roles that may)."""
    account = await get_account(db_session, account_id)
    values = {
        "role": data.get("role") or "",
        "agency_key": (data.get("agency_key") or "").strip(),
    }
    errors: dict[str, str] = {}
    if values["role"] not in ROLES:
        errors["role"] = _("Choose a role")
    if values["agency_key"] and _tenant(request).config.agency(values["agency_key"]) is None:
        errors["agency_key"] = _("Choose an agency from the list")
    if not errors:
        try:
            await do_grant_role(
                db_session, account, values["role"], values["agency_key"] or None, actor=actor.ref
            )
        except MembershipRefused as refused:
            errors[refused.field] = _(refused.message)
    if errors:
        return await _member_page(
            request, db_session, actor, account, status=422, values=values, errors=errors
        )
    return await _after(request, db_session, actor, account, "granted")


@post(
    "/admin/memberships/{membership_id:uuid}/revoke",
    name="admin_staff_revoke",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:staff:manage"),
)
async def admin_staff_revoke(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    membership_id: FromPath[uuid.UUID],
) -> Response[Any]:
    membership = await get_membership(db_session, membership_id)
    account = await get_account(db_session, membership.account_id)
    try:
        await do_revoke_role(db_session, account, membership, actor=actor.ref)
    except MembershipRefused as refused:
        return await _member_page(
            request, db_session, actor, account, status=422, alert=_(refused.message)
        )
    if account.id == actor.id and not ActorInfo.of(account, actor.agency_key).can(
        "tenant:staff:manage"
    ):
        # an admin who stepped down may no longer open this page: home instead
        if is_htmx(request):
            return ClientRedirect("/")
        return Redirect("/", status_code=303)
    return await _after(request, db_session, actor, account, "revoked")


@post(
    "/admin/staff/{account_id:uuid}/deactivate",
    name="admin_staff_deactivate",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:staff:manage"),
)
async def admin_staff_deactivate(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    account_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """Stop the account signing in (its sessions end now); the last admin stays."""
    account = await get_account(db_session, account_id)
    try:
        await do_deactivate(db_session, account, actor=actor.ref)
    except MembershipRefused as refused:
        return await _member_page(
            request, db_session, actor, account, status=422, alert=_(refused.message)
        )
    return await _after(request, db_session, actor, account, "deactivated")


@post(
    "/admin/staff/{account_id:uuid}/reactivate",
    name="admin_staff_reactivate",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:staff:manage"),
)
async def admin_staff_reactivate(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    account_id: FromPath[uuid.UUID],
) -> Response[Any]:
    account = await get_account(db_session, account_id)
    await do_reactivate(db_session, account, actor=actor.ref)
    return await _after(request, db_session, actor, account, "reactivated")


ROUTES: list[Any] = [
    admin_staff,
    admin_staff_member,
    admin_staff_grant,
    admin_staff_revoke,
    admin_staff_deactivate,
    admin_staff_reactivate,
]
