"""The backup and restore drill on PostgreSQL, against the demo data: `kasane backup dump`,
then `kasane backup restore-drill` restores it into a fresh database and checks every
tenant's audit chain, its row counts and one of its sealed fields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from filelock import FileLock

from tests.conftest import REPO, TEST_MASTER_KEY, _drop_pg_database, _pg_template, _with_db

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin_url(pg_admin_url: str, _shared_root: Path) -> Iterator[str]:
    template = _pg_template(pg_admin_url, _shared_root)
    name = f"kasane_backup_{uuid.uuid4().hex[:10]}"
    with (
        FileLock(str(_shared_root / "pg.lock")),
        psycopg.connect(pg_admin_url, autocommit=True) as conn,
    ):
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _with_db(pg_admin_url, name)
    finally:
        _drop_pg_database(pg_admin_url, name)


def kasane(admin: str, var: Path, *args: str, key: str = TEST_MASTER_KEY):  # type: ignore[no-untyped-def]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KASANE_")},
        "KASANE_MIGRATION_DATABASE_URL": admin,
        "KASANE_DATABASE_URL": admin,
        "KASANE_MASTER_KEY": key,
        "KASANE_VAR_DIR": str(var),
    }
    return subprocess.run(
        [sys.executable, "-m", "kasane.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_dump_of_the_demo_restores_and_passes_the_drill(admin_url: str, tmp_path: Path) -> None:
    dump = tmp_path / "kasane.dump"
    made = kasane(admin_url, tmp_path, "backup", "dump", str(dump))
    assert made.returncode == 0, made.stderr
    counts = json.loads(Path(f"{dump}.counts.json").read_text())
    assert {"usuki", "marugame"} <= set(counts) and counts["usuki"]["progress_notes"] > 5
    # when the drill restores it into a fresh database
    drill = kasane(admin_url, tmp_path, "backup", "restore-drill", str(dump))
    # then every tenant's chain verifies, its counts match and a sealed field opens
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "restore drill: passed" in drill.stdout
    for slug in ("usuki", "marugame"):
        line = next(x for x in drill.stdout.splitlines() if x.startswith(f"{slug}:"))
        assert "audit chain ok" in line and "sealed field opened" in line
    # the restored database is gone again
    with psycopg.connect(admin_url) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'kasane_drill_%'"
        ).fetchone()
    assert left == (0,)


def test_the_drill_fails_loudly_on_a_wrong_key_or_missing_rows(
    admin_url: str, tmp_path: Path
) -> None:
    dump = tmp_path / "kasane.dump"
    assert kasane(admin_url, tmp_path, "backup", "dump", str(dump)).returncode == 0
    # a master key that is not the one the data was sealed with
    wrong = kasane(admin_url, tmp_path, "backup", "restore-drill", str(dump), key="wrong")
    assert wrong.returncode == 1 and "a sealed field does not open" in wrong.stderr
    # counts recorded at dump time that the restore does not reproduce
    counts_file = Path(f"{dump}.counts.json")
    counts = json.loads(counts_file.read_text())
    counts["marugame"]["cases"] += 1
    counts_file.write_text(json.dumps(counts))
    short = kasane(admin_url, tmp_path, "backup", "restore-drill", str(dump))
    assert short.returncode == 1 and "marugame: row counts differ in cases" in short.stderr
