"""The shared resource registry (社会資源, Open Referral HSDS 3.0) as staff, contacts,
neighbouring municipalities and open-data users meet it.

Every test runs against the session's demo database (usuki and marugame, with the demo
registry seeded here) and, where it says ``any_env``, on PostgreSQL as the app role too.
Tests that share entries or import use tenants of their own, so nothing they do shows up
in another test.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from kasane.core import plugins
from kasane.core.audit.services import count_events
from kasane.core.auth.services import do_create_account
from kasane.core.db import Database, utcnow
from kasane.core.japan_time import JST
from kasane.core.registry.confirm_controllers import SUBMITS_PER_WINDOW
from kasane.core.registry.freshness import (
    BadLink,
    ExpiredLink,
    make_link_token,
    pending_changes,
    read_link_token,
)
from kasane.core.registry.graph import KINDS
from kasane.core.registry.hsds_import import import_dataset
from kasane.core.registry.models import PendingChange, ResourceShare, Service
from kasane.core.registry.schedules import describe, is_open, occurs_on
from kasane.core.registry.services import ServiceInput, do_create_service, get_service
from kasane.tenants.demo import DEMO_PASSWORD
from kasane.tenants.demo_registry import seed_registry
from kasane.tenants.models import Tenant
from kasane.tenants.services import do_create_tenant, find_tenant_by_slug, tenant_info
from tests.conftest import Env, csrf_of, login, tenant_client

DATA = Path(__file__).parent / "data"

# A service that fills every kind of record (location, address, phone, contact, schedule).
EVERY_RECORD_SERVICE: dict[str, Any] = {
    "name": "かさね居場所",
    "name_kana": "カサネイバショ",
    "area_key": "chuo",
    "public": True,
    "location_name": "中央公民館",
    "address_1": "1-1",
    "city": "臼杵市",
    "postal_code": "875-0001",
    "state_province": "大分県",
    "accessibility": "段差なし",
    "phone": "000-0000-0000",
    "contact_name": "担当",
    "days": ["MO", "TH"],
    "nth": "2",
    "opens_at": "10:00",
    "closes_at": "12:00",
    "reviewed_on": date(2026, 1, 5),
}
_SEEDED: set[str] = set()


# ------------------------------------------------------------------ helpers


def seeded(env: Env) -> Env:
    """The env with the demo registry of both demo tenants (seeded once per database)."""
    if env.settings.database_url in _SEEDED:
        return env

    async def go(db: Database) -> None:
        for slug in ("usuki", "marugame"):
            async with db.session() as s:
                tenant = await find_tenant_by_slug(s, slug)
            assert tenant is not None
            config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
            await seed_registry(db, tenant, config)

    env.run(go)
    _SEEDED.add(env.settings.database_url)
    return env


def _code(rng: random.Random) -> str:
    first = f"9{rng.randint(0, 9999):04d}"
    total = sum(int(d) * w for d, w in zip(first, (6, 5, 4, 3, 2), strict=True))
    return first + str((11 - total % 11) % 10)


def new_tenant(env: Env, *, plugin: str = "usuki", name: str = "試験町") -> tuple[str, str]:
    """A fresh tenant with a ``caseworker`` account: (slug, 全国地方公共団体コード)."""
    rng = random.Random()
    slug = f"t{uuid.uuid4().hex[:10]}"
    code = ""

    async def go(db: Database) -> None:
        nonlocal code
        # a fictional code no tenant of this shared environment holds yet: drawn blindly
        # from 10,000, two tests of one run sometimes drew the same one
        async with db.session(all_tenants=True) as s:
            taken = set((await s.execute(select(Tenant.municipality_code))).scalars())
        while not code or code in taken:
            code = _code(rng)
        tenant = await do_create_tenant(
            db,
            slug=slug,
            name=name,
            municipality_code=code,
            prefecture="大分県",
            plugin=plugin,
            status="active",
        )
        async with db.session(tenant.id) as s:
            await do_create_account(
                s, username="caseworker", display_name="試験", password=DEMO_PASSWORD
            )

    env.run(go)
    return slug, code


def make_service(env: Env, slug: str, **fields: Any) -> uuid.UUID:
    tenant_id = env.tenant_id(slug)
    data = ServiceInput(name=fields.pop("name", f"試験サービス{uuid.uuid4().hex[:6]}"))
    data.organization_name = fields.pop("organization_name", "試験団体")
    for key, value in fields.items():
        setattr(data, key, value)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            return (await do_create_service(s, "system", data)).id

    return env.run(go)


def in_tenant(env: Env, slug: str, fn: Any) -> Any:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> Any:
        async with db.session(tenant_id) as s:
            return await fn(s)

    return env.run(go)


def results(client: Any, **params: str) -> str:
    """The search results fragment (htmx), without the search box echoing the query."""
    return str(client.get("/registry", params=params, headers={"HX-Request": "true"}).text)


def all_api(client: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every entry of a paged HSDS list, page by page."""
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        r = client.get(path, params={**params, "page": page, "per_page": 7})
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["contents"]
        if body["last_page"]:
            return out
        page += 1


# ------------------------------------------------------------------ isolation and sharing


def test_marugame_does_not_see_usuki_resources(any_env: Env) -> None:
    # given a usuki service nobody shares
    env = seeded(any_env)
    name = f"臼杵だけの居場所{uuid.uuid4().hex[:6]}"
    sid = make_service(env, "usuki", name=name)
    missing = uuid.uuid4()
    with tenant_client(env, "marugame") as m:
        assert login(m, "caseworker").status_code == 302
        # when marugame's staff search, open it by id and ask the API for it
        search = results(m, q=name)
        page, absent = m.get(f"/registry/services/{sid}"), m.get(f"/registry/services/{missing}")
        api_one, api_absent = (
            m.get(f"/api/hsds/services/{sid}"),
            m.get(f"/api/hsds/services/{missing}"),
        )
        listed = {s["id"] for s in all_api(m, "/api/hsds/services", search=name)}
    # then it is nowhere, and its id answers exactly like a missing one
    assert name not in search
    assert page.status_code == absent.status_code == 404 and page.text == absent.text
    assert api_one.status_code == api_absent.status_code == 404 and api_one.text == api_absent.text
    assert str(sid) not in listed
    # and usuki's own staff see it
    with tenant_client(env, "usuki") as u:
        assert login(u, "caseworker").status_code == 302
        assert name in results(u, q=name)


def test_sharing_shows_only_the_chosen_entries_to_the_named_tenant_read_only(
    any_env: Env,
) -> None:
    # given a neighbour tenant and three new usuki services, two of them shared with it
    env = seeded(any_env)
    neighbour, code = new_tenant(env, name="津久見市（試験）")
    tag = uuid.uuid4().hex[:6]
    a, b, c = (make_service(env, "usuki", name=f"広域資源{tag}{x}", public=True) for x in "ABC")
    with tenant_client(env, "usuki") as u:
        assert login(u, "caseworker").status_code == 302
        token = csrf_of(u.get(f"/registry/services/{a}").text)
        for sid in (a, b):
            r = u.post(
                f"/registry/services/{sid}/shares",
                data={"action": "add", "tenant": code, "_csrf_token": token},
            )
            assert r.status_code == 200 and "津久見市（試験）" in r.text
    # when the neighbour's staff look
    with tenant_client(env, neighbour) as n:
        assert login(n, "caseworker").status_code == 302
        search = results(n, q=f"広域資源{tag}")
        page_a = n.get(f"/registry/services/{a}")
        page_c = n.get(f"/registry/services/{c}")
        api = {s["id"]: s for s in all_api(n, "/api/hsds/services", search=f"広域資源{tag}")}
        api_a = n.get(f"/api/hsds/services/{a}")
        token = csrf_of(page_a.text)
        edit = n.post(
            f"/registry/services/{a}",
            data={
                "name": "書き換え",
                "status": "active",
                "organization_id": "new",
                "organization_name": "x",
                "_csrf_token": token,
            },
        )
        share = n.post(
            f"/registry/services/{a}/shares",
            data={"action": "add", "tenant": "372021", "_csrf_token": token},
        )
        link = n.post(f"/registry/services/{a}/confirm-link", data={"_csrf_token": token})
    # then they see exactly the two shared entries, marked as usuki's and read-only
    assert f"広域資源{tag}A" in search and f"広域資源{tag}B" in search
    assert f"広域資源{tag}C" not in search
    assert page_a.status_code == 200 and "臼杵市" in page_a.text
    assert f"/registry/services/{a}/edit" not in page_a.text
    assert page_c.status_code == 404
    assert set(api) == {str(a), str(b)} and api[str(a)]["x_shared_by"] == "臼杵市"
    assert api_a.status_code == 200 and api_a.json()["name"] == f"広域資源{tag}A"
    # and every write to a shared entry is the 404 of a missing one
    assert edit.status_code == share.status_code == link.status_code == 404
    assert in_tenant(env, "usuki", lambda s: get_service(s, a)).name == f"広域資源{tag}A"
    # and marugame, which nobody named, sees none of them
    with tenant_client(env, "marugame") as m:
        assert login(m, "caseworker").status_code == 302
        assert f"広域資源{tag}" not in results(m, q=f"広域資源{tag}")
        assert m.get(f"/registry/services/{a}").status_code == 404
    # and an anonymous caller on the neighbour's host gets only the neighbour's open data
    with tenant_client(env, neighbour) as anon:
        assert all_api(anon, "/api/hsds/services") == []
        assert anon.get(f"/api/hsds/services/{a}").status_code == 404

    # when usuki stops sharing B
    neighbour_id = env.tenant_id(neighbour)
    with tenant_client(env, "usuki") as u:
        assert login(u, "caseworker").status_code == 302
        token = csrf_of(u.get(f"/registry/services/{b}").text)
        u.post(
            f"/registry/services/{b}/shares",
            data={"action": "remove", "tenant_id": str(neighbour_id), "_csrf_token": token},
        )
    # then the neighbour sees only A, and both changes are in usuki's audit log
    with tenant_client(env, neighbour) as n:
        assert login(n, "caseworker").status_code == 302
        assert {s["id"] for s in all_api(n, "/api/hsds/services")} == {str(a)}
        assert n.get(f"/registry/services/{b}").status_code == 404
    assert in_tenant(env, "usuki", lambda s: count_events(s, "registry.share")) >= 2
    assert in_tenant(env, "usuki", lambda s: count_events(s, "registry.unshare")) >= 1


@pytest.mark.postgres
def test_on_postgres_only_the_shared_rows_cross_the_tenant_wall(
    pg_env: Env, pg_database: tuple[str, str]
) -> None:
    # given a usuki service with a location and a phone, shared with a neighbour
    env = seeded(pg_env)
    neighbour, _ = new_tenant(env)
    shared = make_service(
        env,
        "usuki",
        location_name="共有の場所",
        address_1="1-1",
        city="臼杵市",
        postal_code="875-0001",
        state_province="大分県",
        phone="000-0000-0000",
    )
    private = make_service(env, "usuki")
    usuki_id, neighbour_id = env.tenant_id("usuki"), env.tenant_id(neighbour)
    marugame_id = env.tenant_id("marugame")

    async def share(db: Database) -> None:
        async with db.session(usuki_id) as s:
            s.add(ResourceShare(service_id=shared, shared_with_tenant_id=neighbour_id))

    env.run(share)
    _admin, app = pg_database
    with psycopg.connect(app, autocommit=True) as conn:
        # when the app role, working for the neighbour, reads the table and the function
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(neighbour_id),))
            direct = conn.execute(
                "SELECT count(*) FROM registry_services WHERE id = %s", (shared,)
            ).fetchone()[0]
            rows = conn.execute("SELECT kind, data FROM registry_shared_rows()").fetchall()
            after = conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0]
        # and working for marugame, whom nobody named
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(marugame_id),))
            marugame_rows = conn.execute("SELECT kind FROM registry_shared_rows()").fetchall()
        with conn.transaction(force_rollback=True):
            none_rows = conn.execute("SELECT kind FROM registry_shared_rows()").fetchall()
    # then RLS hides the table row, and the function returns just the shared service and
    # what it links to, all of usuki, then hands the neighbour's tenant setting back
    assert direct == 0
    kinds = {k for k, _d in rows}
    assert {
        "registry_services",
        "registry_organizations",
        "registry_locations",
        "registry_addresses",
        "registry_phones",
    } <= kinds
    services = [d for k, d in rows if k == "registry_services"]
    assert [d["id"] for d in services] == [str(shared)]
    assert str(private) not in json.dumps([d for _k, d in rows])
    assert {d["tenant_id"] for _k, d in rows} == {str(usuki_id)}
    assert after == str(neighbour_id)
    assert marugame_rows == [] and none_rows == []


# ------------------------------------------------------------------ import and export


def _bad_dataset() -> dict[str, Any]:
    org = str(uuid.uuid4())
    return {
        "organizations": [
            {
                "id": org,
                "name": "正しい団体",
                "description": "",
                "services": [
                    {"id": str(uuid.uuid4()), "name": "状態のないサービス"},  # status missing
                    {
                        "id": str(uuid.uuid4()),
                        "name": "正しいサービス",
                        "status": "active",
                        "phones": [{"id": str(uuid.uuid4())}],  # number missing
                        "attributes": [
                            {
                                "id": str(uuid.uuid4()),
                                "link_type": "category",
                                "taxonomy_term_id": str(uuid.uuid4()),
                            }  # no such term
                        ],
                        "schedules": [{"id": str(uuid.uuid4()), "byday": "Tuesday"}],
                    },
                    {"id": "not-a-uuid", "name": "ID が壊れている", "status": "active"},
                ],
                "locations": [
                    {
                        "id": str(uuid.uuid4()),
                        "location_type": "physical",
                        "addresses": [
                            {
                                "id": str(uuid.uuid4()),
                                "address_1": "1-1",
                                "city": "臼杵市",
                                "state_province": "大分県",
                                "postal_code": 8750001,
                                "country": "JP",
                                "address_type": "physical",
                            }
                        ],
                    }
                ],
            }
        ]
    }


def test_import_reports_each_problem_with_record_and_field_and_imports_nothing(
    any_env: Env,
) -> None:
    # given a dataset with one problem in each of five records
    env = seeded(any_env)
    dataset = _bad_dataset()
    before = in_tenant(env, "usuki", lambda s: _count(s))

    async def check(s: Any) -> Any:
        return await import_dataset(s, dataset, actor="system", area_keys=set())

    # when it is imported (service call) and uploaded through the page
    report = in_tenant(env, "usuki", check)
    with tenant_client(env, "usuki") as u:
        assert login(u, "caseworker").status_code == 302
        token = csrf_of(u.get("/registry/import").text)
        page = u.post(
            "/registry/import",
            data={"_csrf_token": token},
            files={"file": ("bad.json", json.dumps(dataset).encode(), "application/json")},
        )
    # then each problem names its record type, the record and the field
    found = {(p.record, p.field) for p in report.problems}
    assert {
        ("service", "status"),
        ("phone", "number"),
        ("attribute", "taxonomy_term_id"),
        ("schedule", "byday"),
        ("service", "id"),
        ("address", "postal_code"),
    } <= found
    phone = next(p for p in report.problems if p.record == "phone")
    assert phone.ref == dataset["organizations"][0]["services"][1]["phones"][0]["id"]
    broken = next(p for p in report.problems if p.field == "id")
    assert broken.ref == "not-a-uuid"
    # and the page lists them and nothing was imported, not even the valid records
    assert page.status_code == 422
    assert "postal_code" in page.text and "not-a-uuid" in page.text
    assert not report.imported
    assert in_tenant(env, "usuki", lambda s: _count(s)) == before


async def _count(s: Any) -> int:
    return int((await s.execute(select(func.count()).select_from(Service))).scalar_one())


def test_a_partial_import_skips_invalid_records_and_their_dependents(sqlite_env: Env) -> None:
    # given the same bad dataset
    env = seeded(sqlite_env)
    slug, _ = new_tenant(env)

    async def go(s: Any) -> Any:
        return await import_dataset(
            s, _bad_dataset(), actor="system", area_keys=set(), partial=True
        )

    # when imported with partial=True
    report = in_tenant(env, slug, go)
    # then the valid records are in (the service whose phone, category and schedule were
    # wrong, without them); the invalid ones and what hangs off them are not
    assert report.imported and report.skipped == 6
    assert report.counts["organization"] == 1 and report.counts["location"] == 1
    assert "phone" not in report.counts and "address" not in report.counts
    assert in_tenant(env, slug, lambda s: _names(s)) == ["正しいサービス"]


async def _names(s: Any) -> list[str]:
    return list((await s.execute(select(Service.name))).scalars())


def _rows(env: Env, slug: str) -> dict[str, dict[uuid.UUID, dict[str, Any]]]:
    """Every registry row of a tenant, every column but tenant_id and created_at."""

    async def go(s: Any) -> Any:
        out: dict[str, dict[uuid.UUID, dict[str, Any]]] = {}
        for kind, model in KINDS.items():
            cols = [
                c.key for c in model.__table__.columns if c.key not in ("tenant_id", "created_at")
            ]  # type: ignore[attr-defined]
            out[kind] = {
                row.id: {c: getattr(row, c) for c in cols}
                for row in (await s.execute(select(model))).scalars()
            }
        return out

    return in_tenant(env, slug, go)


def test_an_export_reimports_into_an_empty_tenant_record_by_record(any_env: Env) -> None:
    # given usuki's registry, with an imported HSDS example on top (every kind of record)
    env = seeded(any_env)
    source, _ = new_tenant(env)
    example = json.loads((DATA / "hsds_example.json").read_text())

    async def load_example(s: Any) -> Any:
        return await import_dataset(s, example, actor="system", area_keys=set())

    assert in_tenant(env, source, load_example).imported
    make_service(env, source, **EVERY_RECORD_SERVICE)
    target, _ = new_tenant(env)
    # when it is exported and uploaded into an empty tenant
    with tenant_client(env, source) as src:
        assert login(src, "caseworker").status_code == 302
        exported = src.get("/registry/export.json")
    with tenant_client(env, target) as dst:
        assert login(dst, "caseworker").status_code == 302
        token = csrf_of(dst.get("/registry/import").text)
        previewed = dst.post(
            "/registry/import",
            data={"_csrf_token": token},
            files={"file": ("registry.json", exported.content, "application/json")},
        )
        # (an upload is previewed first; importing it is the preview's button)
        assert previewed.status_code == 200, previewed.text
        imported = dst.post(f"{previewed.url.path}/commit", data={"_csrf_token": token})
    # then every record arrives with every field equal
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert imported.status_code == 200, imported.text
    before, after = _rows(env, source), _rows(env, target)
    for kind in KINDS:
        assert set(after[kind]) == set(before[kind]), kind
        for row_id, fields in before[kind].items():
            assert after[kind][row_id] == fields, (kind, row_id)
    assert len(before["services"]) == 4 and len(before["phones"]) >= 4
    # and the import is in the target's audit log
    assert in_tenant(env, target, lambda s: count_events(s, "registry.import")) == 1


def test_an_hsds_dataset_written_elsewhere_imports(any_env: Env) -> None:
    # given an HSDS 3.0 example written by hand from the reference (English content,
    # fully nested services, fields Kasane does not store)
    env = seeded(any_env)
    slug, _ = new_tenant(env, plugin="marugame")
    example = json.loads((DATA / "hsds_example.json").read_text())
    # when it is pasted into the import page
    with tenant_client(env, slug) as c:
        assert login(c, "caseworker").status_code == 302
        token = csrf_of(c.get("/registry/import").text)
        r = c.post("/registry/import", data={"_csrf_token": token, "json": json.dumps(example)})
        committed = c.post(f"{r.url.path}/commit", data={"_csrf_token": token})
        assert committed.status_code == 200, committed.text
        kitchen = c.get("/api/hsds/services/5b0e6f0a-2f2c-4f0b-9a39-1c1f3a8f7d01").json()
        page = c.get("/registry", params={"q": "kitchen"})
    # then the preview tells which fields Kasane keeps as given (no column for them), and
    # it imports
    assert r.status_code == 200, r.text
    assert "languages" in r.text and "metadata" in r.text
    assert kitchen["organization"]["name"] == "Example Neighbourhood Trust"
    sal = kitchen["service_at_locations"][0]
    assert sal["location"]["addresses"][0]["city"] == "Exampleton"
    assert sal["location"]["accessibility"][0]["details"] == "Hearing loop at the front desk."
    assert kitchen["attributes"][0]["taxonomy_term"]["taxonomy_detail"]["version"] == "1.0"
    assert kitchen["last_modified"] == example[0]["last_modified"]  # as given, 3 digits
    assert {p["number"] for p in kitchen["contacts"][0]["phones"]} == {"+1 555 0101"}
    assert "Community Kitchen" in page.text


# ------------------------------------------------------------------ the read API


def test_the_api_pages_as_the_hsds_reference_says_and_filters_by_modification(
    any_env: Env,
) -> None:
    env = seeded(any_env)
    with tenant_client(env, "usuki") as u:
        assert login(u, "caseworker").status_code == 302
        # given the number of usuki's services and a time after which two are added
        total = in_tenant(env, "usuki", lambda s: _count(s))
        since = utcnow()
        new = {make_service(env, "usuki"), make_service(env, "usuki")}
        # when the list is read one page at a time
        first = u.get("/api/hsds/services", params={"page": 1, "per_page": 10}).json()
        everything = all_api(u, "/api/hsds/services")
        past_end = u.get("/api/hsds/services", params={"page": 999, "per_page": 10}).json()
        recent = all_api(u, "/api/hsds/services", modified_after=since.isoformat())
        bad = u.get("/api/hsds/services", params={"modified_after": "yesterday"})
        orgs = all_api(u, "/api/hsds/organizations")
        sals = all_api(u, "/api/hsds/service_at_locations")
        taxonomies = u.get("/api/hsds/taxonomies").json()
    # then the header has every field of the HSDS page, and the pages cover the list once
    assert first["total_items"] == total + 2 and first["size"] == 10
    assert first["total_pages"] == -(-(total + 2) // 10)
    assert (first["page_number"], first["first_page"], first["last_page"], first["empty"]) == (
        1,
        True,
        False,
        False,
    )
    assert len(everything) == len({s["id"] for s in everything}) == total + 2
    assert past_end["empty"] and past_end["size"] == 0 and past_end["last_page"]
    # and modified_after keeps only the services modified since
    assert {uuid.UUID(s["id"]) for s in recent} == new
    assert bad.status_code == 400
    assert orgs and all("services" in o for o in orgs)
    assert sals and all(s["location"] for s in sals)
    assert taxonomies["total_items"] == 1
    assert taxonomies["contents"][0]["name"] == "かさね 社会資源分類（デモ）"


def test_anonymous_callers_see_only_public_entries(any_env: Env) -> None:
    env = seeded(any_env)
    private = make_service(env, "usuki", public=False)
    public = make_service(env, "usuki", public=True)

    async def public_ids(s: Any) -> set[str]:
        rows = await s.execute(select(Service.id).where(Service.public.is_(True)))
        return {str(i) for i in rows.scalars()}

    expected = in_tenant(env, "usuki", public_ids)
    with tenant_client(env, "usuki") as anon:
        services = all_api(anon, "/api/hsds/services")
        one_private = anon.get(f"/api/hsds/services/{private}")
        one_public = anon.get(f"/api/hsds/services/{public}")
        orgs = all_api(anon, "/api/hsds/organizations")
        staff_page = anon.get("/registry", follow_redirects=False)
        info = anon.get("/api/hsds/").json()
        schema = anon.get("/schema/openapi.json").json()
    assert {s["id"] for s in services} == expected and all(s["x_public"] for s in services)
    assert one_private.status_code == 404 and one_public.status_code == 200
    assert all(all(s["x_public"] for s in o["services"]) for o in orgs)
    assert staff_page.status_code == 302
    assert info["version"] == "3.0"
    documented = schema["paths"]
    for path in (
        "/api/hsds/services",
        "/api/hsds/services/{service_id}",
        "/api/hsds/organizations",
        "/api/hsds/service_at_locations",
        "/api/hsds/taxonomies",
    ):
        assert path in documented, path
    params = {p["name"] for p in documented["/api/hsds/services"]["get"]["parameters"]}
    assert {"page", "per_page", "modified_after"} <= params


# ------------------------------------------------------------------ freshness


def test_a_contacts_correction_waits_for_approval_and_approval_applies_it(any_env: Env) -> None:
    env = seeded(any_env)
    sid = make_service(
        env, "usuki", name="確認前の名前", phone="000-1111-2222", reviewed_on=date(2020, 4, 1)
    )
    with tenant_client(env, "usuki") as staff:
        assert login(staff, "caseworker").status_code == 302
        token = csrf_of(staff.get(f"/registry/services/{sid}").text)
        # given staff make a confirmation link
        made = staff.post(f"/registry/services/{sid}/confirm-link", data={"_csrf_token": token})
        link = re.search(r'value="(http[^"]+/registry/confirm/[^"]+)"', made.text)
        assert made.status_code == 200 and link
        path = "/registry/confirm/" + link.group(1).rsplit("/", 1)[1]
        # (the due list shows the entry, last reviewed in 2020)
        assert "確認前の名前" in staff.get("/registry/review-due").text
    with tenant_client(env, "usuki") as contact:
        # when the contact, without an account, opens it and sends a correction
        page = contact.get(path)
        tampered = contact.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
        sent = contact.post(
            path,
            data={
                "_csrf_token": csrf_of(page.text),
                "action": "correct",
                "name": "確認後の名前",
                "phone": "000-3333-4444",
                "message": "電話番号が変わりました",
            },
        )
    # then the correction waits, and the entry is unchanged
    assert page.status_code == 200 and "確認前の名前" in page.text
    assert tampered.status_code == 404
    assert sent.status_code == 200
    unchanged = in_tenant(env, "usuki", lambda s: get_service(s, sid))
    assert unchanged.name == "確認前の名前"
    change_id = in_tenant(env, "usuki", lambda s: _pending_id(s, sid))
    with tenant_client(env, "usuki") as staff:
        assert login(staff, "caseworker").status_code == 302
        shown = staff.get(f"/registry/services/{sid}")
        assert "確認後の名前" in shown.text and "電話番号が変わりました" in shown.text
        # when staff approve it
        r = staff.post(
            f"/registry/changes/{change_id}",
            data={"decision": "approve", "_csrf_token": csrf_of(shown.text)},
        )
        again = staff.post(
            f"/registry/changes/{change_id}",
            data={"decision": "reject", "_csrf_token": csrf_of(shown.text)},
        )
    # then it is applied, the entry counts as reviewed today, and all of it is audited
    assert r.status_code == 200 and again.status_code == 200
    service = in_tenant(env, "usuki", lambda s: get_service(s, sid))
    assert service.name == "確認後の名前"
    assert service.reviewed_on is not None and service.reviewed_on >= date.today() - timedelta(
        days=1
    )
    assert in_tenant(env, "usuki", lambda s: _phone_numbers(s, sid)) == ["000-3333-4444"]
    for action in ("registry.link.create", "registry.change.submit", "registry.change.approve"):
        assert in_tenant(env, "usuki", lambda s, a=action: count_events(s, a)) >= 1
    assert in_tenant(env, "usuki", lambda s: _status(s, change_id)) == "approved"


async def _pending_id(s: Any, service_id: uuid.UUID) -> uuid.UUID:
    rows = await s.execute(
        select(PendingChange.id).where(
            PendingChange.service_id == service_id, PendingChange.status == "pending"
        )
    )
    return rows.scalar_one()


async def _status(s: Any, change_id: uuid.UUID) -> str:
    return (
        await s.execute(select(PendingChange.status).where(PendingChange.id == change_id))
    ).scalar_one()


async def _phone_numbers(s: Any, service_id: uuid.UUID) -> list[str]:
    from kasane.core.registry.models import Phone

    return list(
        (await s.execute(select(Phone.number).where(Phone.service_id == service_id))).scalars()
    )


def test_confirming_without_changes_only_marks_the_entry_reviewed_after_approval(
    sqlite_env: Env,
) -> None:
    env = seeded(sqlite_env)
    sid = make_service(env, "usuki", name="変わらない居場所", reviewed_on=date(2020, 4, 1))
    token = make_link_token(env.settings.secret_key, env.tenant_id("usuki"), sid)
    with tenant_client(env, "usuki") as contact:
        page = contact.get(f"/registry/confirm/{token}")
        contact.post(
            f"/registry/confirm/{token}",
            data={"_csrf_token": csrf_of(page.text), "action": "confirm"},
        )
    assert in_tenant(env, "usuki", lambda s: get_service(s, sid)).reviewed_on == date(2020, 4, 1)
    change_id = in_tenant(env, "usuki", lambda s: _pending_id(s, sid))
    with tenant_client(env, "usuki") as staff:
        assert login(staff, "caseworker").status_code == 302
        shown = staff.get(f"/registry/services/{sid}")
        staff.post(
            f"/registry/changes/{change_id}",
            data={"decision": "approve", "_csrf_token": csrf_of(shown.text)},
        )
    service = in_tenant(env, "usuki", lambda s: get_service(s, sid))
    assert service.name == "変わらない居場所" and service.reviewed_on != date(2020, 4, 1)


def test_a_link_carries_one_submission_and_a_flood_is_refused(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    sid = make_service(env, "marugame", name="一度だけの居場所")
    token = make_link_token(env.settings.secret_key, env.tenant_id("marugame"), sid)
    url = f"/registry/confirm/{token}"
    with tenant_client(env, "marugame") as contact:
        page = contact.get(url)
        first = contact.post(url, data={"_csrf_token": csrf_of(page.text), "action": "confirm"})
        # when the same link is submitted again (a replay, or an attacker who has it)
        again = contact.post(
            url,
            data={"_csrf_token": csrf_of(page.text), "action": "correct", "name": "書き換え"},
        )
        reopened = contact.get(url)
    # then only the first submission waits for review, and the link says it was used
    assert first.status_code == 200 and again.status_code == 410 and reopened.status_code == 410
    pending = in_tenant(env, "marugame", lambda s: pending_changes(s, sid))
    assert len(pending) == 1 and "書き換え" not in pending[0].changes
    # when one client sends through many fresh links, it is stopped after the allowance
    statuses = []
    with tenant_client(env, "marugame") as flood:
        for i in range(SUBMITS_PER_WINDOW + 2):
            other = make_service(env, "marugame", name=f"洪水 {i}")
            link = make_link_token(env.settings.secret_key, env.tenant_id("marugame"), other)
            form = flood.get(f"/registry/confirm/{link}")
            r = flood.post(
                f"/registry/confirm/{link}",
                data={"_csrf_token": csrf_of(form.text), "action": "confirm"},
                follow_redirects=False,
            )
            statuses.append(r.status_code)
    assert statuses == [303] * SUBMITS_PER_WINDOW + [429, 429]


def test_links_expire_after_14_days_and_bind_tenant_and_service(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    sid = make_service(env, "usuki")
    usuki, marugame = env.tenant_id("usuki"), env.tenant_id("marugame")
    secret = env.settings.secret_key
    old = make_link_token(secret, usuki, sid, now=utcnow() - timedelta(days=15))
    fresh = make_link_token(secret, usuki, sid, now=utcnow() - timedelta(days=13))
    assert read_link_token(secret, usuki, fresh) == sid
    with pytest.raises(ExpiredLink):
        read_link_token(secret, usuki, old)
    with pytest.raises(BadLink):
        read_link_token(secret, marugame, fresh)
    with pytest.raises(BadLink):
        read_link_token("another-secret", usuki, fresh)
    with tenant_client(env, "usuki") as c:
        expired = c.get(f"/registry/confirm/{old}")
    with tenant_client(env, "marugame") as m:
        elsewhere = m.get(f"/registry/confirm/{fresh}")
    assert expired.status_code == 400
    assert elsewhere.status_code == 404


# ------------------------------------------------------------------ staff pages


def test_staff_add_and_edit_a_service_through_the_form(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    with tenant_client(env, "usuki") as u:
        assert login(u, "caseworker").status_code == 302
        form = u.get("/registry/services/new")
        token = csrf_of(form.text)
        refused = u.post(
            "/registry/services",
            data={"_csrf_token": token, "name": "", "status": "active", "organization_id": "new"},
        )
        created = u.post(
            "/registry/services",
            data={
                "_csrf_token": token,
                "name": "ひなたぼっこの家",
                "name_kana": "ヒナタボッコノイエ",
                "status": "active",
                "organization_id": "new",
                "organization_name": "ひなた会（架空）",
                "area_key": "nozu",
                "days": ["TU", "FR"],
                "opens_at": "10:00",
                "closes_at": "15:00",
                "postal_code": "875-0201",
                "state_province": "大分県",
                "city": "臼杵市",
                "address_1": "野津町1-1",
                "phone": "000-0000-0001",
                "public": "on",
            },
        )
        sid = created.url.path.rsplit("/", 1)[1]
        edit = u.get(f"/registry/services/{sid}/edit")
        values = {
            "_csrf_token": token,
            "name": "ひなたぼっこの家（改）",
            "status": "temporarily closed",
            "organization_id": re.search(
                r'<option value="([0-9a-f-]{36})" selected', edit.text
            ).group(1),
            "area_key": "nozu",
        }
        updated = u.post(f"/registry/services/{sid}", data=values)
    assert form.status_code == 200 and refused.status_code == 422
    assert created.status_code == 200 and "ひなたぼっこの家" in created.text
    assert "Every week" in created.text or "毎週" in created.text
    assert updated.status_code == 200 and "ひなたぼっこの家（改）" in updated.text
    assert in_tenant(env, "usuki", lambda s: count_events(s, "registry.service.update")) >= 1


def test_search_finds_kanji_and_kana_by_area_category_and_open_now(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    code = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[datetime.now(JST).weekday()]

    async def ibasho(s: Any) -> uuid.UUID:
        from kasane.core.registry.models import TaxonomyTerm

        return (
            await s.execute(select(TaxonomyTerm.id).where(TaxonomyTerm.code == "ibasho"))
        ).scalar_one()

    term = in_tenant(env, "usuki", ibasho)
    tag = uuid.uuid4().hex[:4]
    make_service(
        env,
        "usuki",
        name=f"髙橋さんち食堂{tag}",
        name_kana="タカハシサンチショクドウ",
        area_key="tano",
        term_ids=[term],
        days=[code],
        opens_at="00:00",
        closes_at="24:00",
    )
    with tenant_client(env, "usuki") as u:
        assert login(u, "caseworker").status_code == 302

        def hits(**params: str) -> str:
            return u.get("/registry", params=params, headers={"HX-Request": "true"}).text

        kanji = hits(q=f"高橋さんち食堂{tag}")  # 髙 folded to 高
        kana = hits(q="たかはしさんち")
        half = hits(q="ﾀｶﾊｼｻﾝﾁ")
        area_parent = hits(q="たかはしさんち", area="nozu")  # 田野 is inside 野津地域
        other_area = hits(q="たかはしさんち", area="chuo")
        category = hits(q="たかはしさんち", category=str(term))
        open_now = hits(q="たかはしさんち", open_now="1")
    name = f"髙橋さんち食堂{tag}"
    assert all(name in page for page in (kanji, kana, half, area_parent, category, open_now))
    assert name not in other_area
    assert 'id="registry-results"' in kanji and "<html" not in kanji


# ------------------------------------------------------------------ schedules and demo


class _S:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(
            dict.fromkeys(
                (
                    "count",
                    "byweekno",
                    "byyearday",
                    "valid_from",
                    "valid_to",
                    "dtstart",
                    "until",
                    "interval",
                    "byday",
                    "freq",
                    "bymonthday",
                    "opens_at",
                    "closes_at",
                ),
                None,
            )
        )
        self.__dict__.update(kw)


def test_schedules_follow_the_rrule_parts() -> None:
    second_tuesday = _S(freq="MONTHLY", byday="2TU", opens_at="13:30", closes_at="15:30")
    last_friday = _S(freq="MONTHLY", byday="-1FR")
    fortnightly = _S(freq="WEEKLY", interval=2, byday="SA", dtstart=date(2026, 1, 3))
    assert occurs_on(second_tuesday, date(2026, 4, 14)) and not occurs_on(
        second_tuesday, date(2026, 4, 7)
    )
    assert occurs_on(last_friday, date(2026, 4, 24)) and not occurs_on(
        last_friday, date(2026, 4, 17)
    )
    assert occurs_on(fortnightly, date(2026, 1, 17)) and not occurs_on(
        fortnightly, date(2026, 1, 10)
    )
    jst_1400 = datetime(2026, 4, 14, 5, 0, tzinfo=UTC)  # 14:00 in Japan
    assert is_open([second_tuesday], jst_1400)
    assert not is_open([second_tuesday], jst_1400 + timedelta(hours=2))
    assert "13:30–15:30" in describe(second_tuesday)
    utc_hours = _S(freq="WEEKLY", byday="TU", opens_at="04:00Z", closes_at="06:00Z")
    assert is_open([utc_hours], jst_1400)


def test_the_demo_registry_is_realistic_and_idempotent(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)

    async def again(db: Database) -> list[str]:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, "marugame")
        assert tenant is not None
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        return await seed_registry(db, tenant, config)

    assert env.run(again) == []

    async def demo(s: Any) -> tuple[int, int, set[str | None]]:
        rows = list(
            (await s.execute(select(Service).where(Service.name.like("%（架空）%")))).scalars()
        )
        return len(rows), sum(r.public for r in rows), {r.area_key for r in rows}

    count, public, areas = in_tenant(env, "marugame", demo)
    assert count >= 20 and 0 < public < count
    assert {"higashi", "nishi", "islands"} <= areas
    assert in_tenant(env, "usuki", demo)[0] >= 36


def test_a_script_url_from_imported_data_is_shown_as_text_never_as_a_link(
    sqlite_env: Env,
) -> None:
    env = seeded(sqlite_env)
    sid = make_service(env, "usuki", name="怪しいリンク", url="javascript:alert(document.domain)")
    safe = make_service(env, "usuki", name="普通のリンク", url="https://example.jp/ibasho")
    with tenant_client(env, "usuki") as c:
        assert login(c, "caseworker").status_code == 302
        page = c.get(f"/registry/services/{sid}")
        ok = c.get(f"/registry/services/{safe}")
    assert page.status_code == 200 and "javascript:alert(document.domain)" in page.text
    assert 'href="javascript:' not in page.text
    assert 'href="https://example.jp/ibasho"' in ok.text
