"""The audit log: every login and staff change is chained; tampering is caught."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from sqlalchemy import select, text

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import count_events, do_audit, verify_chain
from kasane.core.db import Database
from tests.conftest import REPO, Env, _make_sqlite_env, login, tenant_client


def test_logins_and_failures_are_audited_in_the_tenants_own_chain(sqlite_env: Env) -> None:
    usuki = sqlite_env.tenant_id("usuki")

    async def counts(db: Database) -> tuple[int, int]:
        async with db.session(usuki) as s:
            return (await count_events(s, "auth.login"), await count_events(s, "auth.login_failed"))

    before = sqlite_env.run(counts)
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "admin")
        login(c, "admin", "wrong")
    after = sqlite_env.run(counts)
    assert after == (before[0] + 1, before[1] + 1)


def test_the_chain_verifies_on_both_backends(any_env: Env) -> None:
    marugame = any_env.tenant_id("marugame")

    async def go(db: Database):  # type: ignore[no-untyped-def]
        async with db.session(marugame) as s:
            await do_audit(s, "system", "test.one")
            await do_audit(s, "system", "test.two")  # two in one transaction
        async with db.session(marugame) as s:
            return await verify_chain(s)

    report = any_env.run(go)
    assert report.ok and report.events >= 5


def test_two_appends_at_once_both_land_in_order(any_env: Env) -> None:
    # given one request that has read the chain's end and not committed yet (a page that
    # reads first and audits its export last, while the read-folding job appends meanwhile)
    marugame = any_env.tenant_id("marugame")

    async def go(db: Database):  # type: ignore[no-untyped-def]
        linked = asyncio.Event()

        async def slow() -> int:
            async with db.session(marugame) as s:
                await s.execute(select(AuditEvent.seq).limit(1))  # it read something first
                event = await do_audit(s, "system", "test.slow")
                linked.set()
                await asyncio.sleep(0.3)
            return event.seq

        async def quick() -> int:
            await linked.wait()
            async with db.session(marugame) as s:
                event = await do_audit(s, "system", "test.quick")
            return event.seq

        # when another append comes in between and both commit
        seqs = await asyncio.gather(slow(), quick())
        async with db.session(marugame) as s:
            return seqs, await verify_chain(s)

    (slow_seq, quick_seq), report = any_env.run(go)
    # then neither fails: the second waited for the first and follows it in the chain
    assert quick_seq == slow_seq + 1
    assert report.ok


def test_a_tampered_row_is_caught_and_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = _make_sqlite_env(tmp_path)
    usuki = env.tenant_id("usuki")

    async def tamper(db: Database) -> int:
        async with db.session(usuki) as s:
            victim = (
                await s.execute(select(AuditEvent).order_by(AuditEvent.seq).offset(2).limit(1))
            ).scalar_one()
            # an attacker with database access rewrites who did it
            await s.execute(
                text(
                    "UPDATE audit_events SET actor = 'someone-else' "
                    "WHERE tenant_id = :t AND seq = :q"
                ),
                {"t": usuki.hex, "q": victim.seq},
            )
            return victim.seq

    seq = env.run(tamper)
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
    assert f"usuki: BROKEN at seq {seq}" in out.stdout
    assert "marugame: ok" in out.stdout  # the other tenant's chain is untouched
