"""Audited reads without a per-tenant lock (issue 16, decision 0024).

A page that shows a person's record has its read recorded before the response is sent, in
``audit_reads`` with no lock; the fold copies reads into the hash chain in order of time;
``kasane audit verify`` checks the chain and every read still waiting; a read changed
before it is folded is caught; and two readers of one town never wait on each other.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

from sqlalchemy import func, select, text

from kasane.core.audit.models import AuditEvent, AuditRead
from kasane.core.audit.services import do_audit, do_audit_read, fold_reads, verify_chain
from kasane.core.db import Database
from tests.conftest import REPO, Env, _make_sqlite_env, login, tenant_client
from tests.isolation.routes_cases import make_case


def _reads(env: Env, tenant_id: uuid.UUID, target: str) -> tuple[int, int]:
    """(reads recorded, reads in the chain) of ``target``."""

    async def go(db: Database) -> tuple[int, int]:
        async with db.session(tenant_id) as s:
            recorded = await s.execute(
                select(func.count()).select_from(AuditRead).where(AuditRead.target == target)
            )
            chained = await s.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.target == target, AuditEvent.action == "case.read")
            )
            return int(recorded.scalar_one()), int(chained.scalar_one())

    return env.run(go)  # type: ignore[no-any-return]


def test_a_case_read_is_recorded_by_the_response_and_folded_into_the_chain(
    any_env: Env,
) -> None:
    case = make_case(any_env, "usuki")
    usuki = any_env.tenant_id("usuki")
    with tenant_client(any_env, "usuki") as c:
        login(c, "caseworker")
        assert c.get(f"/cases/{case}").status_code == 200
        # the moment the page is back, its read is on record (not yet in the chain)
        assert _reads(any_env, usuki, f"case:{case}") == (1, 0)
        assert c.get(f"/cases/{case}").status_code == 200

    async def fold(db: Database) -> tuple[int, int, object]:
        async with db.session(usuki) as s:
            first = await fold_reads(s)
        async with db.session(usuki) as s:
            again = await fold_reads(s)  # nothing twice
        async with db.session(usuki) as s:
            return first, again, await verify_chain(s)

    first, again, report = any_env.run(fold)
    assert first >= 2 and again == 0
    assert report.ok and report.waiting == 0  # type: ignore[attr-defined]
    assert _reads(any_env, usuki, f"case:{case}") == (2, 2)


def test_reads_join_the_writes_in_one_verified_chain_keeping_their_time(any_env: Env) -> None:
    marugame = any_env.tenant_id("marugame")

    async def go(db: Database):  # type: ignore[no-untyped-def]
        async with db.session(marugame) as s:
            do_audit_read(s, "system", "test.read", "thing:1")
        async with db.session(marugame) as s:
            await do_audit(s, "system", "test.write")
        async with db.session(marugame) as s:
            do_audit_read(s, "system", "test.read", "thing:2")
            await fold_reads(s)  # the read of this transaction is not committed yet
        async with db.session(marugame) as s:
            waiting = (await verify_chain(s)).waiting
            await fold_reads(s)
        async with db.session(marugame) as s:
            rows = await s.execute(
                select(AuditEvent.action, AuditEvent.target, AuditEvent.at)
                .where(AuditEvent.action.like("test.%"))
                .order_by(AuditEvent.seq)
            )
            return waiting, rows.all(), await verify_chain(s)

    waiting, rows, report = any_env.run(go)
    assert waiting == 1
    # the write went into the chain at once; the reads follow it when folded, in their
    # order, each with the moment it was read
    last = rows[-3:]
    assert [(r.action, r.target) for r in last] == [
        ("test.write", ""),
        ("test.read", "thing:1"),
        ("test.read", "thing:2"),
    ]
    assert last[1].at < last[0].at < last[2].at
    assert report.ok and report.waiting == 0


def test_a_read_changed_before_the_fold_is_caught(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = _make_sqlite_env(tmp_path)
    usuki = env.tenant_id("usuki")

    async def tamper(db: Database) -> int:
        async with db.session(usuki) as s:
            do_audit_read(s, "account:someone", "case.read", "case:1")
        async with db.session(usuki) as s:
            # an attacker with database access rewrites who read it
            await s.execute(
                text("UPDATE audit_reads SET actor = 'someone-else' WHERE tenant_id = :t"),
                {"t": usuki.hex},
            )
        async with db.session(usuki) as s:
            return await fold_reads(s)

    assert env.run(tamper) == 0  # the fold leaves it out
    out = subprocess.run(
        [sys.executable, "-m", "kasane.cli", "audit", "verify"],
        cwd=REPO,
        env={
            "KASANE_DATABASE_URL": env.settings.database_url,
            "KASANE_VAR_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "usuki: BROKEN: read" in out.stdout
    assert "marugame: ok" in out.stdout


def test_two_readers_of_one_town_do_not_wait_for_each_other(pg_env: Env) -> None:
    """Before issue 16 a read took the tenant's chain lock until its commit: the second
    reader waited for the first to finish rendering."""
    usuki = pg_env.tenant_id("usuki")

    async def go(db: Database) -> float:
        async with db.session(usuki) as first:
            do_audit_read(first, "system", "test.read", "page:1")
            await first.flush()
            await first.execute(select(1))  # first's transaction is open, still "rendering"
            loop = asyncio.get_running_loop()
            started = loop.time()

            async def second() -> None:
                async with db.session(usuki) as s:
                    do_audit_read(s, "system", "test.read", "page:2")

            await asyncio.wait_for(second(), timeout=5)
            return loop.time() - started

    assert pg_env.run(go) < 5
