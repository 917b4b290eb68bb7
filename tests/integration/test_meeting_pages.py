"""The meeting pages as staff use them: the calendar, one meeting's agenda, attendance and
decisions through the real forms (CSRF included), the consent refusal, and the 404 an
agency that does not sit on the meeting gets."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import fold_reads
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.config_types import Cadence, TenantConfig
from kasane.core.db import uuid7
from kasane.core.meetings.calendar import occurrences
from kasane.core.meetings.meeting_page import add_months
from kasane.tenants.demo import DEMO_PASSWORD
from kasane_plugins.usuki import assumptions
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_meetings import (
    consent_to,
    in_tenant,
    new_case,
    to_plan_draft,
    today,
)

OUTSIDER = "meetings-outsider"  # works at うすき石仏ねっと, which sits on no meeting
MY_NUMBER = "123456789018"  # a 12-digit number with a valid check digit


def _client(env: Env, username: str) -> TestClient:
    client = tenant_client(env, "usuki")
    client.__enter__()
    assert login(client, username).status_code == 302
    client.get("/lang/en")  # assert on the English msgids; Japanese comes from the catalog
    return client


@pytest.fixture
def supervisor(sqlite_env: Env) -> Iterator[TestClient]:
    client = _client(sqlite_env, "supervisor")
    yield client
    client.__exit__(None, None, None)


def _create_meeting(client: TestClient, days: int = 10) -> str:
    """An ad hoc 重層的支援会議 through the calendar's form; returns its path."""
    page = client.get("/meetings")
    r = client.post(
        "/meetings",
        data={
            "new-type": "jusoteki",
            "new-date": (today() + timedelta(days=days)).isoformat(),
            "new-time": "15:30",
            "new-place": "臼杵庁舎 第2会議室",
            "_csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_the_calendar_lists_the_regular_meetings_of_my_agency(supervisor: TestClient) -> None:
    # given the usuki supervisor (地域力創生課 sits on the 重層的支援会議)
    cadence = Cadence(**assumptions.JUSOTEKI_CADENCE)
    upcoming = [d for _n, d in occurrences(cadence, today(), today() + timedelta(days=60))]
    later = add_months(today().replace(day=1), 3)
    in_month = [d for _n, d in occurrences(cadence, later, add_months(later, 1) - timedelta(1))]
    # when they open the calendar, and a month three months ahead
    now = supervisor.get("/meetings")
    ahead = supervisor.get(f"/meetings?month={later:%Y-%m}")
    # then the coming 重層的支援会議 dates are listed at 14:00, among "my meetings" too
    assert now.status_code == 200 and ahead.status_code == 200
    assert now.text.count("<h1") == 1
    assert "重層的支援会議" in now.text
    for day in upcoming:
        assert f'datetime="{day.isoformat()}"' in now.text
    assert "14:00–15:30 重層的支援会議" in now.text
    # and the month view has that month's meeting and links to the months around it
    assert in_month and f'datetime="{in_month[0].isoformat()}"' in ahead.text
    assert f"?month={add_months(later, -1):%Y-%m}" in ahead.text
    assert f"?month={add_months(later, 1):%Y-%m}" in ahead.text


def test_a_refused_new_meeting_keeps_what_was_typed(supervisor: TestClient) -> None:
    # given the calendar's form
    page = supervisor.get("/meetings")
    # when a time that is not a time is sent
    r = supervisor.post(
        "/meetings",
        data={
            "new-type": "jusoteki",
            "new-date": today().isoformat(),
            "new-time": "25:99",
            "new-place": "臼杵庁舎",
            "_csrf_token": csrf_of(page.text),
        },
    )
    # then the page comes back naming the field, with everything typed
    assert r.status_code == 422
    assert "Start time: enter the time like 14:00" in r.text
    assert 'value="25:99"' in r.text and 'value="臼杵庁舎"' in r.text


def test_a_meeting_is_run_through_its_page(sqlite_env: Env, supervisor: TestClient) -> None:
    # given a case with a draft plan the person agreed to, consented for the 重層的支援会議
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> tuple:  # type: ignore[type-arg]
        case = await new_case(s, actor, config)
        await to_plan_draft(s, actor, config, case, agreed=True)
        await consent_to(s, actor, case, ["jusoteki"])
        return str(case.id), case.case_no

    case_id, case_no = in_tenant(sqlite_env, "usuki", step)
    path = _create_meeting(supervisor)
    meeting_id = path.rsplit("/", 1)[1]

    # when the supervisor opens the meeting
    page = supervisor.get(path)
    assert page.status_code == 200
    assert page.text.count("<h1") == 1 and "15:30" in page.text
    assert "臼杵市重層的支援体制整備事業実施要綱" in page.text  # the 要綱 it rests on
    assert f"/meetings/{meeting_id}/papers.pdf" in page.text
    assert "Confidential to this meeting" not in page.text  # a consent-based meeting
    # … the case is proposed for a support decision, and they add it
    assert f'name="case_id" value="{case_id}"' in page.text
    r = supervisor.post(
        f"{path}/agenda",
        data={"case_id": case_id, "kind": "support_decision", "_csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 200
    # (members see whom the item is about: the person's name before its number)
    assert f'<span class="muted">No.{case_no}</span></a>' in r.text
    assert f'href="/cases/{case_id}">' in r.text
    assert "Plan awaiting a support decision" in r.text
    # … record who attended
    r = supervisor.post(
        f"{path}/attendance",
        data={
            "attend-present": ["chiikiryoku", "hokatsu"],
            "_csrf_token": csrf_of(r.text),
        },
    )
    assert r.status_code == 200
    checked = set(re.findall(r'name="attend-present" value="(\w+)"\s+checked', r.text))
    assert checked == {"chiikiryoku", "hokatsu"}
    # … and the meeting's decision on the item
    item_id = re.search(rf"{path}/items/([0-9a-f-]+)/decision", r.text).group(1)  # type: ignore[union-attr]
    r = supervisor.post(
        f"{path}/items/{item_id}/decision",
        data={
            "i0-kind": "support_decision",
            "i0-note": "プランを承認",
            "_csrf_token": csrf_of(r.text),
        },
    )
    # then the item shows as decided and the case is at 支援実施
    assert r.status_code == 200
    assert '<strong class="decided">Decided</strong>' in r.text
    assert "Case stage now: Support in progress" in r.text
    assert "Support decision" in r.text and "プランを承認" in r.text


def test_a_case_without_consent_is_refused_on_the_page(
    sqlite_env: Env, supervisor: TestClient
) -> None:
    # given a new multi-agency case whose person has not consented (proposed as new)
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> str:
        return str((await new_case(s, actor, config, outcome="multi_agency")).id)

    case_id = in_tenant(sqlite_env, "usuki", step)
    path = _create_meeting(supervisor, days=12)
    page = supervisor.get(path)
    assert f'name="case_id" value="{case_id}"' in page.text
    assert "No consent covering this meeting" in page.text
    # when the supervisor adds it to the consent-based meeting anyway
    r = supervisor.post(
        f"{path}/agenda",
        data={"case_id": case_id, "kind": "new_collaboration", "_csrf_token": csrf_of(page.text)},
    )
    # then the page says why, as an alert, and the agenda stays empty
    assert r.status_code == 422
    alert = re.search(r'<div class="errors-summary" role="alert".*?</div>', r.text, re.S)
    assert alert and "has no valid consent covering this meeting" in alert.group(0)
    assert "Nothing is on the agenda yet." in r.text


def test_minutes_with_an_individual_number_are_refused(supervisor: TestClient) -> None:
    # given a meeting
    path = _create_meeting(supervisor, days=14)
    page = supervisor.get(path)
    # when minutes containing a マイナンバー are saved
    text = f"本人のマイナンバーは{MY_NUMBER}です"
    r = supervisor.post(
        f"{path}/minutes", data={"minutes-text": text, "_csrf_token": csrf_of(page.text)}
    )
    # then they are refused, the text is kept for correction, and nothing is saved
    assert r.status_code == 422 and "Individual Number" in r.text and text in r.text
    assert text not in supervisor.get(path).text


def test_opening_a_meeting_is_audited(sqlite_env: Env, supervisor: TestClient) -> None:
    # given a meeting
    path = _create_meeting(supervisor, days=16)
    # when its page is opened
    assert supervisor.get(path).status_code == 200

    # then the read is in the audit log, by the supervisor
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> list[str]:
        target = "meeting:" + path.rsplit("/", 1)[1]
        await fold_reads(s)  # reads reach the hash chain by the fold
        rows = await s.execute(
            select(AuditEvent.actor).where(
                AuditEvent.action == "meeting.read", AuditEvent.target == target
            )
        )
        return list(rows.scalars())

    assert in_tenant(sqlite_env, "usuki", step) == [f"account:{_account_id(sqlite_env)}"]


def _account_id(env: Env, username: str = "supervisor") -> uuid.UUID:
    async def step(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> uuid.UUID:
        return actor.id

    return in_tenant(env, "usuki", step, username=username)


def test_an_agency_that_does_not_sit_on_the_meeting_gets_the_plain_404(
    sqlite_env: Env, supervisor: TestClient
) -> None:
    # given a 重層的支援会議 and a user at うすき石仏ねっと, which sits on no meeting
    assert "ishibotoke" not in assumptions.JUSOTEKI_MEMBERS
    assert "ishibotoke" not in assumptions.SHIEN_KAIGI_MEMBERS
    path = _create_meeting(supervisor, days=18)

    async def make(s: AsyncSession, actor: ActorInfo, config: TenantConfig) -> None:
        known = (
            await s.execute(select(StaffAccount.id).where(StaffAccount.username == OUTSIDER))
        ).first()
        if not known:
            await do_create_account(
                s,
                username=OUTSIDER,
                display_name="石仏ねっと（テスト）",
                password=DEMO_PASSWORD,
                agency_key="ishibotoke",
            )

    in_tenant(sqlite_env, "usuki", make)
    with tenant_client(sqlite_env, "usuki") as outsider:
        assert login(outsider, OUTSIDER).status_code == 302
        # when they open it, a missing meeting, and the papers of it
        theirs = outsider.get(path)
        missing = outsider.get(f"/meetings/{uuid7()}")
        calendar = outsider.get("/meetings")
    # then it is exactly as if it did not exist
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    assert calendar.status_code == 200 and path not in calendar.text
