"""The permission catalog, the six roles, and which permission each route needs.

A permission is a ``scope:resource:action`` name (``case:cases:write``). A role is a named
set of permissions; a staff member holds roles through memberships in agencies (see
:mod:`kasane.core.auth.memberships`). ``requires_login`` (``kasane.core.web.deps``) asks
:func:`permission_for` which permission a route needs and refuses the request when the actor
lacks it — and refuses it too when no permission is found (deny by default).

A route declares its permission where it is written: ``opt=needs("case:cases")`` on its
controller (``read`` for GET/HEAD, ``write`` otherwise) or ``opt=needs("case:cases:write")``
on the handler itself (a form fetched with GET that only serves a write, a route that needs
more than its area's default). A route behind a login that declares none is refused at
startup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kasane.core.i18n import N_

# ------------------------------------------------------------------ the catalog

PERMISSIONS: dict[str, str] = {
    # the staff member's own session
    "account:session:use": N_("Use the home page, switch the active agency and log out"),
    # administering the municipality
    "tenant:staff:read": N_("See the staff directory"),
    "tenant:staff:manage": N_("Invite staff, grant and revoke roles, deactivate accounts"),
    "tenant:agencies:manage": N_("Add, rename and deactivate agencies"),
    "tenant:config:manage": N_(
        "Set the town's counters, areas and meetings over its plugin, and run the first-run setup"
    ),
    "tenant:sso:manage": N_("Set up sign-in with the municipality's identity provider"),
    "tenant:look:manage": N_("Choose the theme, colours, logo text and words"),
    "tenant:billing:manage": N_("Manage the subscription and payments"),
    "tenant:data:export": N_("Export all of the municipality's data"),
    "tenant:data:import": N_("Import the caseload the municipality kept before (and undo it)"),
    "tenant:sharing:manage": N_(
        "Turn the anonymized comparison with other towns on or off and state the population"
    ),
    "audit:log:read": N_("Read the audit log"),
    # people and consent
    "person:records:read": N_("See the people the agency works with"),
    "person:records:write": N_("Record consents and household members"),
    "person:records:read_all": N_("See every person of the municipality"),
    "person:records:merge": N_("Merge duplicate person records"),
    "person:records:export": N_("Export a person's record (disclosure request)"),
    # support work
    "intake:consultations:write": N_("Take consultations at the counters"),
    "case:cases:read": N_("See the agency's cases, tasks and participation support"),
    "case:cases:write": N_("Work on cases: stages, plans, notes, agencies, participation"),
    "referral:referrals:read": N_("See the agency's referrals"),
    "referral:referrals:write": N_("Send and answer referrals"),
    "outreach:records:read": N_("See outreach records"),
    "outreach:records:write": N_("Start outreach records and log contacts"),
    "meeting:meetings:read": N_("See the meetings the agency is a member of"),
    "meeting:meetings:write": N_("Schedule meetings, set agendas, record minutes and decisions"),
    # resources and community
    "registry:resources:read": N_("Search the resource registry"),
    "registry:resources:write": N_("Edit resource registry entries and sharing"),
    "registry:resources:import": N_("Import resources into the registry"),
    "community:activities:read": N_("See community places, activities and indicators"),
    "community:activities:write": N_("Record community places and activities"),
    "gaps:list:read": N_("See the list of resource gaps"),
    # the town's figures
    "report:figures:read": N_("See the town's figures and the plan's targets"),
    "report:figures:export": N_("Download the town's figures (Excel, CSV)"),
    "report:targets:manage": N_("Set the implementation plan's targets"),
}

# ------------------------------------------------------------------ roles

TENANT_ADMIN = "tenant_admin"
ROLES: tuple[str, ...] = (
    TENANT_ADMIN,
    "supervisor",
    "caseworker",
    "meeting_member",
    "registry_editor",
    "viewer",
)
ROLE_LABELS: dict[str, str] = {
    TENANT_ADMIN: N_("Tenant administrator"),
    "supervisor": N_("Supervisor"),
    "caseworker": N_("Caseworker"),
    "meeting_member": N_("Meeting member"),
    "registry_editor": N_("Registry editor"),
    "viewer": N_("Viewer"),
}
ROLE_HINTS: dict[str, str] = {
    TENANT_ADMIN: N_(
        "Everything, including staff, agencies, sign-in, look, billing, export and the plan's "
        "targets"
    ),
    "supervisor": N_(
        "All support work, every person's record, merges, disclosure requests and the town's "
        "figures"
    ),
    "caseworker": N_("Support work for the cases the agency takes part in"),
    "meeting_member": N_("The meetings the agency is a member of; no case work"),
    "registry_editor": N_("The resource registry and community building; no case work"),
    "viewer": N_("Reads what the agency may see and the town's figures; changes nothing"),
}
# Names used before roles became memberships (``admin`` is now ``tenant_admin``).
LEGACY_ROLES = {"admin": TENANT_ADMIN}
# Roles that apply whichever agency is active (the others apply in their agency only).
TENANT_WIDE_ROLES = frozenset({TENANT_ADMIN})
# Roles that make sense without an agency (everything else works through its agency).
AGENCY_OPTIONAL_ROLES = frozenset({TENANT_ADMIN, "registry_editor"})

_EVERYONE = ("account:session:use", "tenant:staff:read")
_READS = (
    "person:records:read",
    "case:cases:read",
    "referral:referrals:read",
    "outreach:records:read",
    "meeting:meetings:read",
    "registry:resources:read",
    "community:activities:read",
    "gaps:list:read",
)
_CASE_WORK = (
    *_READS,
    "person:records:write",
    "intake:consultations:write",
    "case:cases:write",
    "referral:referrals:write",
    "outreach:records:write",
    "meeting:meetings:write",
    "registry:resources:write",
    # small towns' caseworkers keep the registry too, HSDS files included
    "registry:resources:import",
    "community:activities:write",
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    TENANT_ADMIN: frozenset(PERMISSIONS),
    "supervisor": frozenset(
        (
            *_EVERYONE,
            *_CASE_WORK,
            "person:records:read_all",
            "person:records:merge",
            "person:records:export",
            "report:figures:read",
            "report:figures:export",
        )
    ),
    "caseworker": frozenset((*_EVERYONE, *_CASE_WORK)),
    "meeting_member": frozenset(
        (
            *_EVERYONE,
            "meeting:meetings:read",
            "meeting:meetings:write",
            "registry:resources:read",
            "gaps:list:read",
        )
    ),
    "registry_editor": frozenset(
        (
            *_EVERYONE,
            "registry:resources:read",
            "registry:resources:write",
            "registry:resources:import",
            "community:activities:read",
            "community:activities:write",
            "gaps:list:read",
        )
    ),
    "viewer": frozenset((*_EVERYONE, *_READS, "report:figures:read")),
}


def role_name(role: str) -> str:
    """The current name of ``role`` (``admin`` → ``tenant_admin``)."""
    return LEGACY_ROLES.get(role, role)


def check_role(role: str) -> str:
    """``role`` under its current name; ValueError for an unknown one."""
    name = role_name(role)
    if name not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return name


# What every signed-in staff member may do, with or without a role: see the home page, log
# out (an account whose last role was revoked must still be able to leave).
BASELINE = frozenset({"account:session:use"})


def permissions_of(roles: Iterable[str]) -> frozenset[str]:
    """Every permission the roles give together, with the baseline (unknown names give
    nothing more)."""
    found: set[str] = set(BASELINE)
    for role in roles:
        found |= ROLE_PERMISSIONS.get(role_name(role), frozenset())
    return frozenset(found)


# ------------------------------------------------------------------ routes → permissions


def needs(permission: str) -> dict[str, str]:
    """The ``opt`` that declares what a route — or, on a controller, each of its routes —
    needs: a full ``scope:resource:action``, or a ``scope:resource`` whose action follows the
    method (``read`` for GET/HEAD, ``write`` otherwise). A handler's own ``opt`` wins over its
    controller's (Litestar merges the layers). An unknown name fails at import."""
    full = permission.count(":") == 2
    known = permission in PERMISSIONS if full else f"{permission}:read" in PERMISSIONS
    if not known:
        raise ValueError(f"unknown permission {permission!r}")
    return {"permission": permission}


def permission_for(handler: Any, method: str) -> str | None:
    """The permission a request with ``method`` to ``handler`` needs, from the ``opt`` its
    route or controller declares (:func:`needs`); None when none is declared (the caller
    refuses then, and the app refuses to start: ``kasane.core.web.route_guards``)."""
    declared = (getattr(handler, "opt", None) or {}).get("permission")
    if not declared:
        return None
    if str(declared).count(":") == 2:
        return str(declared)
    return f"{declared}:{'read' if method.upper() in ('GET', 'HEAD') else 'write'}"
