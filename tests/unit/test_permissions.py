"""Which roles an actor holds in its active agency, and which permission a route needs."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount, StaffMembership
from kasane.core.auth.permissions import needs, permission_for
from kasane.core.db import uuid7


def _account(*memberships: tuple[str, str | None]) -> StaffAccount:
    account = StaffAccount(
        id=uuid7(), tenant_id=uuid.uuid4(), username="u", display_name="U", password_hash="x"
    )
    for role, agency in memberships:
        account.memberships.append(StaffMembership(role=role, agency_key=agency))
    return account


def test_roles_follow_the_active_agency_and_tenant_wide_roles_always_apply() -> None:
    account = _account(("tenant_admin", "yakuba"), ("caseworker", "hokatsu"), ("viewer", None))
    first = ActorInfo.of(account)
    assert first.agency_key == "yakuba" and first.agencies == ("yakuba", "hokatsu")
    assert first.roles == {"tenant_admin", "viewer"}
    switched = ActorInfo.of(account, "hokatsu")
    assert switched.roles == {"tenant_admin", "caseworker", "viewer"}
    # an agency it is not a member of falls back to the first
    assert ActorInfo.of(account, "elsewhere").agency_key == "yakuba"


def test_a_role_in_another_agency_gives_nothing_here() -> None:
    account = _account(("supervisor", "yakuba"), ("registry_editor", "shakyo"))
    as_supervisor = ActorInfo.of(account, "yakuba")
    assert as_supervisor.roles == {"supervisor"}
    assert as_supervisor.can("person:records:merge") and as_supervisor.can("case:cases:read")
    as_editor = ActorInfo.of(account, "shakyo")
    assert as_editor.roles == {"registry_editor"}
    assert as_editor.can("registry:resources:write")
    assert not as_editor.can("case:cases:read") and not as_editor.can("person:records:merge")


def test_no_role_still_reaches_home_and_logout_only() -> None:
    actor = ActorInfo.of(_account())
    assert actor.agency_key is None and actor.roles == frozenset()
    assert actor.permissions == {"account:session:use"}


def test_the_legacy_single_role_form_still_builds_an_actor() -> None:
    actor = ActorInfo(uuid7(), uuid.uuid4(), "u", "U", "admin", "yakuba")  # type: ignore[arg-type]
    assert actor.roles == {"tenant_admin"} and actor.can("tenant:staff:manage")
    assert actor.agencies == ("yakuba",)


def test_an_area_takes_its_action_from_the_method_and_a_full_name_is_used_as_is() -> None:
    area = SimpleNamespace(name="x", opt=needs("case:cases"))
    assert permission_for(area, "GET") == "case:cases:read"
    assert permission_for(area, "HEAD") == "case:cases:read"
    assert permission_for(area, "POST") == "case:cases:write"
    full = SimpleNamespace(name="x", opt=needs("person:records:export"))
    assert permission_for(full, "GET") == "person:records:export"
    assert permission_for(full, "POST") == "person:records:export"


def test_a_route_that_declares_nothing_needs_nothing_known_and_is_refused() -> None:
    # requires_login refuses when this is None (deny by default)
    assert permission_for(SimpleNamespace(name="x", opt={}), "GET") is None
    assert permission_for(None, "GET") is None


def test_an_unknown_permission_fails_where_it_is_declared() -> None:
    for wrong in ("case:casework", "case:cases:delete", "nothing"):
        with pytest.raises(ValueError, match="unknown permission"):
            needs(wrong)
