"""Which roles an actor holds in its active agency, and which permission a route needs."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount, StaffMembership
from kasane.core.auth.permissions import permission_for
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


def test_prefixes_match_whole_segments_and_the_method_picks_the_action() -> None:
    handler = SimpleNamespace(name="x", opt={})
    assert permission_for(handler, "/cases", "GET") == "case:cases:read"
    assert permission_for(handler, "/cases/{case_id}/notes", "POST") == "case:cases:write"
    assert permission_for(handler, "/casework", "GET") is None
    assert permission_for(handler, "/", "GET") == "account:session:use"
    assert permission_for(handler, "/nowhere", "GET") is None
    assert permission_for(handler, "/admin/staff/{id}", "GET") == "tenant:staff:manage"
    assert permission_for(handler, "/admin/unknown", "GET") is None


def test_a_route_name_or_the_handlers_opt_overrides_the_prefix() -> None:
    named = SimpleNamespace(name="person_export", opt={})
    assert permission_for(named, "/people/{id}/export", "GET") == "person:records:export"
    opted = SimpleNamespace(name="x", opt={"permission": "audit:log:read"})
    assert permission_for(opted, "/cases", "GET") == "audit:log:read"
