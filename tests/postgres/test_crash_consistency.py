"""Crash consistency on PostgreSQL: killing the app at any moment loses no acknowledged write.

The real app runs under uvicorn in a process of its own (forked from one that imported the
app once, ``tests/app_process.py``: a start costs ~0.5 s instead of ~2), on the PostgreSQL
test database as the app role. A caseworker logs in through the login form once (the
session is a database row, so it outlives every restart) and writes progress notes through
the case page's form, CSRF token included, one after another, while the server process is
killed with SIGKILL at a random moment; then it is started again. 50 cycles.

The test keeps its own ledger: a note whose POST the client saw answered (303) is
*acknowledged*; one whose request died with the server is *in doubt* (it may or may not have
committed). At the end every acknowledged note is in the database exactly once, no note in
doubt is there twice, nothing else was written, each note has its audit event (one
transaction), and ``kasane audit verify`` finds every tenant's hash chain intact.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from kasane.core.audit.models import AuditEvent
from kasane.core.cases.models import ProgressNote
from kasane.core.db import Database
from kasane.core.protection.sealing import unseal
from kasane.tenants.demo import DEMO_PASSWORD
from tests.app_process import start_app_process
from tests.conftest import TEST_MASTER_KEY, Env, csrf_of
from tests.e2e.conftest import _free_port, _healthy
from tests.integration.test_portability import kasane

pytestmark = pytest.mark.postgres

CYCLES = 50
TOWN = "usuki"
STARTUP_TIMEOUT = 20.0
KILL_WITHIN = (0.05, 0.5)  # seconds after the first write of a cycle
CASE_LINK = re.compile(r'href="/cases/([0-9a-f-]{36})"')


@dataclass
class Ledger:
    """What the client knows: the notes acknowledged, and those whose request the kill cut."""

    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    acknowledged: list[str] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)
    written: int = 0

    def next_body(self, cycle: int) -> str:
        self.written += 1
        return f"crash-{self.run}-{cycle}-{self.written}"


class AppServer:
    """uvicorn with the app factory, on one port, as a child process that can be killed."""

    def __init__(self, env: Env, var: Path) -> None:
        self.port = _free_port()
        self.log = var / "server.log"
        self.process: multiprocessing.Process | None = None
        self.child_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KASANE_")},
            "KASANE_DATABASE_URL": env.settings.database_url,
            "KASANE_VAR_DIR": str(var),
            "KASANE_BASE_DOMAIN": env.settings.base_domain,
            "KASANE_SECRET_KEY": env.settings.secret_key,  # CSRF tokens outlive restarts
            "KASANE_MASTER_KEY": TEST_MASTER_KEY,
            "KASANE_DEMO": "1",
        }

    def start(self) -> None:
        """A new server process, forked from one that has imported the app already."""
        self.process = start_app_process(self.port, self.child_env, self.log)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(self.port):
            if not self.process.is_alive() or time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no goodbye to PostgreSQL."""
        assert self.process is not None and self.process.pid is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(timeout=10)


@contextmanager
def app_server(env: Env, var: Path) -> Iterator[AppServer]:
    server = AppServer(env, var)
    try:
        yield server
    finally:
        if server.process is not None and server.process.is_alive():
            server.kill()


def logged_in_client(server: AppServer, env: Env) -> httpx.Client:
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{server.port}",
        headers={"Host": f"{TOWN}.{env.settings.base_domain}"},
        timeout=10.0,
    )
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "username": "caseworker",
            "password": DEMO_PASSWORD,
            "_csrf_token": csrf_of(form.text),
            "next": "/",
        },
    )
    assert answer.status_code == 302, answer.text
    return client


def writable_case(client: httpx.Client) -> tuple[str, str]:
    """A case the caseworker may write notes on, and the page's CSRF token."""
    for case_id in dict.fromkeys(CASE_LINK.findall(client.get("/cases").text)):
        page = client.get(f"/cases/{case_id}")
        if 'action="/cases/' + case_id + '/notes"' in page.text:
            return case_id, csrf_of(page.text)
    pytest.fail("the caseworker has no case to write notes on")


def write_until_killed(
    client: httpx.Client, case_id: str, token: str, ledger: Ledger, cycle: int
) -> None:
    """Post notes one after another until the server is gone."""
    while True:
        body = ledger.next_body(cycle)
        try:
            answer = client.post(
                f"/cases/{case_id}/notes",
                data={
                    "_csrf_token": token,
                    "note-kind": "phone",
                    "note-occurred_on": "2026-12-01",
                    "note-body": body,
                },
            )
        except httpx.TransportError:
            ledger.in_doubt.append(body)
            return
        assert answer.status_code == 303, answer.text[:500]
        ledger.acknowledged.append(body)


def notes_and_events(env: Env, case_id: str) -> tuple[list[str], int]:
    """Every note body on the case, and the number of ``note.add`` events for it."""
    tenant_id = env.tenant_id(TOWN)

    async def go(db: Database) -> tuple[list[str], int]:
        async with db.session(tenant_id) as s:
            rows = (
                await s.execute(
                    select(ProgressNote).where(ProgressNote.case_id == uuid.UUID(case_id))
                )
            ).scalars()
            bodies = [await unseal(s, "progress_notes", n.id, "body", n.body_sealed) for n in rows]
            events = await s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "note.add", AuditEvent.target == f"case:{case_id}")
            )
        return bodies, int(events or 0)

    result: tuple[list[str], int] = env.run(go)
    return result


def test_killing_the_app_loses_no_acknowledged_note_and_breaks_no_chain(
    pg_env: Env, tmp_path: Path
) -> None:
    rng = random.Random()
    ledger = Ledger()
    started = time.monotonic()
    with app_server(pg_env, tmp_path) as server:
        # given the app and a caseworker logged in once, on one of their cases
        server.start()
        client = logged_in_client(server, pg_env)
        case_id, token = writable_case(client)
        bodies_before, events_before = notes_and_events(pg_env, case_id)
        # when notes are written while the server is killed at a random moment, 50 times
        for cycle in range(CYCLES):
            if cycle:
                server.start()
            killer = threading.Timer(rng.uniform(*KILL_WITHIN), server.kill)
            killer.start()
            write_until_killed(client, case_id, token, ledger, cycle)
            killer.join()
        client.close()
        bodies, events = notes_and_events(pg_env, case_id)
        verified = kasane(server.child_env, "audit", "verify")
    elapsed = time.monotonic() - started
    ours = Counter(b for b in bodies if b.startswith(f"crash-{ledger.run}-"))
    print(
        f"crash consistency: {CYCLES} cycles, {len(ledger.acknowledged)} acknowledged notes,"
        f" {len(ledger.in_doubt)} cut short ({sum(ours[b] for b in ledger.in_doubt)} of them"
        f" committed before the kill), {elapsed:.0f} s"
    )
    # then every acknowledged note is there exactly once
    missing = [b for b in ledger.acknowledged if ours[b] != 1]
    assert not missing, f"{len(missing)} acknowledged notes not there exactly once: {missing[:5]}"
    # and a note in doubt is there at most once, and nothing was written that was not sent
    assert all(ours[b] <= 1 for b in ledger.in_doubt)
    assert set(ours) <= set(ledger.acknowledged) | set(ledger.in_doubt)
    # and each note came with its audit event, and no event without its note
    assert len(bodies) - len(bodies_before) == events - events_before == sum(ours.values())
    # and every tenant's chain verifies
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{TOWN}: ok" in verified.stdout
    # and the cycles really wrote (on average more than one acknowledged note per cycle)
    assert len(ledger.acknowledged) >= CYCLES
