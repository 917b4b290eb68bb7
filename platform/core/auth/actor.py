"""The logged-in staff member as a plain value (safe to use after the session closed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kasane.core.auth.models import StaffAccount


@dataclass(frozen=True)
class ActorInfo:
    id: uuid.UUID
    tenant_id: uuid.UUID
    username: str
    display_name: str
    role: str
    agency_key: str | None

    @property
    def ref(self) -> str:
        """How the audit log names this actor."""
        return f"account:{self.id}"

    @classmethod
    def of(cls, account: StaffAccount) -> ActorInfo:
        return cls(
            id=account.id,
            tenant_id=account.tenant_id,
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            agency_key=account.agency_key,
        )
