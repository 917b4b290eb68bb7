"""Meeting papers (agenda and minutes, as HTML and PDF) and the staff iCalendar feed.

Papers carry everything said at the meeting, so they are built only after
``services.access_meeting`` let the viewer in (members of the meeting type only), and every
view is audited. The calendar feed is the opposite: it is fetched without a login by a
calendar app holding a personal token, so it carries no personal data at all — the meeting
type's name, time, place and status, nothing about cases, agendas or people.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import anyio.to_thread
from icalendar import Calendar, Event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case, CaseDecision
from kasane.core.config_types import MeetingType, TenantConfig
from kasane.core.consent.models import BASES
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import JST, today_jst
from kasane.core.meetings.models import AGENDA_KINDS, MEETING_STATUSES, Attendance, Meeting
from kasane.core.meetings.paper_cases import CaseSummary, case_summaries
from kasane.core.meetings.services import agenda_of, do_generate_meetings, list_meetings
from kasane.core.protection.sealing import unseal

DECISION_KINDS: dict[str, str] = {
    "support_decision": N_("Support decision"),
    "plan_change": N_("Plan change"),
    "closure": N_("Closure"),
    "suspension": N_("Suspension"),
    "continuation": N_("Continuation"),
    "role_assignment": N_("Role assignment"),
    "resource_development": N_("Resource development"),
    "information_sharing": N_("Information sharing"),
    "system_review": N_("Review of the support system"),
}
ART106_6_NOTICE = N_(
    "Support meeting papers under Article 106-6 of the Social Welfare Act "
    "(members only; bound to confidentiality)"
)

FEED_PAST_DAYS = 30
FEED_AHEAD_DAYS = 180
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")  # what secrets.token_urlsafe(32) gives


# ------------------------------------------------------------------ papers


@dataclass(frozen=True)
class PaperDecision:
    label: str  # msgid of the decision kind
    decided_on: date
    note: str


@dataclass(frozen=True)
class PaperItem:
    number: int  # 1-based, in agenda order
    kind_label: str  # msgid
    case_no: int | None  # None for an unnamed outreach record
    title: str
    basis_label: str  # msgid: consent, 106条の6 or another law
    discussion: str  # unsealed
    decisions: list[PaperDecision] = field(default_factory=list)
    summary: CaseSummary | None = None  # 世帯構成, 主訴, the plan (members only, 0006)


@dataclass(frozen=True)
class Papers:
    """Everything the printed papers show, unsealed and labelled (msgids stay msgids)."""

    meeting: Meeting
    meeting_type: MeetingType
    municipality: str
    day: date  # in JST
    starts: str  # "14:00" JST
    ends: str
    host: str
    present: list[str]  # agency names (with the attending role when recorded)
    absent: list[str]
    items: list[PaperItem]
    minutes: str  # unsealed
    confidential: bool  # a 106条の6 支援会議: members only, bound to confidentiality
    notice: str = ART106_6_NOTICE
    status_label: str = ""
    copy_no: int | None = None  # 支援会議: the 配付番号 of this copy (collected afterwards)

    @property
    def filename(self) -> str:
        """An ASCII file name without personal data, e.g. ``meeting-2026-12-08.pdf``."""
        return papers_filename(self.meeting)


def papers_filename(meeting: Meeting) -> str:
    return f"meeting-{meeting.starts_at.astimezone(JST).date().isoformat()}.pdf"


def _agency_line(config: TenantConfig, row: Attendance) -> str:
    name = config.agency_name(row.agency_key)
    return f"{name}（{row.attendee}）" if row.attendee else name


async def meeting_papers(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    meeting: Meeting,
    mt: MeetingType,
    *,
    municipality: str,
    output: str = "html",
) -> Papers:
    """The papers of a meeting the actor was let into (``access_meeting``); audited.

    Args:
        output: ``html`` or ``pdf``, recorded in the audit event.
    """
    paper_items = await _paper_items(session, config, meeting)
    attendance = await _attendance(session, meeting, mt)
    start, end = meeting.starts_at.astimezone(JST), meeting.ends_at.astimezone(JST)
    await do_audit(session, actor.ref, "meeting.papers", f"meeting:{meeting.id}", output=output)
    copy_no = await _copy_number(session, meeting, mt)
    return Papers(
        copy_no=copy_no,
        meeting=meeting,
        meeting_type=mt,
        municipality=municipality,
        day=start.date(),
        starts=start.strftime("%H:%M"),
        ends=end.strftime("%H:%M"),
        host=config.agency_name(mt.host),
        present=[_agency_line(config, r) for r in attendance if r.present],
        absent=[_agency_line(config, r) for r in attendance if not r.present],
        items=paper_items,
        minutes=await unseal(session, "meetings", meeting.id, "minutes", meeting.minutes_sealed),
        confidential=mt.legal_basis == "art106_6",
        status_label=MEETING_STATUSES.get(meeting.status, meeting.status),
    )


async def _paper_items(
    session: AsyncSession, config: TenantConfig, meeting: Meeting
) -> list[PaperItem]:
    """The agenda's items as printed: case number, discussion, decisions, case summary."""
    items = await agenda_of(session, meeting)
    case_ids = [i.case_id for i in items if i.case_id]
    case_nos: dict[uuid.UUID, int] = {}
    decided: dict[uuid.UUID, list[PaperDecision]] = defaultdict(list)
    if case_ids:
        rows = await session.execute(select(Case.id, Case.case_no).where(Case.id.in_(case_ids)))
        case_nos = {case_id: case_no for case_id, case_no in rows}
        for d in (
            await session.execute(
                select(CaseDecision)
                .where(CaseDecision.meeting_id == meeting.id, CaseDecision.case_id.in_(case_ids))
                .order_by(CaseDecision.at)
            )
        ).scalars():
            label = DECISION_KINDS.get(d.kind, d.kind)
            decided[d.case_id].append(PaperDecision(label, d.decided_on, d.note))
    summaries = await case_summaries(session, config, case_ids, today_jst())
    return [
        PaperItem(
            number=n,
            kind_label=AGENDA_KINDS.get(item.kind, item.kind),
            case_no=case_nos.get(item.case_id) if item.case_id else None,
            title=item.title,
            basis_label=BASES.get(item.basis, item.basis),
            discussion=await unseal(
                session, "agenda_items", item.id, "discussion", item.discussion_sealed
            ),
            decisions=decided.get(item.case_id, []) if item.case_id else [],
            summary=summaries.get(item.case_id) if item.case_id else None,
        )
        for n, item in enumerate(items, start=1)
    ]


async def _attendance(session: AsyncSession, meeting: Meeting, mt: MeetingType) -> list[Attendance]:
    """The meeting's attendance rows, in the order of the meeting type's members."""
    order = {key: n for n, key in enumerate(mt.members)}
    return sorted(
        (
            await session.execute(select(Attendance).where(Attendance.meeting_id == meeting.id))
        ).scalars(),
        key=lambda r: (order.get(r.agency_key, len(order)), r.agency_key),
    )


async def _copy_number(session: AsyncSession, meeting: Meeting, mt: MeetingType) -> int | None:
    """The number of this copy when copies are numbered (art. 106-6 meetings), else None."""
    copy_no = None
    if mt.legal_basis == "art106_6":  # each copy issued is numbered, to be collected
        copy_no = (
            await session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action == "meeting.papers",
                    AuditEvent.target == f"meeting:{meeting.id}",
                )
            )
        ).scalar_one()
    return copy_no


PAPERS_CSS = Path(__file__).resolve().parents[1] / "web" / "static" / "papers.css"
_PDF_LOCK = threading.Lock()  # WeasyPrint's thread safety is not documented: one at a time


@cache
def _papers_css() -> str:
    return PAPERS_CSS.read_text()  # once per process, not once per PDF


def pdf_from_html(html: str) -> bytes:
    """Render self-contained HTML to PDF (blocking; call it through :func:`render_pdf`).

    The papers never load anything: every URL fetch (http, file, data …) is refused, so
    a value typed into the minutes can never make the server read a file or a URL.
    """
    from weasyprint import CSS, HTML  # imported here: loading Pango takes about half a second
    from weasyprint.urls import URLFetcher

    with _PDF_LOCK:
        document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=()))
        # PDF/UA-1: a tagged PDF (headings, tables, reading order) that screen readers
        # follow, with its language, title and the UA identification in its metadata
        css = [CSS(string=_papers_css())]
        return bytes(document.write_pdf(stylesheets=css, pdf_variant="pdf/ua-1"))


async def render_pdf(html: str) -> bytes:
    """:func:`pdf_from_html` in a worker thread, so the event loop keeps serving."""
    return await anyio.to_thread.run_sync(pdf_from_html, html)


# ------------------------------------------------------------------ calendar feed


def calendar_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def do_issue_calendar_token(session: AsyncSession, actor: ActorInfo) -> str:
    """Give the actor a new personal feed token (the old one stops working).

    Returns:
        The token itself — shown once; only its SHA-256 is stored.
    """
    account = await session.get(StaffAccount, (actor.tenant_id, actor.id))
    if account is None:
        raise NotFound("staff_account")
    token = secrets.token_urlsafe(32)
    account.calendar_token_hash = calendar_token_hash(token)
    await do_audit(session, actor.ref, "calendar.token", f"staff_account:{actor.id}", step="issue")
    return token


async def do_revoke_calendar_token(session: AsyncSession, actor: ActorInfo) -> None:
    """Stop the actor's feed URL from working."""
    account = await session.get(StaffAccount, (actor.tenant_id, actor.id))
    if account is None:
        raise NotFound("staff_account")
    account.calendar_token_hash = None
    await do_audit(session, actor.ref, "calendar.token", f"staff_account:{actor.id}", step="revoke")


async def has_calendar_token(session: AsyncSession, actor: ActorInfo) -> bool:
    account = await session.get(StaffAccount, (actor.tenant_id, actor.id))
    return bool(account and account.calendar_token_hash)


async def get_calendar_account(session: AsyncSession, token: str) -> StaffAccount:
    """The active account of this tenant holding ``token``, or NotFound (unknown, revoked,
    or another tenant's token: the session's tenant criteria hide other tenants' rows)."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise NotFound("calendar")
    account = (
        await session.execute(
            select(StaffAccount).where(
                StaffAccount.calendar_token_hash == calendar_token_hash(token),
                StaffAccount.is_active.is_(True),
            )
        )
    ).scalar_one_or_none()
    if account is None:
        raise NotFound("calendar")
    return account


def public_venue(place: str, config: TenantConfig) -> str | None:
    """What of a meeting's typed place may leave Kasane in the login-free feed: the town's
    listed venue it starts with (a counter's place, e.g. 臼杵庁舎), never the rest — a
    person's name or home typed into the place stays on the meeting page."""
    venues = sorted({c.place for c in config.counters if c.place}, key=len, reverse=True)
    typed = (place or "").strip()
    return next((v for v in venues if typed.startswith(v)), None)


async def calendar_feed(
    session: AsyncSession,
    config: TenantConfig,
    account: StaffAccount,
    *,
    tenant_slug: str,
    municipality: str,
    today: date,
) -> bytes:
    """An RFC 5545 calendar of the meetings the account's agency is a member of, from 30
    days ago to 180 days ahead. Only type names, times, places and status: no personal data.
    """
    start, end = today - timedelta(days=FEED_PAST_DAYS), today + timedelta(days=FEED_AHEAD_DAYS)
    await do_generate_meetings(session, config, start, end)
    actor = ActorInfo.of(account)
    meetings = await list_meetings(
        session,
        actor,
        config,
        start=datetime.combine(start, time(0), JST).astimezone(UTC),
        end=datetime.combine(end + timedelta(days=1), time(0), JST).astimezone(UTC),
    )
    cal = Calendar()
    cal.add("prodid", "-//Kasane//ja")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("%(municipality)s meetings", municipality=municipality))
    cal.add("x-wr-timezone", "Asia/Tokyo")
    now = datetime.now(UTC).replace(microsecond=0)
    for meeting in meetings:
        mt = config.meeting_type(meeting.meeting_type_key)
        if mt is None:
            continue
        event = Event()
        event.add("uid", f"{meeting.id}@{tenant_slug}.kasane")
        event.add("dtstamp", now)
        event.add("dtstart", meeting.starts_at.astimezone(UTC))
        event.add("dtend", meeting.ends_at.astimezone(UTC))
        event.add("summary", mt.name)
        if venue := public_venue(meeting.place, config):
            event.add("location", venue)
        event.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
        cal.add_component(event)
    return bytes(cal.to_ical())
