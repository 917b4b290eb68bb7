"""The two secrets: refused when missing outside demo, generated, and the master key rotated.

Rotation runs the real command on a copy of the demo database and reads the towns' sealed
progress notes afterwards under the new key (and no longer under the old one).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import verify_chain
from kasane.core.cases.models import ProgressNote
from kasane.core.db import Database
from kasane.core.protection.crypto import SealedDataError, set_master_secret
from kasane.core.protection.sealing import unseal
from tests.conftest import REPO, TEST_MASTER_KEY, Env, _make_sqlite_env


def kasane(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KASANE_")}
    return subprocess.run(
        [sys.executable, "-m", "kasane.cli", *args],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("command", [("serve", "--port", "18765"), ("db", "upgrade")])
def test_outside_demo_the_app_and_the_migration_refuse_to_start_without_the_keys(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    env = {"KASANE_VAR_DIR": str(tmp_path), "KASANE_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}
    # given neither key in the environment: refused, naming both and how to make one
    out = kasane(env, *command, timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "KASANE_SECRET_KEY" in out.stderr and "KASANE_MASTER_KEY" in out.stderr
    assert "kasane secrets generate" in out.stderr
    # nothing was generated into var/ and no database was created
    assert not (tmp_path / "master_key").exists() and not (tmp_path / "k.db").exists()
    # given only the secret key: the master key is still named
    out = kasane({**env, "KASANE_SECRET_KEY": "s" * 64}, *command, timeout=60)
    assert out.returncode == 2 and "KASANE_MASTER_KEY" in out.stderr
    assert "KASANE_SECRET_KEY" not in out.stderr.split("\n")[0].split("refuses")[1]


def test_with_both_keys_the_migration_runs_and_the_demo_still_generates_its_own(
    tmp_path: Path,
) -> None:
    env = {"KASANE_VAR_DIR": str(tmp_path), "KASANE_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}
    keys = kasane({}, "secrets", "generate")
    assert keys.returncode == 0
    lines = dict(line.split("=", 1) for line in keys.stdout.split())
    assert set(lines) == {"KASANE_SECRET_KEY", "KASANE_MASTER_KEY"}
    assert (
        len(lines["KASANE_MASTER_KEY"]) == 64
        and lines["KASANE_MASTER_KEY"] != lines["KASANE_SECRET_KEY"]
    )
    assert kasane({**env, **lines}, "db", "upgrade").returncode == 0
    assert not (tmp_path / "master_key").exists()  # came from the environment
    demo = tmp_path / "demo"
    out = kasane({**env, "KASANE_VAR_DIR": str(demo), "KASANE_DEMO": "1"}, "db", "upgrade")
    assert out.returncode == 0 and (demo / "master_key").exists()
    only = kasane({}, "secrets", "generate", "--only", "master").stdout.split()
    assert len(only) == 1 and only[0].startswith("KASANE_MASTER_KEY=")


def _notes(env: Env, key: str) -> dict[str, list[str]]:
    """Every demo town's progress notes, opened under ``key`` (SealedDataError if not)."""
    set_master_secret(key)

    async def go(db: Database) -> dict[str, list[str]]:
        opened: dict[str, list[str]] = {}
        for slug in ("usuki", "marugame"):
            async with db.session(_ids[slug]) as s:  # type: ignore[arg-type]
                notes = (await s.execute(select(ProgressNote))).scalars().all()
                opened[slug] = [
                    await unseal(s, "progress_notes", n.id, "body", n.body_sealed) for n in notes
                ]
        return opened

    return env.run_with_current_secret(go)


_ids: dict[str, object] = {}  # tenant ids, read once (Env.tenant_id resets the secret)


def test_rotate_master_rewraps_every_tenant_key_and_the_notes_open_under_the_new_one(
    tmp_path: Path,
) -> None:
    env = _make_sqlite_env(tmp_path / "rot")
    _ids.update({slug: env.tenant_id(slug) for slug in ("usuki", "marugame")})
    before = _notes(env, TEST_MASTER_KEY)
    assert all(len(v) > 5 for v in before.values())
    url = env.settings.database_url.replace("+aiosqlite", "")
    new = kasane({}, "secrets", "generate", "--only", "master").stdout.strip().split("=", 1)[1]
    base = {
        "KASANE_VAR_DIR": str(env.settings.var_dir),
        "KASANE_DATABASE_URL": url,
        "KASANE_MIGRATION_DATABASE_URL": url,
    }
    # a wrong current key: refused, nothing changed
    wrong = kasane(
        {**base, "KASANE_MASTER_KEY": "not-the-key", "KASANE_NEW_MASTER_KEY": new},
        "secrets",
        "rotate-master",
    )
    assert wrong.returncode == 1 and "nothing was changed" in wrong.stderr
    assert _notes(env, TEST_MASTER_KEY) == before
    # without the new key: the variable is named
    missing = kasane({**base, "KASANE_MASTER_KEY": TEST_MASTER_KEY}, "secrets", "rotate-master")
    assert missing.returncode == 2 and "KASANE_NEW_MASTER_KEY" in missing.stderr
    # when the operator rotates
    done = kasane(
        {**base, "KASANE_MASTER_KEY": TEST_MASTER_KEY, "KASANE_NEW_MASTER_KEY": new},
        "secrets",
        "rotate-master",
    )
    assert done.returncode == 0, done.stderr
    assert "2 tenant key(s) re-wrapped" in done.stdout, done.stdout
    # then every note opens under the new key, the same text, and no longer under the old
    assert _notes(env, new) == before
    with pytest.raises(SealedDataError):
        _notes(env, TEST_MASTER_KEY)
    # and each town's chain records the rotation and still verifies
    set_master_secret(new)

    async def audited(db: Database) -> list[tuple[bool, int]]:
        out = []
        for slug in ("usuki", "marugame"):
            async with db.session(_ids[slug]) as s:  # type: ignore[arg-type]
                report = await verify_chain(s)
                rows = await s.execute(
                    select(AuditEvent).where(AuditEvent.action == "tenant_key.rewrapped")
                )
                out.append((report.ok, len(rows.scalars().all())))
        return out

    assert env.run_with_current_secret(audited) == [(True, 1), (True, 1)]
    # a second run (e.g. after an interruption) finds everything done and changes nothing
    again = kasane(
        {**base, "KASANE_MASTER_KEY": TEST_MASTER_KEY, "KASANE_NEW_MASTER_KEY": new},
        "secrets",
        "rotate-master",
    )
    assert again.returncode == 0 and "0 tenant key(s) re-wrapped, 2 already" in again.stdout
    set_master_secret(TEST_MASTER_KEY)
