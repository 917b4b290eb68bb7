"""Roles and permissions through the real app: every route guarded, each role against
representative routes, agency switching, the staff admin's changes (audited) and the
last-admin guard, and another tenant's staff answering like missing ones."""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import get
from litestar.di import Provide
from litestar.testing import TestClient
from sqlalchemy import func, select

from kasane.app import create_app
from kasane.core.audit.models import AuditEvent
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount, StaffMembership, StaffSession
from kasane.core.auth.permissions import PERMISSIONS, ROLE_PERMISSIONS, ROLES, permission_for
from kasane.core.auth.services import do_create_account
from kasane.core.cases.models import ProgressNote
from kasane.core.consent.models import Consent
from kasane.core.db import Database
from kasane.core.intake.models import Consultation
from kasane.core.meetings.models import Meeting
from kasane.core.referrals.models import Referral
from kasane.core.registry.models import Service
from kasane.core.web.deps import Actor, requires_login
from kasane.tenants.demo import DEMO_PASSWORD
from kasane.tenants.services import do_create_tenant
from tests.conftest import Env, csrf_of, login, tenant_client

CASE_LINK = re.compile(r'href="/cases/([0-9a-f-]{36})"')
STATUS = re.compile(r'<p role="status" class="muted">(.*?)</p>', re.S)


# ------------------------------------------------------------------ helpers


def _in(env: Env, slug: str, fn: Any) -> Any:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> Any:
        async with db.session(tenant_id) as s:
            return await fn(s)

    return env.run(go)


def _account(env: Env, slug: str, username: str) -> StaffAccount:
    async def go(s: Any) -> StaffAccount:
        return (
            await s.execute(select(StaffAccount).where(StaffAccount.username == username))
        ).scalar_one()

    return _in(env, slug, go)  # type: ignore[no-any-return]


def _new_staff(env: Env, slug: str, role: str, agency: str | None) -> str:
    """A fresh account of ``slug`` holding ``role`` in ``agency``; returns its user name."""
    username = f"perm-{role}-{uuid.uuid4().hex[:6]}"

    async def go(s: Any) -> None:
        await do_create_account(
            s,
            username=username,
            display_name="権限 試験",
            password=DEMO_PASSWORD,
            role=role,
            agency_key=agency,
        )

    _in(env, slug, go)
    return username


def _agency_of(env: Env, slug: str, username: str) -> str:
    agency = ActorInfo.of(_account(env, slug, username)).agency_key
    assert agency
    return agency


@pytest.fixture
def client_as(sqlite_env: Env) -> Iterator[Any]:
    """``client_as(username, slug="usuki")``: a logged-in client, closed after the test."""
    opened: list[TestClient] = []

    def make(username: str, slug: str = "usuki") -> TestClient:
        client = tenant_client(sqlite_env, slug)
        client.__enter__()
        opened.append(client)
        assert login(client, username).status_code == 302
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def _token(client: TestClient) -> str:
    return csrf_of(client.get("/").text)


def _post(client: TestClient, path: str, **data: Any) -> Any:
    return client.post(path, data={"_csrf_token": _token(client), **data})


def _counts(env: Env, slug: str) -> dict[str, int]:
    async def go(s: Any) -> dict[str, int]:
        out = {}
        for model in (ProgressNote, Consultation, Referral, Consent, Meeting, Service):
            out[model.__tablename__] = (
                await s.execute(select(func.count()).select_from(model))
            ).scalar_one()
        return out

    return _in(env, slug, go)  # type: ignore[no-any-return]


def _events(env: Env, slug: str, action: str, target: str) -> list[dict[str, Any]]:
    async def go(s: Any) -> list[dict[str, Any]]:
        rows = await s.execute(
            select(AuditEvent.detail)
            .where(AuditEvent.action == action, AuditEvent.target == target)
            .order_by(AuditEvent.seq)
        )
        return [json.loads(d) for d in rows.scalars()]

    return _in(env, slug, go)  # type: ignore[no-any-return]


def _case_ids(client: TestClient) -> set[str]:
    return set(CASE_LINK.findall(client.get("/cases").text))


# ------------------------------------------------------------------ the catalog and coverage


def test_every_login_route_resolves_to_a_permission_in_the_catalog(sqlite_env: Env) -> None:
    # given every route of the app whose handler takes the logged-in actor
    app = create_app(sqlite_env.settings)
    guarded, unresolved = 0, []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "actor" not in handler.parsed_fn_signature.parameters:
                continue
            provider = handler.resolve_dependencies().get("actor")
            if provider is None or provider.dependency is not requires_login:
                continue
            for method in handler.http_methods:
                guarded += 1
                # when its permission is looked up as requires_login looks it up
                permission = permission_for(handler, method)
                if permission not in PERMISSIONS:
                    unresolved.append(f"{method} {route.path} ({handler.name}): {permission}")
    # then each one needs a permission the catalog knows (none slips through unguarded)
    assert guarded > 100
    assert not unresolved, (
        "declare opt=needs(...) on these routes or their controllers: " + "; ".join(unresolved)
    )


def test_roles_name_only_catalog_permissions_and_the_admin_holds_them_all() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    for role, permissions in ROLE_PERMISSIONS.items():
        assert permissions <= set(PERMISSIONS), role
        assert all(p.count(":") == 2 for p in permissions)
    assert ROLE_PERMISSIONS["tenant_admin"] == set(PERMISSIONS)
    # the viewer reads and never writes
    assert not {p for p in ROLE_PERMISSIONS["viewer"] if not p.endswith(":read")} - {
        "account:session:use"
    }


def test_a_login_route_without_a_permission_is_refused(sqlite_env: Env) -> None:
    # given a route that declares no permission, registered after the app started (at
    # startup the app refuses such a route: tests/integration/test_route_guards.py) …
    @get("/unmapped-feature", dependencies={"actor": Provide(requires_login)}, sync_to_thread=False)
    def unmapped(actor: Actor) -> str:
        return "open"

    app = create_app(sqlite_env.settings)
    with TestClient(app, base_url=f"http://usuki.{sqlite_env.settings.base_domain}") as c:
        app.register(unmapped)
        assert login(c, "admin").status_code == 302
        # when even the tenant admin asks for it, then it is refused (deny by default)
        r = c.get("/unmapped-feature")
    assert r.status_code == 403 and "open" not in r.text


# ------------------------------------------------------------------ each role


def test_the_viewer_reads_cases_but_every_write_is_refused_and_nothing_changes(
    sqlite_env: Env, client_as: Any
) -> None:
    # given the demo viewer (地域包括支援センター) and a case that agency takes part in
    viewer = client_as("viewer")
    cases = _case_ids(viewer)
    assert cases, "the viewer's agency takes part in demo cases"
    case_id = sorted(cases)[0]
    assert viewer.get(f"/cases/{case_id}").status_code == 200
    assert viewer.get("/meetings").status_code == 200
    assert viewer.get("/registry").status_code == 200
    person = re.search(r'href="/people/([0-9a-f-]{36})"', viewer.get(f"/cases/{case_id}").text)
    assert person and viewer.get(f"/people/{person.group(1)}").status_code == 200
    before = _counts(sqlite_env, "usuki")
    # when it tries to change anything
    writes = [
        (f"/cases/{case_id}/notes", {"note-kind": "visit", "note-body": "閲覧者のメモ"}),
        (f"/cases/{case_id}/move", {"to": "closed"}),
        ("/intake", {"counter": "hokatsu"}),
        ("/referrals", {"to_agency": "kodomo"}),
        (f"/people/{person.group(1)}/consents", {"consent-agencies": "*"}),
        ("/meetings", {"new-type": "jusoteki"}),
        ("/registry/services", {"name": "閲覧者の資源", "organization_id": "new"}),
        ("/community/places", {"name": "閲覧者の居場所"}),
        ("/outreach", {"summary": "閲覧者"}),
    ]
    answers = {}
    for path, form in writes:
        r = _post(viewer, path, **form)
        # refused for the role (the page says so, without internal permission names), not
        # for the CSRF token
        for_role = "あなたの役割では、このページは利用できません" in r.text
        answers[path] = (r.status_code, for_role and not re.search(r"[a-z]+:[a-z_]+:", r.text))
    forms = {
        path: viewer.get(path).status_code
        for path in (
            "/intake",
            f"/cases/{case_id}/plan/new",
            f"/referrals/new?person={person.group(1)}",
            "/admin/staff",
        )
    }
    # then each is refused, and nothing was written
    assert {status for status, _ in answers.values()} == {403}, answers
    assert all(needed for _, needed in answers.values()), answers
    assert set(forms.values()) == {403}, forms
    assert _counts(sqlite_env, "usuki") == before
    # and its navigation offers only what it may open
    home = viewer.get("/").text
    assert 'href="/cases"' in home and 'href="/intake"' not in home
    assert 'href="/admin/staff"' not in home


def test_the_registry_editor_keeps_the_registry_but_cannot_open_cases(client_as: Any) -> None:
    editor = client_as("registry")
    assert editor.get("/registry/services/new").status_code == 200
    created = _post(
        editor,
        "/registry/services",
        name=f"資源台帳の試験 {uuid.uuid4().hex[:6]}",
        status="active",
        organization_id="new",
        organization_name="試験団体（架空）",
    )
    assert created.status_code == 200 and "/registry/services/" in str(created.url)
    assert editor.get("/community").status_code == 200
    assert editor.get("/registry/import").status_code == 200
    for path in ("/cases", "/intake", "/tasks", "/referrals", "/meetings"):
        assert editor.get(path).status_code == 403, path
    home = editor.get("/").text
    assert 'href="/registry"' in home and 'href="/cases"' not in home


def test_a_meeting_member_runs_its_meetings_but_does_no_case_work(
    sqlite_env: Env, client_as: Any
) -> None:
    # given a meeting member of the agency that sits on usuki's 重層的支援会議
    coordinator = _agency_of(sqlite_env, "usuki", "supervisor")
    member = client_as(_new_staff(sqlite_env, "usuki", "meeting_member", coordinator))
    # when it schedules a meeting and opens it
    page = member.get("/meetings")
    assert page.status_code == 200
    r = member.post(
        "/meetings",
        data={
            "new-type": "jusoteki",
            "new-date": "2031-04-15",
            "new-time": "15:30",
            "new-place": "臼杵庁舎 第2会議室",
            "_csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert member.get(r.headers["location"]).status_code == 200
    # then case work stays closed to it
    for path in ("/cases", "/intake", "/tasks", "/referrals", "/outreach"):
        assert member.get(path).status_code == 403, path
    home = member.get("/").text
    assert 'href="/meetings"' in home and 'href="/cases"' not in home


def test_a_caseworker_cannot_open_the_admin_pages(client_as: Any) -> None:
    caseworker = client_as("caseworker")
    for path in (
        "/admin/staff",
        "/admin/invitations",
        "/admin/agencies",
        "/admin/sso",
        "/admin/export",
        "/billing",
    ):
        r = caseworker.get(path)
        assert r.status_code == 403, path
    assert "admin/" not in caseworker.get("/").text.split("<main", 1)[0]
    # the refusal says why in words, without internal permission names
    assert "admin/staff" not in r.text and "tenant:billing:manage" not in r.text
    assert "あなたの役割では、このページは利用できません" in r.text


# ------------------------------------------------------------------ the active agency


def test_switching_agency_changes_the_case_list_and_is_audited(
    sqlite_env: Env, client_as: Any
) -> None:
    # given the demo supervisor, who also works as a caseworker at the 地域包括 (兼務)
    supervisor = client_as("supervisor")
    caseworker = client_as("caseworker")
    hokatsu = _agency_of(sqlite_env, "usuki", "caseworker")
    own = _agency_of(sqlite_env, "usuki", "supervisor")
    as_supervisor = _case_ids(supervisor)
    home = supervisor.get("/").text
    assert 'id="agency-switch"' in home and f'value="{hokatsu}"' in home
    account = _account(sqlite_env, "usuki", "supervisor")
    switched = len(
        _events(sqlite_env, "usuki", "auth.agency_switched", f"staff_account:{account.id}")
    )
    # when it switches to the 地域包括
    r = _post(supervisor, "/session/agency", agency_key=hokatsu, next="/cases")
    # then the case list is the 地域包括's — what its caseworker sees — and no longer its own
    assert r.status_code == 200 and r.url.path == "/cases"
    as_hokatsu = _case_ids(supervisor)
    assert as_hokatsu == _case_ids(caseworker)
    assert as_hokatsu != as_supervisor
    assert STATUS.search(supervisor.get("/cases").text).group(1) == STATUS.search(  # type: ignore[union-attr]
        caseworker.get("/cases").text
    ).group(1)
    # and the roles follow the agency: a caseworker there, not a supervisor (no merges)
    assert (
        supervisor.post(
            f"/people/{uuid.uuid4()}/merge", data={"_csrf_token": _token(supervisor)}
        ).status_code
        == 403
    )
    events = _events(sqlite_env, "usuki", "auth.agency_switched", f"staff_account:{account.id}")
    assert len(events) == switched + 1 and events[-1] == {"agency": hokatsu}
    # an agency it is not a member of changes nothing
    _post(supervisor, "/session/agency", agency_key="not-mine")
    assert _case_ids(supervisor) == as_hokatsu
    # switching back restores its own list
    _post(supervisor, "/session/agency", agency_key=own)
    assert _case_ids(supervisor) == as_supervisor


def test_one_agency_shows_no_switch(client_as: Any) -> None:
    home = client_as("caseworker").get("/").text
    assert 'id="agency-switch"' not in home and 'id="agency-current"' in home


# ------------------------------------------------------------------ the staff admin


def test_granting_and_revoking_roles_is_audited_and_takes_effect_at_once(
    sqlite_env: Env, client_as: Any
) -> None:
    # given a new viewer, logged in, and the tenant admin
    username = _new_staff(
        sqlite_env, "usuki", "viewer", _agency_of(sqlite_env, "usuki", "caseworker")
    )
    member = client_as(username)
    admin = client_as("admin")
    account = _account(sqlite_env, "usuki", username)
    target = f"staff_account:{account.id}"
    assert member.get("/intake").status_code == 403
    kodomo = _agency_of(sqlite_env, "usuki", "kodomo")
    # when the admin grants it a caseworker role at the children's centre
    r = _post(admin, f"/admin/staff/{account.id}/roles", role="caseworker", agency_key=kodomo)
    assert r.status_code == 200 and 'id="staff-done"' in r.text
    # then the member's next page has the new roles (switching to that agency opens intake)
    assert 'id="agency-switch"' in member.get("/").text
    _post(member, "/session/agency", agency_key=kodomo)
    assert member.get("/intake").status_code == 200
    assert _events(sqlite_env, "usuki", "staff.role_granted", target) == [
        {"role": "caseworker", "agency": kodomo}
    ]
    # and the same role twice is refused, saying so, keeping the choice
    again = _post(admin, f"/admin/staff/{account.id}/roles", role="caseworker", agency_key=kodomo)
    assert again.status_code == 422 and 'id="grant-role-error"' in again.text
    assert f'<option value="{kodomo}" selected' in again.text
    # a role that works through an agency needs one
    none = _post(admin, f"/admin/staff/{account.id}/roles", role="caseworker", agency_key="")
    assert none.status_code == 422 and 'id="grant-agency-error"' in none.text
    # when the admin revokes it (through htmx), the section comes back and it is audited
    membership = next(
        m for m in _account(sqlite_env, "usuki", username).memberships if m.agency_key == kodomo
    )
    r = admin.post(
        f"/admin/memberships/{membership.id}/revoke",
        data={"_csrf_token": _token(admin)},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert 'id="staff-member"' in r.text and "<html" not in r.text
    assert member.get("/intake").status_code == 403
    assert _events(sqlite_env, "usuki", "staff.role_revoked", target) == [
        {"role": "caseworker", "agency": kodomo}
    ]
    # and the admin's page shows the history
    history = admin.get(f"/admin/staff/{account.id}").text
    assert 'id="staff-history"' in history


def test_deactivating_ends_the_sessions_and_reactivating_lets_in_again(
    sqlite_env: Env, client_as: Any
) -> None:
    username = _new_staff(
        sqlite_env, "usuki", "viewer", _agency_of(sqlite_env, "usuki", "caseworker")
    )
    member = client_as(username)
    admin = client_as("admin")
    account = _account(sqlite_env, "usuki", username)
    r = _post(admin, f"/admin/staff/{account.id}/deactivate")
    assert r.status_code == 200 and 'data-active="no"' in r.text
    assert member.get("/", follow_redirects=False).status_code == 302  # logged out now

    async def sessions(s: Any) -> int:
        query = select(func.count()).where(StaffSession.account_id == account.id)
        return (await s.execute(query)).scalar_one()

    assert _in(sqlite_env, "usuki", sessions) == 0
    with tenant_client(sqlite_env, "usuki") as again:
        assert login(again, username).status_code == 401
    _post(admin, f"/admin/staff/{account.id}/reactivate")
    with tenant_client(sqlite_env, "usuki") as again:
        assert login(again, username).status_code == 302
    target = f"staff_account:{account.id}"
    assert len(_events(sqlite_env, "usuki", "staff.deactivated", target)) == 1
    assert len(_events(sqlite_env, "usuki", "staff.reactivated", target)) == 1


def _code() -> str:
    first = f"8{random.randint(0, 9999):04d}"
    total = sum(int(d) * w for d, w in zip(first, (6, 5, 4, 3, 2), strict=True))
    return first + str((11 - total % 11) % 10)


def test_the_last_tenant_admin_keeps_the_role_and_stays_active(sqlite_env: Env) -> None:
    # given a town with one tenant administrator
    slug = f"p{uuid.uuid4().hex[:10]}"

    async def make(db: Database) -> None:
        tenant = await do_create_tenant(
            db,
            slug=slug,
            name="権限町",
            municipality_code=_code(),
            prefecture="香川県",
            plugin="marugame",
            status="active",
        )
        async with db.session(tenant.id) as s:
            for username, role in (("only-admin", "tenant_admin"), ("helper", "caseworker")):
                await do_create_account(
                    s,
                    username=username,
                    display_name=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    agency_key="kosodate" if role == "caseworker" else None,
                )

    sqlite_env.run(make)
    admin_account = _account(sqlite_env, slug, "only-admin")
    [only] = admin_account.memberships
    with tenant_client(sqlite_env, slug) as admin:
        assert login(admin, "only-admin").status_code == 302
        page = admin.get(f"/admin/staff/{admin_account.id}")
        assert 'id="last-admin-note"' in page.text
        # when it tries to lose the role, or to deactivate itself
        revoke = _post(admin, f"/admin/memberships/{only.id}/revoke")
        deactivate = _post(admin, f"/admin/staff/{admin_account.id}/deactivate")
        # then both are refused with the reason, and nothing changed
        for r in (revoke, deactivate):
            assert r.status_code == 422 and 'id="staff-alert"' in r.text
        assert [m.id for m in _account(sqlite_env, slug, "only-admin").memberships] == [only.id]
        assert _account(sqlite_env, slug, "only-admin").is_active
        # once someone else is a tenant administrator, it may step down
        helper = _account(sqlite_env, slug, "helper")
        _post(admin, f"/admin/staff/{helper.id}/roles", role="tenant_admin", agency_key="")
        stepped_down = _post(admin, f"/admin/memberships/{only.id}/revoke")
        # (it takes effect at once: the admin pages close, home and logout stay open)
        assert stepped_down.status_code == 200 and stepped_down.url.path == "/"
        assert admin.get("/admin/staff").status_code == 403
        assert _account(sqlite_env, slug, "only-admin").memberships == []


def test_marugames_admin_cannot_see_or_change_usukis_staff(sqlite_env: Env, client_as: Any) -> None:
    usuki_caseworker = _account(sqlite_env, "usuki", "caseworker")
    [membership] = usuki_caseworker.memberships
    admin = client_as("admin", "marugame")
    missing = uuid.uuid4()
    pairs = [
        (admin.get(f"/admin/staff/{usuki_caseworker.id}"), admin.get(f"/admin/staff/{missing}")),
        (
            _post(admin, f"/admin/staff/{usuki_caseworker.id}/roles", role="viewer", agency_key=""),
            _post(admin, f"/admin/staff/{missing}/roles", role="viewer", agency_key=""),
        ),
        (
            _post(admin, f"/admin/memberships/{membership.id}/revoke"),
            _post(admin, f"/admin/memberships/{missing}/revoke"),
        ),
        (
            _post(admin, f"/admin/staff/{usuki_caseworker.id}/deactivate"),
            _post(admin, f"/admin/staff/{missing}/deactivate"),
        ),
    ]
    for theirs, absent in pairs:
        assert theirs.status_code == absent.status_code == 404
        assert theirs.text == absent.text
    after = _account(sqlite_env, "usuki", "caseworker")
    assert after.is_active and [m.id for m in after.memberships] == [membership.id]
    # and marugame's staff list is marugame's own
    listing = admin.get("/admin/staff").text
    assert str(usuki_caseworker.id) not in listing
    assert str(_account(sqlite_env, "marugame", "caseworker").id) in listing


# ------------------------------------------------------------------ agencies and invitations


def test_the_admin_adds_renames_and_deactivates_an_agency(sqlite_env: Env, client_as: Any) -> None:
    admin = client_as("admin", "marugame")
    key = f"npo-{uuid.uuid4().hex[:6]}"
    page = admin.get("/admin/agencies")
    assert page.status_code == 200 and 'id="plugin-agencies"' in page.text
    # a refused form names the field and keeps what was typed
    bad = _post(admin, "/admin/agencies", key="Bad Key!", name="", field="other", kind="partner")
    assert bad.status_code == 422
    assert 'id="new-key-error"' in bad.text and 'id="new-name-error"' in bad.text
    assert 'value="bad key!"' in bad.text
    plugin_key = re.search(r'<tr data-agency="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    taken = _post(admin, "/admin/agencies", key=plugin_key, name="x", field="other", kind="partner")
    assert taken.status_code == 422 and 'id="new-key-error"' in taken.text
    # when it adds one
    r = _post(
        admin, "/admin/agencies", key=key, name="まるがめ見守りNPO", field="elderly", kind="partner"
    )
    assert r.status_code == 200 and 'id="agencies-done"' in r.text
    # then staff can be invited into it, and it is a choice in the role form
    assert f'<option value="{key}"' in admin.get("/admin/invitations").text
    agency_id = re.search(
        rf'id="agency-{key}".*?action="/admin/agencies/([0-9a-f-]{{36}})"', r.text, re.S
    )
    assert agency_id
    # when it is renamed, the new name shows
    _post(
        admin,
        f"/admin/agencies/{agency_id.group(1)}",
        name="まるがめ見守りネット",
        field="elderly",
        kind="partner",
    )
    assert "まるがめ見守りネット" in admin.get("/admin/invitations").text
    # a staff member works for it
    member = _account(sqlite_env, "marugame", _new_staff(sqlite_env, "marugame", "viewer", None))
    _post(admin, f"/admin/staff/{member.id}/roles", role="caseworker", agency_key=key)
    # when it is deactivated, it is offered nowhere, but stays listed for the admin
    _post(admin, f"/admin/agencies/{agency_id.group(1)}/deactivate")
    assert f'<option value="{key}"' not in admin.get("/admin/invitations").text
    assert f'data-agency="{key}" data-active="no"' in admin.get("/admin/agencies").text
    # and the records that mention it still show its name, not its key
    staff_page = admin.get(f"/admin/staff/{member.id}").text
    assert "まるがめ見守りネット" in staff_page
    target = f"tenant_agency:{agency_id.group(1)}"
    for action in ("agency.created", "agency.updated", "agency.deactivated"):
        assert len(_events(sqlite_env, "marugame", action, target)) == 1, action
    # and usuki never saw it
    assert key not in client_as("admin").get("/admin/invitations").text


def test_an_invitation_names_a_known_agency_and_can_be_withdrawn(
    sqlite_env: Env, client_as: Any
) -> None:
    admin = client_as("admin")
    email = f"new-{uuid.uuid4().hex[:6]}@usuki.example.jp"
    bad = _post(admin, "/admin/invitations", email=email, role="caseworker", agency_key="nowhere")
    assert bad.status_code == 422 and 'id="agency_key-error"' in bad.text
    assert f'value="{email}"' in bad.text
    kodomo = _agency_of(sqlite_env, "usuki", "kodomo")
    sent = _post(admin, "/admin/invitations", email=email, role="meeting_member", agency_key=kodomo)
    link = re.search(r'id="invitation-link">[^<]*(/invitation\?token=[^<]+)<', sent.text)
    assert sent.status_code == 200 and link
    row = re.search(
        rf'<tr data-invitation="([0-9a-f-]{{36}})">\s*<td>{re.escape(email)}', sent.text
    )
    assert row
    assert admin.get(link.group(1).replace("&amp;", "&")).status_code == 200
    # when it is withdrawn, its link no longer works and it is audited
    r = _post(admin, f"/admin/invitations/{row.group(1)}/withdraw")
    assert r.status_code == 200 and 'id="invitation-withdrawn"' in r.text and email not in r.text
    with tenant_client(sqlite_env, "usuki") as stranger:
        assert stranger.get(link.group(1).replace("&amp;", "&")).status_code == 404
    assert (
        len(
            _events(
                sqlite_env,
                "usuki",
                "staff.invitation_withdrawn",
                f"staff_invitation:{row.group(1)}",
            )
        )
        == 1
    )


def test_memberships_are_stored_per_agency(sqlite_env: Env) -> None:
    # the demo supervisor holds two memberships (兼務); the admin is a tenant_admin
    supervisor = _account(sqlite_env, "usuki", "supervisor")
    assert [m.role for m in supervisor.memberships] == ["supervisor", "caseworker"]
    assert len({m.agency_key for m in supervisor.memberships}) == 2
    admin = _account(sqlite_env, "usuki", "admin")
    assert [m.role for m in admin.memberships] == ["tenant_admin"]

    async def count(s: Any) -> int:
        return (await s.execute(select(func.count()).select_from(StaffMembership))).scalar_one()

    assert _in(sqlite_env, "usuki", count) >= 7
