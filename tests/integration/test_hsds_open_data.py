"""Issue 17: open data other systems accept, checked with Open Referral's own artefacts
(``tests/data/hsds/README.md`` names their source, commit and licence).

1. The export validates against the official compiled schemas of HSDS 3.0: absent is absent.
2. Open Referral's example files, and a generated service with every field filled, go
   import → API → export → import → API and come back field for field (what Kasane has no
   column for is kept verbatim; timestamps keep their precision).
3. An import is previewed, committed as one batch and undone (audited); a record already in
   the registry is matched by id and offered as an update.
4. The anonymous read API answers with ``Access-Control-Allow-Origin: *``; staff answers do
   not; the profile URL is served by the instance.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select, update

from kasane.core.audit.services import count_events
from kasane.core.db import Database
from kasane.core.db.claims import compare_and_set
from kasane.core.protection.mynumber import find_mynumber
from kasane.core.registry.hsds import SPECS
from kasane.core.registry.hsds_import import import_dataset
from kasane.core.registry.hsds_records import ImportReport
from kasane.core.registry.models import ImportBatch, Service
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_hsds_interop import add_supervisor
from tests.integration.test_registry import in_tenant, new_tenant, seeded

DATA = Path(__file__).parents[1] / "data" / "hsds"
BUNDLE = json.loads((DATA / "service_with_definitions.json").read_text())
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:hsds:3.0", Resource.from_contents(BUNDLE, default_specification=DRAFT202012)
)
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
ORG_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
LOOSE = {  # a dataset's top-level arrays of records placed nowhere else → their definition
    "locations": "location",
    "contacts": "contact",
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "attributes": "attribute",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}


def example(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def schema_errors(record: Any, definition: str = "") -> list[str]:
    """What the official compiled schema finds wrong with ``record`` (a service when
    ``definition`` is empty, else ``#/definitions/<definition>``)."""
    pointer = f"/definitions/{definition}" if definition else ""
    validator = Draft202012Validator(
        {"$ref": f"urn:hsds:3.0#{pointer}"},
        registry=_REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [
        "/".join(map(str, e.absolute_path)) + ": " + e.message
        for e in validator.iter_errors(record)
    ]


def export_errors(dataset: dict[str, Any]) -> list[str]:
    """Every record of an export checked against the official schemas."""
    found = []
    for org in dataset["organizations"]:
        services = org.get("services", [])
        rest = {k: v for k, v in org.items() if k != "services"}
        found += [f"organization {org['id']} {e}" for e in schema_errors(rest, "organization")]
        for service in services:
            found += [f"service {service['id']} {e}" for e in schema_errors(service)]
    for key, definition in LOOSE.items():
        for record in dataset.get(key, []):
            found += [f"{definition} {record['id']} {e}" for e in schema_errors(record, definition)]
    return found


def test_the_validator_is_not_vacuous() -> None:
    # the faults the issue found in the old export: null for unset fields
    assert schema_errors(
        {"id": SERVICE_ID, "name": "x", "status": "active", "alternate_name": None}
    )
    schedule = {"id": str(uuid.uuid4()), "wkst": None}
    assert schema_errors(schedule, "schedule")
    assert not schema_errors(example("service_full.json"))
    assert not schema_errors(example("organization_full.json"), "organization")


def download_export(client: Any) -> dict[str, Any]:
    r = client.get("/registry/export.json")
    assert r.status_code == 200, r.text
    return r.json()


def test_the_demo_export_validates_against_the_official_schemas(any_env: Env) -> None:
    env = seeded(any_env)
    for slug in ("usuki", "marugame"):
        with tenant_client(env, slug) as c:
            assert login(c, "registry").status_code == 302
            dataset = download_export(c)
            profile = c.get(dataset["profile"].split(".test", 1)[-1])
        # then every organization, service, taxonomy and term is valid HSDS 3.0
        assert len(dataset["organizations"]) >= 10
        assert export_errors(dataset) == [], slug
        # and the profile it names is served, describing the Japanese profile
        assert profile.status_code == 200
        assert "x_area_key" in profile.json()["fields"]["service"]


# ------------------------------------------------------------------ round trip


def by_id(value: Any, out: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every object with an ``id`` in ``value`` → its fields that are not records
    (merged over the places it appears)."""
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            own = out.setdefault(value["id"], {})
            for k, v in value.items():
                if not _is_records(v):
                    own[k] = v
        for v in value.values():
            by_id(v, out)
    elif isinstance(value, list):
        for v in value:
            by_id(v, out)
    return out


def _is_records(v: Any) -> bool:
    if isinstance(v, dict):
        return "id" in v
    return isinstance(v, list) and bool(v) and all(isinstance(i, dict) and "id" in i for i in v)


def lost(given: Any, served: Any) -> list[tuple[str, str, Any, Any]]:
    """(id, field, given, served) for each given field that did not come back as given."""
    have = by_id(served, {})
    out = []
    for rid, fields in by_id(given, {}).items():
        for k, v in fields.items():
            if v is not None and have.get(rid, {}).get(k) != v:
                out.append((rid, k, v, have.get(rid, {}).get(k)))
    return out


def import_into(env: Env, slug: str, data: Any, **kw: Any) -> ImportReport:
    async def go(s: Any) -> ImportReport:
        return await import_dataset(s, data, actor="system", area_keys=kw.pop("areas", set()), **kw)

    return in_tenant(env, slug, go)


def staff_get(env: Env, slug: str, *urls: str) -> list[Any]:
    with tenant_client(env, slug) as c:
        assert login(c, "caseworker").status_code == 302
        out = []
        for url in urls:
            r = c.get(url)
            assert r.status_code == 200, (url, r.text)
            out.append(r.json())
        return out


def export_of(env: Env, slug: str) -> dict[str, Any]:
    add_supervisor(env, slug)
    with tenant_client(env, slug) as c:
        assert login(c, "supervisor").status_code == 302
        return download_export(c)


def test_open_referrals_examples_come_back_field_for_field(any_env: Env) -> None:
    env = seeded(any_env)
    service, organization = example("service_full.json"), example("organization_full.json")
    org_service = organization["services"][0]["id"]
    # given the two examples imported into a new town
    slug, _ = new_tenant(env)
    for data in (service, organization):
        report = import_into(env, slug, data)
        assert report.imported, report.problems
    # when the API serves them
    served_service, served_org, served_other = staff_get(
        env,
        slug,
        f"/api/hsds/services/{SERVICE_ID}",
        f"/api/hsds/organizations/{organization['id']}?full_service=true",
        f"/api/hsds/services/{org_service}",
    )
    # then every field comes back as given: wait_time, fees, licenses, languages, funding,
    # cost_options, program, required_documents, metadata, tax_status, programs,
    # organization_identifiers, a term's parent_id, last_modified with three digits …
    assert lost(service, served_service) == []
    assert lost({k: v for k, v in organization.items() if k != "services"}, served_org) == []
    assert lost(organization["services"], served_other) == []
    assert served_service["last_modified"] == service["last_modified"]
    assert served_service["languages"] == service["languages"]
    assert served_org["organization_identifiers"] == organization["organization_identifiers"]
    # and the API's answers are still valid HSDS
    assert schema_errors(served_service) == []
    # and the export, imported into another new town, serves the same again
    dataset = export_of(env, slug)
    assert export_errors(dataset) == []
    again, _ = new_tenant(env)
    report = import_into(env, again, dataset)
    assert report.imported, report.problems
    (served_again,) = staff_get(env, again, f"/api/hsds/services/{SERVICE_ID}")
    assert lost(service, served_again) == []


# A generated service with every field Kasane holds, and some it does not, filled.
TEXT = st.text(alphabet="あいうえおカキクケコ社協食堂abcXYZ -", min_size=1, max_size=12)
# ids whose digits happen to read as a My Number are refused like any such text
UUIDS = st.uuids(version=4).map(str).filter(lambda u: not find_mynumber(u))


@st.composite
def value_for(draw: Any, kind: str, choices: tuple[str, ...]) -> Any:
    match kind:
        case "str":
            return draw(TEXT)
        case "email":
            return f"{draw(st.sampled_from(['info', 'soudan']))}@example.jp"
        case "uri":
            return "https://example.jp/" + draw(st.sampled_from(["a", "b/c", "x?y=1"]))
        case "int":
            return draw(st.integers(0, 120))
        case "num":
            return draw(st.floats(-90, 90, allow_nan=False).map(lambda f: round(f, 4)))
        case "date":
            return draw(st.dates()).isoformat()
        case "datetime":
            moment = draw(st.datetimes(timezones=st.just(__import__("datetime").UTC)))
            spec = draw(st.sampled_from(["seconds", "milliseconds", "microseconds"]))
            text = moment.isoformat(timespec=spec)
            return text.replace("+00:00", draw(st.sampled_from(["Z", "+00:00"])))
        case "bool":
            return draw(st.booleans())
        case "time":
            return draw(st.sampled_from(["09:00", "17:30:00", "08:15+09:00"]))
        case "code":
            return "372021"
        case "area":
            return "north"
        case "intlist":
            return draw(st.sampled_from(["1", "1,15", "-1"]))
        case "byday":
            return draw(st.sampled_from(["MO", "TU,TH", "2WE"]))
        case "enum":
            return draw(st.sampled_from(choices))
    raise AssertionError(kind)


@st.composite
def filled(draw: Any, type_: str, **links: str) -> dict[str, Any]:
    """One record of ``type_`` with every field a value (links as given)."""
    out: dict[str, Any] = {"id": draw(UUIDS)}
    for f in SPECS[type_].fields:
        if f.ref or f.name in ("link_id", "parent_organization_id"):
            continue
        value = draw(value_for(f.kind, f.choices))
        limit = getattr(SPECS[type_].model.__table__.c[f.col].type, "length", None)
        out[f.name] = value[:limit] if limit and isinstance(value, str) else value
    out.update(links)
    return out


@st.composite
def full_service(draw: Any) -> dict[str, Any]:
    taxonomy = draw(filled("taxonomy"))
    term = draw(filled("taxonomy_term", taxonomy_id=taxonomy["id"]))
    term["taxonomy_detail"] = taxonomy
    service = draw(filled("service"))
    service["organization"] = draw(filled("organization"))
    service["organization_id"] = service["organization"]["id"]
    location = draw(filled("location"))
    location["addresses"] = [draw(filled("address"))]
    location["accessibility"] = [draw(filled("accessibility"))]
    location["phones"] = [draw(filled("phone"))]
    location["schedules"] = [draw(filled("schedule"))]
    sal = draw(filled("service_at_location"))
    sal["location"] = location
    sal["contacts"] = [draw(filled("contact"))]
    sal["contacts"][0]["phones"] = [draw(filled("phone"))]
    service["service_at_locations"] = [sal]
    service["schedules"] = [draw(filled("schedule"))]
    service["service_areas"] = [draw(filled("service_area"))]
    service["phones"] = [draw(filled("phone"))]
    service["attributes"] = [draw(filled("attribute", taxonomy_term_id=term["id"]))]
    service["attributes"][0]["taxonomy_term"] = term
    # fields Kasane has no column for: kept verbatim
    service["wait_time"] = draw(TEXT)
    service["languages"] = [{"id": draw(UUIDS), "name": "日本語", "code": "ja"}]
    service["funding"] = [{"id": draw(UUIDS), "source": draw(TEXT)}]
    service["x_other_system"] = {"nested": [1, "two", None]}
    location["languages"] = [{"id": draw(UUIDS), "name": "English", "code": "en"}]
    return service


def test_a_generated_service_with_every_field_filled_comes_back(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    slug, _ = new_tenant(env)  # usuki's plugin: the area "north" is one of its keys
    add_supervisor(env, slug)  # the export is the registry editor's

    with tenant_client(env, slug) as supervisor:
        assert login(supervisor, "supervisor").status_code == 302

        @settings(
            max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(service=full_service())
        def trip(service: dict[str, Any]) -> None:
            report = import_into(env, slug, service, areas={"north"})
            assert report.imported, report.problems
            # the API serves it field for field …
            (served,) = staff_get(env, slug, f"/api/hsds/services/{service['id']}")
            assert lost(service, served) == []
            # … and so does the export (lost() fails on a service it does not find there),
            # which stays valid HSDS
            dataset = download_export(supervisor)
            assert lost(service, dataset) == []
            assert export_errors(dataset) == []

        trip()


# ------------------------------------------------------------------ preview, commit, undo


def _upload(c: Any, data: Any, **form: str) -> Any:
    token = csrf_of(c.get("/registry/import").text)
    body = json.dumps(data, ensure_ascii=False).encode()
    return c.post(
        "/registry/import",
        follow_redirects=False,
        data={"_csrf_token": token, **form},
        files={"file": ("towns.json", body, "application/json")},
    )


def edit_service(env: Env, slug: str, name: str) -> None:
    async def go(s: Any) -> None:
        row = (
            await s.execute(select(Service).where(Service.id == uuid.UUID(SERVICE_ID)))
        ).scalar_one()
        row.name = name

    in_tenant(env, slug, go)


def test_an_import_is_previewed_committed_as_one_batch_and_undone(any_env: Env) -> None:
    env = seeded(any_env)
    slug, _ = new_tenant(env)
    add_supervisor(env, slug)
    service = example("service_full.json")
    with tenant_client(env, slug) as c:
        assert login(c, "supervisor").status_code == 302
        before = download_export(c)
        # when the example is uploaded, it is previewed, not imported
        preview = _upload(c, service)
        assert preview.status_code == 303, preview.text
        page = c.get(preview.headers["location"])
        assert "wait_time" in page.text and "languages" in page.text  # kept as given
        assert c.get(f"/api/hsds/services/{SERVICE_ID}").status_code == 404
        # and committed as one batch
        batch_url = preview.headers["location"]
        token = csrf_of(page.text)
        done = c.post(f"{batch_url}/commit", data={"_csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303
        assert c.get(f"/api/hsds/services/{SERVICE_ID}").status_code == 200
        # when the same file comes again, its records are offered as updates
        changed = {**service, "name": "Renamed service"}
        second = _upload(c, changed)
        second_page = c.get(second.headers["location"])
        assert 'data-action="update">1<' in second_page.text.replace(" ", "")
        c.post(
            f"{second.headers['location']}/commit",
            data={"_csrf_token": csrf_of(second_page.text), "updates": "on"},
        )
        assert c.get(f"/api/hsds/services/{SERVICE_ID}").json()["name"] == "Renamed service"
        # the first batch is no longer the latest: it cannot be undone
        refused = c.post(f"{batch_url}/undo", data={"_csrf_token": token})
        assert refused.status_code == 409
        # and while a record it wrote has been edited since, the latest cannot either
        edit_service(env, slug, "Edited after the import")
        edited = c.post(f"{second.headers['location']}/undo", data={"_csrf_token": token})
        assert edited.status_code == 409 and "undo-refused" in edited.text
        edit_service(env, slug, "Renamed service")
        # undo the update, then the first import
        c.post(f"{second.headers['location']}/undo", data={"_csrf_token": token})
        assert c.get(f"/api/hsds/services/{SERVICE_ID}").json()["name"] == service["name"]
        undone = c.post(f"{batch_url}/undo", data={"_csrf_token": token})
        assert undone.status_code == 200 and "import-undo" not in undone.text
        after = download_export(c)
        # then the registry is as before
        assert c.get(f"/api/hsds/services/{SERVICE_ID}").status_code == 404
    strip = lambda d: {k: v for k, v in d.items() if k != "profile"}  # noqa: E731
    assert strip(after) == strip(before)
    # and each step is audited
    for action, n in (("registry.import", 2), ("registry.import.undo", 2)):
        assert in_tenant(env, slug, lambda s, a=action: count_events(s, a)) == n
    assert in_tenant(env, slug, lambda s: count_events(s, "registry.import.preview")) == 2
    # and the other towns never saw the batch
    with tenant_client(env, "marugame") as m:
        assert login(m, "caseworker").status_code == 302
        assert m.get(batch_url).status_code == 404


def test_a_preview_is_committed_or_discarded_once_however_often_it_is_sent(
    any_env: Env,
) -> None:
    """Committing and discarding consume the preview in one compare-and-set: a request that
    had read the batch as 'preview' too is told it is gone instead of importing again."""
    env = seeded(any_env)
    slug, _ = new_tenant(env)
    add_supervisor(env, slug)
    service = example("service_full.json")
    with tenant_client(env, slug) as c:
        assert login(c, "supervisor").status_code == 302
        # given a preview committed once …
        batch_url = _upload(c, service).headers["location"]
        token = csrf_of(c.get(batch_url).text)
        first = c.post(f"{batch_url}/commit", data={"_csrf_token": token}, follow_redirects=False)
        # when it is sent again, then it is refused and nothing is imported twice
        again = c.post(f"{batch_url}/commit", data={"_csrf_token": token}, follow_redirects=False)
        assert (first.status_code, again.status_code) == (303, 409)
        # and a preview discarded twice is discarded (and audited) once
        other = _upload(c, {**service, "id": str(uuid.uuid4())}).headers["location"]
        for _ in range(2):
            gone = c.post(f"{other}/discard", data={"_csrf_token": token}, follow_redirects=False)
            assert gone.status_code == 303
        assert c.post(f"{other}/commit", data={"_csrf_token": token}).status_code == 409
    assert in_tenant(env, slug, lambda s: count_events(s, "registry.import")) == 1
    assert in_tenant(env, slug, lambda s: count_events(s, "registry.import.discard")) == 1

    # and of two requests that both read the preview, only one takes it
    batch_id = uuid.UUID(other.rstrip("/").rsplit("/", 1)[1])
    tenant_id = env.tenant_id(slug)

    async def race(db: Database) -> tuple[bool, bool]:
        async with db.session(tenant_id) as s:
            await s.execute(
                update(ImportBatch).where(ImportBatch.id == batch_id).values(status="preview")
            )
        async with db.session(tenant_id) as one, db.session(tenant_id) as two:
            for s in (one, two):
                seen = select(ImportBatch.status).where(ImportBatch.id == batch_id)
                assert (await s.execute(seen)).scalar_one() == "preview"
            won = await compare_and_set(one, ImportBatch, batch_id, "preview", "committed")
            await one.commit()
            lost = await compare_and_set(two, ImportBatch, batch_id, "preview", "committed")
            return won, lost

    assert env.run(race) == (True, False)


# ------------------------------------------------------------------ CORS


def test_only_anonymous_api_answers_allow_any_origin(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    with tenant_client(env, "usuki") as anon, tenant_client(env, "usuki") as staff:
        assert login(staff, "caseworker").status_code == 302
        origin = {"Origin": "https://opendata.example.jp"}
        public = anon.get("/api/hsds/services", headers=origin)
        missing = anon.get(f"/api/hsds/services/{uuid.uuid4()}", headers=origin)
        page = anon.get("/login", headers=origin)
        own = staff.get("/api/hsds/services", headers=origin)
    assert public.headers["access-control-allow-origin"] == "*"
    assert missing.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in public.headers
    assert "access-control-allow-origin" not in own.headers
    assert "access-control-allow-origin" not in page.headers
