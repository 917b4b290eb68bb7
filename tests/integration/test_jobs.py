"""The scheduled jobs on the embedded default (SQLite, worked inside the app's process):
digests by mail with counts and no names, once a day; the audit alarm; ``kasane jobs``.

Mail goes to a real local SMTP server (aiosmtpd) on a free port.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import TestClient
from sqlalchemy import select, text, update

from kasane.app import create_app
from kasane.core.audit.models import AuditEvent
from kasane.core.auth.models import StaffAccount
from kasane.core.db import Database
from kasane.core.people.models import Person
from kasane.ops.jobs.definitions import JOBS
from kasane.ops.jobs.models import JobRun
from kasane.ops.jobs.runner import JobRuntime, defer_tick, run_job
from kasane.ops.metrics import serve_metrics
from kasane.settings import Settings
from tests.billing_fixtures import free_port
from tests.conftest import Env, _make_sqlite_env
from tests.integration.test_report_cli import _kasane


@dataclass
class Inbox:
    """What the local SMTP server received: (recipients, subject, body) per mail."""

    mails: list[tuple[list[str], str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802  (aiosmtpd's hook name)
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        self.mails.append((list(envelope.rcpt_tos), str(msg["subject"]), body))
        return "250 OK"


# aiosmtpd's thread logs each connection's end at INFO, sometimes after the test's log
# capture has closed (a "--- Logging error ---" traceback at the end of the run)
logging.getLogger("mail.log").setLevel(logging.WARNING)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@pytest.fixture
def town(tmp_path: Path) -> Env:
    """A demo copy of its own where usuki's caseworker and supervisor have e-mail addresses."""
    env = _make_sqlite_env(tmp_path / "jobs")
    usuki = env.tenant_id("usuki")

    async def give_emails(db: Database) -> None:
        async with db.session(usuki) as s:
            for name in ("caseworker", "supervisor"):
                await s.execute(
                    update(StaffAccount)
                    .where(StaffAccount.username == name)
                    .values(email=f"{name}@usuki.example.jp")
                )

    env.run(give_emails)
    return env


def names_of(env: Env) -> set[str]:
    """Every person's name and kana in both towns (what must never be mailed)."""

    ids = [env.tenant_id(slug) for slug in ("usuki", "marugame")]

    async def go(db: Database) -> set[str]:
        found: set[str] = set()
        for tenant_id in ids:
            async with db.session(tenant_id) as s:
                for person in (await s.execute(select(Person))).scalars():
                    found |= {v for v in (person.name, getattr(person, "name_kana", "")) if v}
        return found

    return env.run(go)


def runs(env: Env, job: str) -> list[JobRun]:
    async def go(db: Database) -> list[JobRun]:
        async with db.session() as s:
            q = select(JobRun).where(JobRun.job == job).order_by(JobRun.id)
            return list((await s.execute(q)).scalars())

    return env.run(go)


def test_the_app_runs_the_daily_digest_in_process_and_mails_counts_without_names(
    town: Env, inbox: tuple[Inbox, str]
) -> None:
    box, smtp = inbox
    settings = replace(town.settings, jobs="inprocess", smtp_url=smtp, secure_cookies=True)
    app = create_app(settings)
    # given the app running (its lifespan starts the in-process worker)
    with TestClient(app, base_url="http://usuki.kasane.test"):
        jobs = app.state.jobs
        # when the digests' schedule comes round
        tick = datetime.now(UTC).replace(microsecond=0)
        asyncio.run_coroutine_threadsafe(
            defer_tick(jobs.app, "digests", tick), jobs.task.get_loop()
        ).result(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            r.status != "running" for r in runs(town, "digests")
        ):
            time.sleep(0.2)
    done = runs(town, "digests")
    assert done and all(r.status == "succeeded" for r in done), [r.result for r in done]
    # (at 07:00 JST on a weekday the worker's own schedule comes round too: then one of
    # the two runs sends and the other sends nothing)
    sending = [r.result for r in done if not r.result.startswith("0 digest(s) sent")]
    assert len(sending) == 1, [r.result for r in done]
    # then each agency's staff got one mail: two counts and a link to /tasks
    assert box.mails, sending[0]
    assert "digest(s) sent" in sending[0] and "usuki" in sending[0]
    recipients = {r for to, _, _ in box.mails for r in to}
    assert recipients <= {"caseworker@usuki.example.jp", "supervisor@usuki.example.jp"}
    for _, _subject, body in box.mails:
        assert "https://usuki.kasane.test/tasks" in body
        assert "monitoring due within 7 days:" in body
        assert "referrals overdue for acknowledgement:" in body
    # and no person's name (nor kana) is in any of them
    names = names_of(town)
    assert len(names) > 20
    text_sent = "\n".join(subject + body for _, subject, body in box.mails)
    assert not [n for n in names if n in text_sent]
    # a second run the same day (a retry, another worker) mails nothing more
    sent = len(box.mails)
    again = town.run(run_now, settings, "digests", tick)
    assert len(box.mails) == sent and again.startswith("0 digest(s) sent"), again


async def run_now(_db: Database, settings: Settings, name: str, at: datetime) -> str:
    """One job run as ``kasane jobs run`` does it (recorded in job_runs)."""
    runtime = JobRuntime(settings)
    try:
        return (await run_job(runtime, JOBS[name], at, worker="test")).summary
    finally:
        await runtime.close()


def test_a_broken_audit_chain_raises_the_alarm_metric_and_mails_the_operator(
    town: Env, inbox: tuple[Inbox, str]
) -> None:
    box, smtp = inbox
    usuki = town.tenant_id("usuki")

    async def tamper(db: Database) -> None:
        async with db.session(usuki) as s:
            victim = (
                await s.execute(select(AuditEvent).order_by(AuditEvent.seq).offset(3).limit(1))
            ).scalar_one()
            await s.execute(
                text("UPDATE audit_events SET action = 'x' WHERE tenant_id = :t AND seq = :q"),
                {"t": usuki.hex, "q": victim.seq},
            )

    town.run(tamper)
    settings = replace(town.settings, operator_email="ops@kasane.example.jp", smtp_url=smtp)
    summary = town.run(run_now, settings, "audit_verify", datetime.now(UTC))
    assert summary.startswith("BROKEN: usuki at seq"), summary
    assert "marugame" not in summary
    assert runs(town, "audit_verify")[-1].status == "alarm"
    # the metric an alerting rule watches, on the internal port
    port = free_port()
    assert serve_metrics(port, addr="127.0.0.1")
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'kasane_audit_chain_ok{tenant="usuki"} 0.0' in page
    assert 'kasane_audit_chain_ok{tenant="marugame"} 1.0' in page
    assert 'kasane_job_runs_total{job="audit_verify",status="alarm"}' in page
    # and the operator got a mail naming the tenant and the command to look closer
    assert [to for to, _, _ in box.mails] == [["ops@kasane.example.jp"]]
    assert "usuki at seq" in box.mails[0][2] and "kasane audit verify" in box.mails[0][2]


def test_a_registry_entry_due_for_review_gets_one_confirmation_link_a_month(
    town: Env, inbox: tuple[Inbox, str]
) -> None:
    from kasane.core.registry.models import Service

    box, smtp = inbox
    usuki = town.tenant_id("usuki")

    async def contact(db: Database) -> str:
        async with db.session(usuki) as s:
            service = (
                await s.execute(
                    select(Service).where(Service.reviewed_on.is_(None)).order_by(Service.name)
                )
            ).scalars().first() or (
                await s.execute(select(Service).order_by(Service.reviewed_on))
            ).scalars().first()
            assert service is not None
            service.email = "contact@npo.example.jp"
            service.reviewed_on = date(2024, 4, 1)  # more than 12 months ago
            return service.name

    name = town.run(contact)
    settings = replace(town.settings, smtp_url=smtp)
    summary = town.run(run_now, settings, "registry_review_notices", datetime.now(UTC))
    assert summary.startswith("1 notice(s) sent; usuki 1"), summary
    [(to, _subject, body)] = box.mails
    assert to == ["contact@npo.example.jp"] and name in body
    link = re.search(r"https?://usuki\.kasane\.test(/registry/confirm/\S+)", body).group(1)  # type: ignore[union-attr]
    # the link opens the entry's confirmation page, without an account
    with TestClient(create_app(town.settings), base_url="http://usuki.kasane.test") as c:
        page = c.get(link)
    assert page.status_code == 200 and name in page.text
    # the next run in the same month sends nothing more
    again = town.run(run_now, settings, "registry_review_notices", datetime.now(UTC))
    assert again.startswith("0 notice(s) sent") and len(box.mails) == 1


# ------------------------------------------------------------------ kasane jobs list


def test_jobs_list_shows_each_jobs_schedule_last_run_and_result(town: Env) -> None:
    # given one job run that succeeded and one that failed (the mail server is down)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")  # the demo's dates follow today's
    verified = _kasane(town, "jobs", "run", "audit_verify", "--at", now, KASANE_DEMO="1")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit_verify: 2 tenant(s) verified")
    down = f"smtp://127.0.0.1:{free_port()}"
    failed = _kasane(
        town, "jobs", "run", "digests", "--at", now, KASANE_DEMO="1", KASANE_SMTP_URL=down
    )
    assert failed.returncode == 1 and "digests: failed" in failed.stderr

    # when the operator lists the jobs
    listing = _kasane(town, "jobs", "list", KASANE_DEMO="1")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["job", "schedule", "last", "run", "result", "last", "success"]
    rows = {line.split()[0]: line for line in lines[1:] if not line.startswith(" ")}
    # then every job is there with its schedule, said for people
    assert set(rows) == set(JOBS)
    for name, job in JOBS.items():
        assert job.schedule in rows[name], rows[name]
    # its last run (the time it ran, in JST) and how it ended, and its last success
    ran = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} JST"

    def row(name: str, rest: str) -> bool:
        return bool(re.search(re.escape(JOBS[name].schedule) + rf"\s+{rest}$", rows[name]))

    assert row("audit_verify", rf"{ran}\s+succeeded\s+{ran}"), rows["audit_verify"]
    assert row("digests", rf"{ran}\s+failed\s+never"), rows["digests"]
    assert row("billing_sweep", r"never\s+-\s+never"), rows["billing_sweep"]
    # and under a run, its summary: counts, or the error that stopped it
    summary = lines[lines.index(rows["digests"]) + 1]
    assert summary.strip().startswith("└") and "Connect" in summary, summary
    summary = lines[lines.index(rows["audit_verify"]) + 1]
    assert "2 tenant(s) verified" in summary and "none broken" in summary
    # nothing about anyone: the listing holds no person's name
    assert not [n for n in names_of(town) if n in listing.stdout]
