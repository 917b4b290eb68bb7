"""The logged-in staff member as a plain value (safe to use after the session closed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from kasane.core.auth.models import StaffAccount
from kasane.core.auth.permissions import TENANT_WIDE_ROLES, permissions_of, role_name


@dataclass(frozen=True)
class ActorInfo:
    """Who acts, as which agency, with which roles and permissions.

    ``agency_key`` is the *active* agency (need-to-know follows it); ``agencies`` every
    agency the staff member is a member of; ``roles`` the tenant-wide roles plus those held
    in the active agency; ``permissions`` what those roles give. ``roles`` may be given as
    one role name; ``permissions`` are derived from the roles when not given.
    """

    id: uuid.UUID
    tenant_id: uuid.UUID
    username: str
    display_name: str
    roles: frozenset[str]
    agency_key: str | None
    agencies: tuple[str, ...] = ()
    permissions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        given: Iterable[str] = (self.roles,) if isinstance(self.roles, str) else self.roles
        roles = frozenset(role_name(r) for r in given)
        object.__setattr__(self, "roles", roles)
        if not self.permissions:
            object.__setattr__(self, "permissions", permissions_of(roles))
        if not self.agencies and self.agency_key:
            object.__setattr__(self, "agencies", (self.agency_key,))

    @property
    def ref(self) -> str:
        """How the audit log names this actor."""
        return f"account:{self.id}"

    def can(self, permission: str) -> bool:
        """True when one of the actor's roles gives ``permission``."""
        return permission in self.permissions

    @classmethod
    def of(cls, account: StaffAccount, agency_key: str | None = None) -> ActorInfo:
        """The account acting as ``agency_key`` (when it is a member there), else as the
        agency of its first membership."""
        memberships = list(account.memberships)
        agencies = tuple(dict.fromkeys(m.agency_key for m in memberships if m.agency_key))
        active = agency_key if agency_key in agencies else (agencies[0] if agencies else None)
        roles = frozenset(
            m.role
            for m in memberships
            if m.agency_key is None or m.agency_key == active or m.role in TENANT_WIDE_ROLES
        )
        return cls(
            id=account.id,
            tenant_id=account.tenant_id,
            username=account.username,
            display_name=account.display_name,
            roles=roles,
            agency_key=active,
            agencies=agencies,
        )
