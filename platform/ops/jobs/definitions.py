"""The scheduled jobs, as plain coroutines over a :class:`JobEnv` — the same definitions
whichever runner calls them (the procrastinate worker on PostgreSQL, the app process on
SQLite, ``kasane jobs run``).

Each is idempotent: run twice for the same time, it does its work once. The billing sweep
re-checks each tenant under a row lock; digests and notices insert a :class:`JobMark`
before a mail goes (and remove it when sending fails, so a retry sends it). Results are
counts and slugs, never personal data; mails hold counts and links only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from kasane.core.db import Database
from kasane.core.japan_time import JST
from kasane.core.mail.smtp import Mail, send_mail
from kasane.ops.jobs.models import JobMark
from kasane.settings import Settings

log = logging.getLogger("kasane.jobs")
OPEN_STATUSES = ("trial", "active", "past_due")  # towns whose staff get digests


@dataclass
class JobEnv:
    """What a job runs with. ``now``: the time the run was scheduled for (a test or
    ``kasane jobs run --at`` may move it)."""

    settings: Settings
    db: Database
    now: datetime
    operator_db: Database | None = None  # the admin URL, when the runner has it

    @property
    def today(self) -> date:
        return self.now.astimezone(JST).date()

    def tenant_url(self, slug: str, path: str) -> str:
        scheme = "https" if self.settings.secure_cookies else "http"
        return f"{scheme}://{slug}.{self.settings.base_domain}{path}"


@dataclass(frozen=True)
class JobResult:
    """A run's outcome: a one-line summary (counts, slugs) and whether it raised an alarm."""

    summary: str
    alarm: bool = False


JobFn = Callable[[JobEnv], Awaitable[JobResult]]


@dataclass(frozen=True)
class JobDef:
    name: str
    cron: str  # UTC, procrastinate's cron syntax
    schedule: str  # the same, said for people
    fn: JobFn


async def _mark(env: JobEnv, job: str, key: str) -> bool:
    """Claim ``(job, key)``; False when another run already did (or is doing) it."""
    try:
        async with env.db.session() as s:
            s.add(JobMark(job=job, key=key))
        return True
    except IntegrityError:
        return False


async def _unmark(env: JobEnv, job: str, key: str) -> None:
    async with env.db.session() as s:
        await s.execute(delete(JobMark).where(JobMark.job == job, JobMark.key == key))


async def _tenants(env: JobEnv, statuses: tuple[str, ...] | None = None) -> list[tuple[Any, str]]:
    """(id, slug) of every tenant, or of those in ``statuses``."""
    from kasane.tenants.models import Tenant

    async with env.db.session() as s:
        query = select(Tenant.id, Tenant.slug).order_by(Tenant.slug)
        if statuses:
            query = query.where(Tenant.status.in_(statuses))
        return list((await s.execute(query)).all())


# ------------------------------------------------------------------ billing


async def billing_sweep(env: JobEnv) -> JobResult:
    """Past-due tenants beyond the grace period → suspended; cancelled ones past retention
    marked for deletion when the runner has the operator's connection."""
    from kasane.tenants.billing.services import do_billing_sweep

    same_db = env.settings.migration_database_url == env.settings.database_url
    may_mark = env.operator_db is not None or not env.settings.is_postgres
    lines = await do_billing_sweep(
        env.db,
        env.settings,
        env.now,
        operator_db=env.operator_db if not same_db else None,
        mark_deletions=may_mark,
    )
    suspended = sum(line.startswith("suspended") for line in lines)
    summary = f"{suspended} suspended, {len(lines) - suspended} other change(s)"
    if not may_mark:
        summary += " (deletion marks need KASANE_MIGRATION_DATABASE_URL: kasane billing sweep)"
    return JobResult(summary + "".join(f"; {line}" for line in lines))


# ------------------------------------------------------------------ audit


async def audit_fold(env: JobEnv) -> JobResult:
    """Fold each tenant's audited reads into its hash chain (decision 0024): every minute,
    so a read waits at most about that long outside the chain."""
    from kasane.core.audit.services import FOLD_BATCH, fold_reads

    folded = 0
    tenants = await _tenants(env)
    for tenant_id, _slug in tenants:
        for _ in range(10):  # a backlog in batches, each its own transaction
            async with env.db.session(tenant_id) as s:
                n = await fold_reads(s)
            folded += n
            if n < FOLD_BATCH:
                break
    return JobResult(f"{folded} read(s) folded, {len(tenants)} tenant(s)")


async def audit_verify(env: JobEnv) -> JobResult:
    """Fold the waiting reads, then verify every tenant's hash chain; a broken one raises
    the alarm: the ``kasane_audit_chain_ok`` gauge drops to 0, an error is logged, the
    operator is mailed."""
    from kasane.core.audit.services import fold_reads, verify_chain
    from kasane.ops.metrics import AUDIT_CHAIN_OK

    broken: list[str] = []
    events = 0
    tenants = await _tenants(env)
    for tenant_id, slug in tenants:
        async with env.db.session(tenant_id) as s:
            await fold_reads(s)
        async with env.db.session(tenant_id) as s:
            report = await verify_chain(s)
        events += report.events
        AUDIT_CHAIN_OK.labels(tenant=slug).set(1 if report.ok else 0)
        if not report.ok:
            broken.append(f"{slug} at seq {report.broken_at}")
            log.error("audit chain broken", extra={"tenant": slug, "broken_at": report.broken_at})
    if broken and env.settings.operator_email and env.settings.smtp_url:
        await send_mail(
            env.settings.smtp_url,
            env.settings.mail_from,
            Mail(
                (env.settings.operator_email,),
                "[Kasane] audit chain BROKEN",
                "The nightly audit verification found a broken hash chain:\n\n"
                + "\n".join(broken)
                + "\n\nCheck with: kasane audit verify --tenant <slug>\n",
            ),
        )
    if broken:
        return JobResult(f"BROKEN: {', '.join(broken)}; {len(tenants)} tenant(s)", alarm=True)
    return JobResult(f"{len(tenants)} tenant(s) verified, {events} events, none broken")


# ------------------------------------------------------------------ digests


async def _digest_counts(env: JobEnv, tenant_id: object) -> dict[str, tuple[int, int]]:
    """Per agency: (monitoring due within 7 days, referrals overdue for acknowledgement)."""
    from kasane.core.cases.models import Case, CaseAgency
    from kasane.core.referrals.models import Referral

    soon = env.today + timedelta(days=7)
    async with env.db.session(tenant_id) as s:  # type: ignore[arg-type]
        due = await s.execute(
            select(CaseAgency.agency_key, func.count(func.distinct(Case.id)))
            .join(Case, (Case.id == CaseAgency.case_id) & (Case.tenant_id == CaseAgency.tenant_id))
            .where(
                CaseAgency.ended_on.is_(None),
                Case.next_monitoring_on <= soon,
                Case.stage.in_(("support", "monitoring")),
            )
            .group_by(CaseAgency.agency_key)
        )
        overdue = await s.execute(
            select(Referral.to_agency_key, func.count())
            .where(Referral.status == "sent", Referral.ack_due_on < env.today)
            .group_by(Referral.to_agency_key)
        )
        counts: dict[str, list[int]] = {}
        for key, n in due.all():
            counts.setdefault(key, [0, 0])[0] = n
        for key, n in overdue.all():
            counts.setdefault(key, [0, 0])[1] = n
    return {k: (v[0], v[1]) for k, v in counts.items()}


async def _recipients(env: JobEnv, tenant_id: object) -> dict[str, list[str]]:
    """Per agency: the e-mail addresses of its active staff (caseworkers and supervisors)."""
    from kasane.core.auth.models import StaffAccount, StaffMembership

    async with env.db.session(tenant_id) as s:  # type: ignore[arg-type]
        rows = await s.execute(
            select(StaffMembership.agency_key, StaffAccount.email)
            .join(
                StaffAccount,
                (StaffAccount.id == StaffMembership.account_id)
                & (StaffAccount.tenant_id == StaffMembership.tenant_id),
            )
            .where(
                StaffAccount.is_active.is_(True),
                StaffAccount.email.is_not(None),
                StaffMembership.role.in_(("caseworker", "supervisor")),
            )
        )
        out: dict[str, list[str]] = {}
        for agency, email in rows.all():
            if agency and email and email not in out.setdefault(agency, []):
                out[agency].append(email)
    return out


def digest_mail(env: JobEnv, slug: str, agency: str, to: list[str], due: int, late: int) -> Mail:
    """The daily digest: two counts and a link, nothing about anyone."""
    body = (
        f"Kasane ({slug}) — {env.today:%Y-%m-%d}\n"
        f"担当機関 / agency: {agency}\n\n"
        f"モニタリング期限（7日以内）/ monitoring due within 7 days: {due}\n"
        f"受理期限を過ぎたつなぎ / referrals overdue for acknowledgement: {late}\n\n"
        f"{env.tenant_url(slug, '/tasks')}\n"
    )
    return Mail(tuple(to), f"[Kasane] 本日のタスク / today's tasks: {due + late}", body)


async def digests(env: JobEnv) -> JobResult:
    """Mail each agency's staff the number of cases with monitoring due within a week and
    of referrals overdue for acknowledgement (counts and a link to /tasks); once per
    tenant, agency and day."""
    sent, unsent, nobody = Counter[str](), 0, 0
    for tenant_id, slug in await _tenants(env, OPEN_STATUSES):
        counts = await _digest_counts(env, tenant_id)
        recipients = await _recipients(env, tenant_id)
        for agency, (due, late) in sorted(counts.items()):
            if not due and not late:
                continue
            if not recipients.get(agency):
                nobody += 1
                continue
            if not env.settings.smtp_url:
                unsent += 1
                continue
            key = f"{slug}:{agency}:{env.today.isoformat()}"
            if not await _mark(env, "digests", key):
                continue
            try:
                mail = digest_mail(env, slug, agency, recipients[agency], due, late)
                await send_mail(env.settings.smtp_url, env.settings.mail_from, mail)
            except BaseException:
                await _unmark(env, "digests", key)
                raise
            sent[slug] += 1
    parts = [f"{sum(sent.values())} digest(s) sent"]
    parts += [f"{slug} {n}" for slug, n in sorted(sent.items())]
    if unsent:
        parts.append(f"{unsent} not sent (KASANE_SMTP_URL not set)")
    if nobody:
        parts.append(f"{nobody} agency digest(s) without a staff e-mail")
    return JobResult("; ".join(parts))


# ------------------------------------------------------------------ registry


async def registry_review_notices(env: JobEnv) -> JobResult:
    """Mail each registry entry due for review (not reviewed in 12 months) that has a
    contact e-mail a confirmation link (valid 14 days); once per entry and month."""
    from kasane.core.registry.freshness import do_make_link
    from kasane.core.registry.models import Service
    from kasane.core.registry.services import review_due

    sent, unsent = Counter[str](), 0
    month = env.today.strftime("%Y-%m")
    for tenant_id, slug in await _tenants(env, OPEN_STATUSES):
        async with env.db.session(tenant_id) as s:
            due = [(svc.id, svc.email, svc.name) for svc in await review_due(s, env.today)]
        for service_id, email, name in due:
            if not email:
                continue
            if not env.settings.smtp_url:
                unsent += 1
                continue
            key = f"{slug}:{service_id}:{month}"
            if not await _mark(env, "registry_review_notices", key):
                continue
            try:
                async with env.db.session(tenant_id) as s:
                    service = (
                        await s.execute(select(Service).where(Service.id == service_id))
                    ).scalar_one()
                    token, expires = await do_make_link(
                        s, "system", env.settings.secret_key, service
                    )
                link = env.tenant_url(slug, f"/registry/confirm/{token}")
                until = f"{expires.astimezone(JST):%Y-%m-%d}"
                body = (
                    f"「{name}」の掲載内容の確認をお願いします（{until} まで有効）。\n"
                    f"Please confirm or correct the entry “{name}” (link valid until "
                    f"{until}):\n\n{link}\n"
                )
                await send_mail(
                    env.settings.smtp_url,
                    env.settings.mail_from,
                    Mail((email,), "[Kasane] 社会資源情報の確認 / please confirm your entry", body),
                )
            except BaseException:
                await _unmark(env, "registry_review_notices", key)
                raise
            sent[slug] += 1
    parts = [f"{sum(sent.values())} notice(s) sent"]
    parts += [f"{slug} {n}" for slug, n in sorted(sent.items())]
    if unsent:
        parts.append(f"{unsent} not sent (KASANE_SMTP_URL not set)")
    return JobResult("; ".join(parts))


# ------------------------------------------------------------------ central


async def central_release(env: JobEnv) -> JobResult:
    """Release last month's noisy figures of every opted-in town (idempotent per period)."""
    from kasane.central.release import do_release
    from kasane.core.reports.periods import Period
    from kasane.tenants.comparison import opted_in_towns

    last = env.today.replace(day=1) - timedelta(days=1)
    period = Period.month(last.year, last.month)
    towns = await opted_in_towns(env.db)
    outcome = await do_release(env.db, towns, period, today=env.today)
    lines = outcome.lines()
    return JobResult(f"{period.slug()}: {len(towns)} town(s); " + "; ".join(lines[:5]))


JOBS: dict[str, JobDef] = {
    j.name: j
    for j in (
        JobDef("billing_sweep", "30 18 * * *", "daily 03:30 JST", billing_sweep),
        JobDef("audit_verify", "0 17 * * *", "nightly 02:00 JST", audit_verify),
        JobDef("audit_fold", "* * * * *", "every minute", audit_fold),
        JobDef("digests", "0 22 * * 0-4", "weekdays 07:00 JST", digests),
        JobDef(
            "registry_review_notices", "0 0 * * 1", "Mondays 09:00 JST", registry_review_notices
        ),
        JobDef("central_release", "0 16 1 * *", "monthly, the 2nd 01:00 JST", central_release),
    )
}
