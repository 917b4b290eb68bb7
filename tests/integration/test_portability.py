"""Full tenant export → import into a fresh instance → deletion on offboarding (SQLite).

The demo-seeded usuki and marugame of the shared environment are exported once per module
and imported into fresh, empty databases; every tenant table is then compared record by
record. The PostgreSQL variant (``tests/postgres/test_portability_pg.py``) reuses the
helpers here.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Time,
    Uuid,
    func,
    select,
    update,
)

from kasane.core.audit.services import verify_chain
from kasane.core.db import Database, UTCDateTime
from kasane.core.db import tenant_tables as tenant_table_names
from kasane.core.protection import crypto
from kasane.core.protection.sealing import unseal
from kasane.core.registry.models import Service
from kasane.core.registry.sharing import do_share, do_unshare, find_tenant
from kasane.migrations import upgrade
from kasane.models import metadata
from kasane.settings import async_url, load_settings
from kasane.tenants.billing.services import do_billing_sweep
from kasane.tenants.models import Tenant
from kasane.tenants.portability.checks import ImportRefused, check_export, export_directory
from kasane.tenants.portability.codec import decode_value, dumps, encode_value
from kasane.tenants.portability.deletion import LEDGER, do_delete_tenant, do_offboard
from kasane.tenants.portability.export import ExportResult, do_export_tenant
from kasane.tenants.portability.importing import do_import_tenant
from kasane.tenants.portability.layout import KEY_TABLE, sha256_of
from kasane.tenants.services import do_set_status
from tests.conftest import (
    REPO,
    TEST_DOMAIN,
    TEST_MASTER_KEY,
    Env,
    csrf_of,
    login,
    tenant_client,
)

SLUGS = ("usuki", "marugame")
# The tenants row travels without the billing relationship and lifecycle; these differ.
TENANT_ROW_DIFFERS = (
    "stripe_customer_id",
    "stripe_subscription_id",
    "billing_event_at",
    "status",
    "status_changed_at",
    "past_due_since",
    "delete_after",
    "deletion_marked_at",
)


# ------------------------------------------------------------------ helpers (PostgreSQL too)


def fresh_env(path: Path, database_url: str | None = None, admin_url: str | None = None) -> Env:
    """An empty instance migrated to head: SQLite under ``path`` unless URLs are given."""
    path.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{path / 'kasane.db'}"
    settings = load_settings(
        database_url=url,
        migration_database_url=admin_url or url,
        var_dir=path,
        demo=True,
        base_domain=TEST_DOMAIN,
        master_key=TEST_MASTER_KEY,
    )
    upgrade(settings.migration_database_url)
    return Env(settings, "postgres" if settings.is_postgres else "sqlite")


def export_all(env: Env, root: Path) -> dict[str, ExportResult]:
    """Each demo tenant of ``env`` exported into ``root/<slug>``."""
    return {
        slug: env.run(do_export_tenant, env.tenant_id(slug), root / slug, "test") for slug in SLUGS
    }


def import_all(env: Env, exports: dict[str, ExportResult]) -> set[tuple[str, uuid.UUID]]:
    """Import each export in turn; returns the rows left out (shares with a town not yet
    on the instance when its sharer came in)."""
    left_out: set[tuple[str, uuid.UUID]] = set()
    for result in exports.values():
        done = env.run(do_import_tenant, result.directory, result.export_key, status="active")
        left_out.update(done.left_out)
    return left_out


def tenant_rows(url: str, table: Table, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every column of every row of the tenant in ``table``, by primary key."""

    async def go() -> list[dict[str, Any]]:
        db = Database(url)
        try:
            async with db.session(tenant_id) as s:
                stmt = (
                    select(table)
                    .where(table.c.tenant_id == tenant_id)
                    .order_by(*table.primary_key.columns)
                )
                return [dict(r) for r in (await s.execute(stmt)).mappings()]
        finally:
            await db.dispose()

    return asyncio.run(go())


def tenant_row(url: str, tenant_id: uuid.UUID) -> dict[str, Any] | None:
    tenants = metadata.tables["tenants"]

    async def go() -> dict[str, Any] | None:
        db = Database(url)
        try:
            async with db.session() as s:
                found = (
                    (await s.execute(select(tenants).where(tenants.c.id == tenant_id)))
                    .mappings()
                    .first()
                )
                return dict(found) if found else None
        finally:
            await db.dispose()

    return asyncio.run(go())


def counts(url: str, tenant_id: uuid.UUID) -> dict[str, int]:
    """Rows per tenant table for the tenant (run on an admin URL to see past RLS)."""

    async def go() -> dict[str, int]:
        db = Database(url)
        try:
            async with db.session(tenant_id) as s:
                return {
                    t.name: int(
                        (
                            await s.execute(
                                select(func.count())
                                .select_from(t)
                                .where(t.c.tenant_id == tenant_id)
                            )
                        ).scalar_one()
                    )
                    for t in metadata.sorted_tables
                    if "tenant_id" in t.c
                }
        finally:
            await db.dispose()

    return asyncio.run(go())


def assert_same_records(
    source_url: str,
    target_url: str,
    tenant_id: uuid.UUID,
    exported: ExportResult,
    left_out: set[tuple[str, uuid.UUID]] | None = None,
) -> int:
    """Every tenant table equal, all columns, record by record; returns the rows compared.

    The audit log is compared up to the export (the source goes on logging) and the target
    has exactly one more event, its import. The key row differs only in the wrapping.
    """
    compared = 0
    audit_rows = {t["name"]: t["rows"] for t in exported.manifest["tables"]}["audit_events"]
    for table in metadata.sorted_tables:
        if "tenant_id" not in table.c:
            continue
        source = tenant_rows(source_url, table, tenant_id)
        target = tenant_rows(target_url, table, tenant_id)
        source = [r for r in source if (table.name, r.get("id")) not in (left_out or set())]
        if table.name == "audit_events":
            source = [r for r in source if r["seq"] <= audit_rows]
            assert [r["action"] for r in target[len(source) :]] == ["tenant.imported"]
            target = target[: len(source)]
        if table.name == KEY_TABLE:
            for rows in (source, target):
                for r in rows:
                    r["data_key"] = crypto._unwrap(tenant_id, r.pop("wrapped_key"))
        assert len(source) == len(target), table.name
        for s_row, t_row in zip(source, target, strict=True):
            assert s_row == t_row, f"{table.name} {s_row.get('id')}"
        compared += len(source)
    source_tenant, target_tenant = (
        tenant_row(source_url, tenant_id),
        tenant_row(target_url, tenant_id),
    )
    assert source_tenant and target_tenant
    for column in TENANT_ROW_DIFFERS:
        source_tenant.pop(column), target_tenant.pop(column)
    assert source_tenant == target_tenant
    return compared


def a_note(url: str, tenant_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    notes = metadata.tables["progress_notes"]
    row = tenant_rows(url, notes, tenant_id)[0]
    return row["id"], row["body_sealed"]


def open_note(url: str, tenant_id: uuid.UUID, note: uuid.UUID, token: str) -> str:
    async def go() -> str:
        db = Database(url)
        try:
            async with db.session(tenant_id) as s:
                return await unseal(s, "progress_notes", note, "body", token)
        finally:
            await db.dispose()

    return asyncio.run(go())


def chain_ok(url: str, tenant_id: uuid.UUID) -> bool:
    async def go() -> bool:
        db = Database(url)
        try:
            async with db.session(tenant_id) as s:
                return (await verify_chain(s)).ok
        finally:
            await db.dispose()

    return asyncio.run(go())


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def exported(sqlite_env: Env, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ExportResult]:
    return export_all(sqlite_env, tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def target(exported: dict[str, ExportResult], tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A fresh instance into which both towns were imported."""
    env = fresh_env(tmp_path_factory.mktemp("target"))
    LEFT_OUT.update(import_all(env, exported))
    return env


LEFT_OUT: set[tuple[str, uuid.UUID]] = set()  # what importing into ``target`` left out


@pytest.fixture
def empty(tmp_path: Path) -> Env:
    return fresh_env(tmp_path / "empty")


def nothing_in(env: Env) -> None:
    """Nothing imported: no tenant, not one row in any tenant table."""

    async def go(db: Database) -> int:
        async with db.session(all_tenants=True) as s:
            total = 0
            for t in metadata.sorted_tables:
                if t.name == "tenants" or "tenant_id" in t.c:
                    count = select(func.count()).select_from(t)
                    total += int((await s.execute(count)).scalar_one())
            return total

    assert env.run(go) == 0


def copy_export(result: ExportResult, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(result.directory, copy)
    return copy


def refused(env: Env, path: Path, key: str) -> str:
    with pytest.raises(ImportRefused) as caught:
        env.run(do_import_tenant, path, key)
    return str(caught.value)


# ------------------------------------------------------------------ the format


def test_every_tenant_table_is_exported_with_its_checksum_and_row_count(
    sqlite_env: Env, exported: dict[str, ExportResult]
) -> None:
    result = exported["usuki"]
    manifest = json.loads((result.directory / "manifest.json").read_text())
    # every table with a tenant_id is a file (the data key's row travels in key.json)
    listed = {t["name"] for t in manifest["tables"]}
    assert listed | {KEY_TABLE} == set(tenant_table_names(metadata))
    assert (result.directory / "key.json").is_file() and KEY_TABLE not in listed
    assert manifest["format"] == "kasane-tenant-export" and manifest["format_version"] == 1
    assert (
        manifest["tenant"]["slug"] == "usuki"
        and manifest["tenant"]["municipality_code"] == "442062"
    )
    assert manifest["schema_version"]
    usuki = sqlite_env.tenant_id("usuki")
    at_source = counts(sqlite_env.settings.database_url, usuki)
    for entry in manifest["tables"]:
        path = result.directory / entry["file"]
        assert sha256_of(path) == entry["sha256"]
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == entry["rows"]
        assert all(json.loads(line)["tenant_id"] == str(usuki) for line in lines)
        if entry["name"] != "audit_events":  # the source keeps logging after the export
            assert entry["rows"] == at_source[entry["name"]], entry["name"]
    assert manifest["tables"][0]["rows"] > 0 and result.rows > 1000
    # sealed fields are ciphertext, the Stripe references are not in tenant.json
    notes = (result.directory / "tables/progress_notes.jsonl").read_text(encoding="utf-8")
    assert json.loads(notes.splitlines()[0])["body_sealed"].startswith("v1:")
    tenant = json.loads((result.directory / "tenant.json").read_text())
    assert "stripe_customer_id" not in tenant and tenant["slug"] == "usuki"


def test_rows_are_ordered_by_primary_key_and_values_are_lossless() -> None:
    # given every kind of column value a tenant table can hold
    table = Table(
        "sample",
        MetaData(),
        Column("id", Uuid),
        Column("at", UTCDateTime()),
        Column("day", Date),
        Column("clock", Time),
        Column("blob", LargeBinary),
        Column("amount", Numeric(12, 4)),
        Column("ratio", Float),
        Column("big", BigInteger),
        Column("doc", JSON),
    )
    values = {
        "id": uuid.UUID("01a21c3e-d8fc-725f-aafd-36b03fd77735"),
        "at": datetime(2025, 3, 31, 23, 59, 59, 123456, tzinfo=UTC),
        "day": date(1943, 5, 31),
        "clock": time(14, 30, 5),
        "blob": b"\x00\xffkasane",
        "amount": Decimal("1234.5600"),
        "ratio": 33.123456789012345,
        "big": 2**62,
        "doc": {"課題": ["就労", None, 1.5], "ok": True},
    }
    # when each goes through JSON and back
    back = {
        c.name: decode_value(c, json.loads(dumps(encode_value(values[c.name]))))
        for c in table.columns
    }
    # then nothing changed, not even a microsecond or a trailing zero
    assert back == values
    assert str(back["amount"]) == "1234.5600"
    assert encode_value(values["at"]) == "2025-03-31T23:59:59.123456+00:00"


# ------------------------------------------------------------------ import


def test_the_import_matches_the_source_record_by_record(
    sqlite_env: Env, target: Env, exported: dict[str, ExportResult]
) -> None:
    for slug in SLUGS:
        tenant_id = sqlite_env.tenant_id(slug)
        compared = assert_same_records(
            sqlite_env.settings.database_url,
            target.settings.database_url,
            tenant_id,
            exported[slug],
            LEFT_OUT,
        )
        assert compared > 1000, slug
    # only shares with a town that was not yet on the instance are ever left out
    assert {table for table, _ in LEFT_OUT} <= {"resource_shares"}


def test_a_share_with_a_town_not_on_the_instance_is_left_out_and_reported(
    sqlite_env: Env, empty: Env, tmp_path: Path
) -> None:
    # given usuki sharing an entry with marugame, exported
    usuki, marugame = sqlite_env.tenant_id("usuki"), sqlite_env.tenant_id("marugame")

    async def share(db: Database) -> uuid.UUID:
        async with db.session(usuki) as s:
            service = (await s.execute(select(Service).limit(1))).scalar_one()
            neighbour = await find_tenant(s, "marugame")
            assert neighbour is not None
            await do_share(s, "test", service, neighbour)
            return service.id

    async def unshare(db: Database) -> None:
        async with db.session(usuki) as s:
            service = await s.get(Service, (usuki, service_id))
            assert service is not None
            await do_unshare(s, "test", service, marugame)

    service_id = sqlite_env.run(share)
    try:
        result = sqlite_env.run(do_export_tenant, usuki, tmp_path / "usuki", "test")
    finally:  # the demo tenants are shared by the whole session
        sqlite_env.run(unshare)
    # when it is imported into an instance without marugame
    done = empty.run(do_import_tenant, result.directory, result.export_key)
    # then the share is left out and said so; the entry itself came in
    assert [t for t, _ in done.left_out] == ["resource_shares"] * len(done.left_out) != []
    assert any("left out" in w and "resource_shares" in w for w in done.warnings)
    assert any(
        r["id"] == service_id
        for r in tenant_rows(
            empty.settings.database_url, metadata.tables["registry_services"], usuki
        )
    )


def test_sealed_fields_open_and_the_audit_chain_verifies_on_the_target(
    sqlite_env: Env, target: Env
) -> None:
    for slug in SLUGS:
        tenant_id = sqlite_env.tenant_id(slug)
        note, token = a_note(target.settings.database_url, tenant_id)
        text = open_note(target.settings.database_url, tenant_id, note, token)
        assert text and text == open_note(sqlite_env.settings.database_url, tenant_id, note, token)
        assert chain_ok(target.settings.database_url, tenant_id)


def test_sealed_referral_answers_open_on_the_target(sqlite_env: Env, target: Env) -> None:
    # the demo declines one referral and records the outcome of another in each town
    referrals = metadata.tables["referrals"]
    for slug in SLUGS:
        tenant_id = sqlite_env.tenant_id(slug)
        rows = tenant_rows(target.settings.database_url, referrals, tenant_id)
        for field in ("decline_reason", "outcome"):
            row = next(r for r in rows if r[f"{field}_sealed"])
            token = row[f"{field}_sealed"]
            opened = [
                open_sealed(url, tenant_id, "referrals", row["id"], field, token)
                for url in (target.settings.database_url, sqlite_env.settings.database_url)
            ]
            assert token.startswith("v1:") and opened[0] and opened[0] == opened[1]


def open_sealed(
    url: str, tenant_id: uuid.UUID, table: str, row_id: uuid.UUID, field: str, token: str
) -> str:
    async def go() -> str:
        db = Database(url)
        try:
            async with db.session(tenant_id) as s:
                return await unseal(s, table, row_id, field, token)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_the_imported_town_works_its_staff_log_in_with_their_passwords(target: Env) -> None:
    with tenant_client(target, "usuki") as client:
        assert login(client, "caseworker").status_code in (302, 303)
        assert client.get("/cases").status_code == 200


def test_a_tampered_file_is_refused_naming_it(
    exported: dict[str, ExportResult], empty: Env, tmp_path: Path
) -> None:
    result = exported["usuki"]
    copy = copy_export(result, tmp_path)
    people = copy / "tables/people.jsonl"
    lines = people.read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(lines[0])
    row["name"] = "書き換え 太郎"
    people.write_text(dumps(row) + "\n" + "".join(lines[1:]), encoding="utf-8")
    # a changed table file is named
    assert "tables/people.jsonl" in refused(empty, copy, result.export_key)
    # the manifest changed to match it: the export key no longer opens key.json for it
    manifest = json.loads((copy / "manifest.json").read_text())
    for entry in manifest["tables"]:
        if entry["name"] == "people":
            entry["sha256"] = sha256_of(people)
    (copy / "manifest.json").write_text(dumps(manifest) + "\n")
    assert "manifest.json" in refused(empty, copy, result.export_key)
    nothing_in(empty)


def test_a_wrong_export_key_is_refused_with_nothing_written(
    exported: dict[str, ExportResult], empty: Env
) -> None:
    usuki, marugame = exported["usuki"], exported["marugame"]
    assert "key.json" in refused(empty, usuki.directory, marugame.export_key)
    assert "export key" in refused(empty, usuki.directory, "not-a-key")
    nothing_in(empty)


def test_another_schema_version_is_refused_naming_both(
    exported: dict[str, ExportResult], empty: Env, tmp_path: Path
) -> None:
    result = exported["usuki"]
    copy = copy_export(result, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    ours, manifest["schema_version"] = manifest["schema_version"], "0001"
    (copy / "manifest.json").write_text(dumps(manifest) + "\n")
    message = refused(empty, copy, result.export_key)
    assert "'0001'" in message and repr(ours) in message
    nothing_in(empty)


def test_a_tenant_already_here_is_refused(
    sqlite_env: Env, target: Env, exported: dict[str, ExportResult]
) -> None:
    usuki = sqlite_env.tenant_id("usuki")
    before = counts(target.settings.database_url, usuki)
    message = refused(target, exported["usuki"].directory, exported["usuki"].export_key)
    assert "already exists" in message
    assert counts(target.settings.database_url, usuki) == before


# ------------------------------------------------------------------ the command line


def kasane(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kasane.cli", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_commands_round_trip_into_an_instance_with_another_master_key(
    sqlite_env: Env, tmp_path: Path
) -> None:
    source = {
        "KASANE_DATABASE_URL": sqlite_env.settings.database_url,
        "KASANE_MIGRATION_DATABASE_URL": sqlite_env.settings.database_url,
        "KASANE_VAR_DIR": str(sqlite_env.settings.var_dir),
        "KASANE_MASTER_KEY": TEST_MASTER_KEY,
    }
    out = kasane(source, "tenants", "export", "marugame", str(tmp_path / "marugame.zip"))
    assert out.returncode == 0, out.stderr
    key = out.stdout.strip().splitlines()[-1]
    assert len(key.replace("-", "")) == 52
    target_dir, other_master = tmp_path / "other", "another-instance-master-key"
    target = {
        "KASANE_DATABASE_URL": f"sqlite:///{target_dir / 'kasane.db'}",
        "KASANE_MIGRATION_DATABASE_URL": f"sqlite:///{target_dir / 'kasane.db'}",
        "KASANE_VAR_DIR": str(target_dir),
        "KASANE_MASTER_KEY": other_master,
    }
    target_dir.mkdir()
    upgrade(async_url(target["KASANE_DATABASE_URL"]))
    wrong = kasane(target, "tenants", "import", str(tmp_path / "marugame.zip"), "--key", "a" * 52)
    assert wrong.returncode == 1 and "nothing imported" in wrong.stderr
    done = kasane(target, "tenants", "import", str(tmp_path / "marugame.zip"), "--key", key)
    assert done.returncode == 0, done.stderr
    verify = kasane(target, "audit", "verify")
    assert verify.returncode == 0 and "marugame: ok" in verify.stdout
    # the data key was re-wrapped for the other master key: it opens there, not with ours
    marugame, url = sqlite_env.tenant_id("marugame"), async_url(target["KASANE_DATABASE_URL"])
    note, token = a_note(url, marugame)
    try:
        crypto.set_master_secret(other_master)
        assert open_note(url, marugame, note, token)
    finally:
        crypto.set_master_secret(TEST_MASTER_KEY)
    with pytest.raises(crypto.SealedDataError):
        open_note(url, marugame, note, token)
    # and it is deleted again, leaving the operator a record
    assert kasane(target, "tenants", "delete", "marugame").returncode == 2
    gone = kasane(target, "tenants", "delete", "marugame", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert tenant_row(url, marugame) is None
    record = json.loads((target_dir / LEDGER).read_text().splitlines()[-1])
    assert record["event"] == "tenant.deleted" and record["municipality_code"] == "372021"


# ------------------------------------------------------------------ deletion


@pytest.fixture
def instance(exported: dict[str, ExportResult], tmp_path: Path) -> Env:
    """A fresh instance of its own with both towns, for a test that deletes one."""
    env = fresh_env(tmp_path / "instance")
    import_all(env, exported)
    return env


def test_deletion_leaves_nothing_of_the_tenant_and_marugame_untouched(
    sqlite_env: Env, instance: Env, tmp_path: Path
) -> None:
    url = instance.settings.database_url
    usuki, marugame = sqlite_env.tenant_id("usuki"), sqlite_env.tenant_id("marugame")
    marugame_before = counts(url, marugame)
    assert sum(counts(url, usuki).values()) > 1000
    # when usuki is deleted
    report = instance.run(do_delete_tenant, usuki, ledger=tmp_path / LEDGER)
    # then no row of any tenant table has its id, its tenants row is gone, marugame is whole
    assert set(counts(url, usuki).values()) == {0}
    assert tenant_row(url, usuki) is None
    assert counts(url, marugame) == marugame_before
    assert chain_ok(url, marugame)
    # the operator's record has the municipality and the counts, nothing personal
    record = json.loads((tmp_path / LEDGER).read_text())
    assert record["slug"] == "usuki" and record["rows"] == report.rows > 1000
    assert set(record) == {
        "event", "tenant_id", "slug", "name", "municipality_code", "deleted_at", "via", "rows",
        "tables",
    }  # fmt: skip
    with pytest.raises(LookupError):
        instance.run(do_delete_tenant, usuki)


def test_offboarding_deletes_only_the_tenants_the_sweep_marked(
    sqlite_env: Env, instance: Env, tmp_path: Path
) -> None:
    url = instance.settings.database_url
    usuki, marugame = sqlite_env.tenant_id("usuki"), sqlite_env.tenant_id("marugame")
    now = datetime.now(UTC)

    async def cancel(db: Database, tenant_id: uuid.UUID, delete_after: datetime) -> None:
        await do_set_status(db, tenant_id, "cancelled", "billing")  # audited, like a webhook
        async with db.session(tenant_id) as s:
            await s.execute(
                update(Tenant).where(Tenant.id == tenant_id).values(delete_after=delete_after)
            )

    # given usuki cancelled past its retention and marugame cancelled within it
    instance.run(cancel, usuki, now - timedelta(days=1))
    instance.run(cancel, marugame, now + timedelta(days=30))
    marugame_before = counts(url, marugame)
    # nothing is deleted before the sweep marks it
    assert instance.run(do_offboard, tmp_path / LEDGER) == []
    swept = instance.run(do_billing_sweep, instance.settings)
    assert len(swept) == 1 and "usuki" in swept[0]
    assert instance.run(do_offboard, None, dry_run=True) == ["would delete usuki"]
    assert tenant_row(url, usuki) is not None
    # when the offboarding job runs
    lines = instance.run(do_offboard, tmp_path / LEDGER)
    # then usuki is gone and marugame, still within its retention, is whole
    assert len(lines) == 1 and lines[0].startswith("deleted usuki")
    assert set(counts(url, usuki).values()) == {0} and tenant_row(url, usuki) is None
    assert counts(url, marugame) == marugame_before
    assert json.loads((tmp_path / LEDGER).read_text())["via"] == "billing.offboard"


# ------------------------------------------------------------------ the admin's page


@contextmanager
def logged_in(env: Env, slug: str, username: str = "admin") -> Iterator[TestClient]:
    with tenant_client(env, slug) as client:
        assert login(client, username).status_code in (302, 303)
        yield client


def test_only_an_admin_may_export(target: Env) -> None:
    with logged_in(target, "usuki", "caseworker") as client:
        assert client.get("/admin/export").status_code == 403
        token = csrf_of(client.get("/").text)
        assert client.post("/admin/export", data={"_csrf_token": token}).status_code == 403


def test_the_admin_downloads_a_zip_whose_manifest_checks_out(target: Env, tmp_path: Path) -> None:
    with logged_in(target, "usuki") as client:
        page = client.get("/admin/export")
        assert page.status_code == 200 and 'id="export-start"' in page.text
        # step 1: the key is shown, on a page no cache keeps
        shown = client.post("/admin/export", data={"_csrf_token": csrf_of(page.text)})
        assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
        key = shown.text.split('id="export-key">', 1)[1].split("<", 1)[0]
        # step 2 without confirming the key is written down: asked again, the key kept
        form = {"_csrf_token": csrf_of(shown.text), "export_key": key}
        unconfirmed = client.post("/admin/export", data=form)
        assert unconfirmed.status_code == 422 and key in unconfirmed.text
        assert 'aria-describedby="key_saved-error"' in unconfirmed.text
        download = client.post("/admin/export", data={**form, "key_saved": "yes"})
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert "kasane-export-usuki-" in download.headers["content-disposition"]
    zipped = tmp_path / "download.zip"
    zipped.write_bytes(download.content)
    assert "tables/people.jsonl" in zipfile.ZipFile(zipped).namelist()
    with export_directory(zipped) as directory:
        checked = check_export(directory, key)  # format, schema, checksums, key: all good
    assert checked.manifest["tenant"]["slug"] == "usuki"
    assert checked.manifest["exported_by"].startswith("account:")


def set_status(env: Env, slug: str, status: str) -> None:
    async def go(db: Database) -> None:
        async with db.session() as s:
            await s.execute(update(Tenant).where(Tenant.slug == slug).values(status=status))

    env.run(go)


def test_a_cancelled_town_still_reaches_the_export(target: Env) -> None:
    set_status(target, "marugame", "cancelled")
    try:
        with logged_in(target, "marugame") as client:
            notice = client.get("/cases")
            assert notice.status_code == 403 and 'href="/admin/export"' in notice.text
            page = client.get("/admin/export")
            assert page.status_code == 200 and 'id="export-cancelled"' in page.text
            shown = client.post("/admin/export", data={"_csrf_token": csrf_of(page.text)})
            assert shown.status_code == 200 and 'id="export-key"' in shown.text
            billing = client.get("/billing")
            assert billing.status_code == 200 and 'href="/admin/export"' in billing.text
    finally:
        set_status(target, "marugame", "active")


def test_a_cancellation_written_around_the_app_never_leads_to_deletion(
    sqlite_env: Env, instance: Env, tmp_path: Path
) -> None:
    """A status changed by a bare UPDATE (an injection, a hand edit) has no audited
    ``tenant.status`` event: the sweep refuses to mark the town, so nothing is deleted."""
    url = instance.settings.database_url
    usuki = sqlite_env.tenant_id("usuki")

    async def forge(db: Database) -> None:
        async with db.session(usuki) as s:
            await s.execute(
                update(Tenant)
                .where(Tenant.id == usuki)
                .values(status="cancelled", delete_after=datetime.now(UTC) - timedelta(days=1))
            )

    before = counts(url, usuki)
    instance.run(forge)
    swept = instance.run(do_billing_sweep, instance.settings)
    assert swept == ["refused to mark usuki: its cancellation is not in its audit log"]
    assert instance.run(do_offboard, tmp_path / LEDGER) == []
    assert tenant_row(url, usuki)["deletion_marked_at"] is None  # type: ignore[index]
    assert counts(url, usuki)["people"] == before["people"]
