"""An HSDS export re-imports into an empty tenant with nothing lost (issue 5, item 9).

In the browser: 臼杵市's admin downloads the registry from the export link; the admin of a
new, empty tenant uploads that file on the import page; the new tenant's own export is then
compared with the source record by record.

The empty tenant is created in the live server's database (as ``kasane tenants create``
would) with the usuki plugin: the export's Japanese profile carries usuki's area keys
(``x_area_key``), which an import checks against the tenant's own areas, so only a tenant
with the same areas can take the file unchanged (a town signed up through /signup has the
standard plugin's areas and would be told, per record, that the area is not one of its own).

What may differ between the two exports: nothing. The importer keeps every record's id
(the primary key is (tenant, id), so the same ids live in both tenants), its
``last_modified`` and its municipality code, and the new tenant has the same areas; so
every record is compared whole, no field normalised.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kasane.core.auth.services import do_create_account
from kasane.core.db import Database
from kasane.tenants.models import Tenant
from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.services import do_create_tenant
from tests.e2e.conftest import LiveServer, assert_accessible, log_in_as, run_in_db

pytestmark = pytest.mark.e2e

SLUG = "usuki-import"
PASSWORD = "a-long-enough-password"
# The dataset's top-level lists and, for each record type, its nested lists.
NESTS = {
    "organizations": "organization",
    "services": "service",
    "locations": "location",
    "service_at_locations": "service_at_location",
    "contacts": "contact",
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "attributes": "attribute",
    "addresses": "address",
    "accessibility": "accessibility",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}


async def _empty_usuki_like_tenant(db: Database) -> None:
    """A new active tenant with usuki's plugin, no registry, and an admin account."""
    async with db.session() as s:
        taken = set((await s.execute(select(Tenant.municipality_code))).scalars())
    code = next(
        c
        for c, m in sorted(all_municipalities().items())
        if m.prefecture == "大分県" and c not in taken
    )
    tenant = await do_create_tenant(
        db,
        slug=SLUG,
        name="臼杵市（移行先・試験）",
        municipality_code=code,
        prefecture="大分県",
        plugin="usuki",
        status="active",
        actor="e2e",
    )
    async with db.session(tenant.id) as s:
        await do_create_account(
            s,
            username="admin",
            display_name="移行担当（試験）",
            password=PASSWORD,
            role="admin",
            agency_key="chiikiryoku",
            actor="e2e",
        )


def _records(dataset: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every record of a dataset, nested or not, by (type, id), with its own fields only
    (the nested lists are records of their own)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def walk(type_: str, record: dict[str, Any]) -> None:
        own = {k: v for k, v in record.items() if not (k in NESTS and isinstance(v, list))}
        key = (type_, record["id"])
        assert out.get(key, own) == own, f"{key} appears twice with different fields"
        out[key] = own
        for k, v in record.items():
            if k in NESTS and isinstance(v, list):
                for child in v:
                    walk(NESTS[k], child)

    for key, items in dataset.items():
        if key in NESTS:
            for item in items:
                walk(NESTS[key], item)
    return out


def _download_export(page: Page, base: str, into: Path) -> dict[str, Any]:
    page.goto(f"{base}/registry")
    assert_accessible(page)
    with page.expect_download() as info:
        page.locator('a[href="/registry/export.json"]').click()
    info.value.save_as(into)
    data: dict[str, Any] = json.loads(into.read_text(encoding="utf-8"))
    return data


def test_an_hsds_export_reimports_into_an_empty_tenant_with_nothing_lost(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    run_in_db(live_server, _empty_usuki_like_tenant)
    usuki, target = live_server.url("usuki"), live_server.url(SLUG)
    # given usuki's registry, downloaded from its export link
    log_in_as(page, live_server, "usuki", "admin")
    source = _download_export(page, usuki, tmp_path / "usuki.json")
    records = _records(source)
    kinds = {t for t, _id in records}
    assert {"organization", "service", "location", "schedule", "attribute"} <= kinds
    # and the new tenant's export, empty before the import
    log_in_as(page, live_server, SLUG, "admin", PASSWORD)
    assert _records(_download_export(page, target, tmp_path / "before.json")) == {}
    # when its admin imports the file on the import page (not "check only")
    page.goto(f"{target}/registry/import")
    assert_accessible(page)
    page.locator("#import-file").set_input_files(tmp_path / "usuki.json")
    page.locator("#import-dry-run").uncheck()
    page.locator(".registry-import-form button[type=submit]").click()
    # then the preview shows no problem, and importing it as one batch succeeds
    expect(page.locator("#import-batch h1")).to_have_text("取込のプレビュー")
    expect(page.locator("#import-batch [role=alert]")).to_have_count(0)
    assert_accessible(page)
    page.locator("#import-commit").click()
    expect(page.locator("#import-batch h1")).to_have_text("取り込みました")
    assert_accessible(page)
    # and the new tenant's own export holds every record of the source, field for field
    again = _records(_download_export(page, target, tmp_path / "after.json"))
    missing = sorted(set(records) - set(again))
    extra = sorted(set(again) - set(records))
    changed = [k for k in sorted(records) if k in again and again[k] != records[k]]
    assert not missing and not extra, f"missing {missing[:5]}, extra {extra[:5]}"
    assert not changed, "\n".join(f"{k}: {records[k]} != {again[k]}" for k in changed[:3])
    # and the dataset's own fields are the same (the profile is each town's own URL of it)
    after = json.loads((tmp_path / "after.json").read_text())
    own = {k for k in source if k not in NESTS} - {"profile"}
    assert {k: source[k] for k in own} == {k: after[k] for k in own}
    assert source["profile"].endswith("/api/hsds/profile") and after["profile"].startswith(target)
