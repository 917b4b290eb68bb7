"""Meeting papers (issue 12), in both demo towns: per case, for the meeting's members, the
person, 世帯構成, 主訴 and the plan's summary; a 支援会議 (106条の6) copy carries a 配付番号 and
the note that it is collected."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kasane.core.cases.models import Case, PlanRow, SupportPlan
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.people.models import Person
from tests.conftest import Env, login, tenant_client
from tests.integration.test_intake import _query

CONFIDENTIAL = {"usuki": "shien_kaigi", "marugame": "marugoto"}
CONSENT_BASED = {"usuki": "jusoteki", "marugame": "shien_kento"}


def _meetings_with_cases(env: Env, slug: str, type_key: str | None = None) -> list[tuple]:
    stmt = (
        select(Meeting.id, Person.name, Case.case_no)
        .join(AgendaItem, (AgendaItem.meeting_id == Meeting.id))
        .join(Case, (Case.id == AgendaItem.case_id) & (Case.tenant_id == AgendaItem.tenant_id))
        .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id))
        .where(Meeting.status != "cancelled")
    )
    if type_key:
        stmt = stmt.where(Meeting.meeting_type_key == type_key)
    return _query(env, slug, stmt)


@pytest.mark.parametrize("slug", ["usuki", "marugame"])
def test_papers_say_whom_each_case_is_about_and_number_the_confidential_copies(
    sqlite_env: Env, slug: str
) -> None:
    rows = _meetings_with_cases(sqlite_env, slug)
    assert rows
    meeting_id, name, case_no = rows[0]
    with tenant_client(sqlite_env, slug) as sv:
        login(sv, "supervisor")  # the coordinating agency: a member of every meeting
        page = sv.get(f"/meetings/{meeting_id}/papers")
        assert page.status_code == 200
        # then each case has its person, household, main concern and plan summary
        assert name in page.text and f"No.{case_no}" in page.text
        assert 'class="household"' in page.text and "主訴" in page.text
        # a 支援会議's copies are numbered, one more each time, and collected
        confidential = _meetings_with_cases(sqlite_env, slug, CONFIDENTIAL[slug])
        assert confidential, "the demo holds a 支援会議 with cases"
        cid = confidential[0][0]
        first = sv.get(f"/meetings/{cid}/papers").text
        second = sv.get(f"/meetings/{cid}/papers").text
        n1 = int(re.search(r"配付番号 (\d+)", first).group(1))  # type: ignore[union-attr]
        n2 = int(re.search(r"配付番号 (\d+)", second).group(1))  # type: ignore[union-attr]
        assert n2 == n1 + 1 and "会議終了後に回収します" in first
        # a consent-based meeting's papers carry no 配付番号
        consent = _meetings_with_cases(sqlite_env, slug, CONSENT_BASED[slug])
        assert consent, "the demo holds a consent-based meeting with cases"
        plain = sv.get(f"/meetings/{consent[0][0]}/papers").text
        assert consent[0][1] in plain and "配付番号" not in plain


@pytest.mark.parametrize("slug", ["usuki", "marugame"])
def test_papers_summarise_the_latest_plan_of_a_case_on_the_agenda(
    sqlite_env: Env, slug: str
) -> None:
    # given a meeting whose agenda holds a case with a plan: that plan's latest version
    latest = (
        select(SupportPlan.case_id, func.max(SupportPlan.version).label("version"))
        .group_by(SupportPlan.case_id)
        .subquery()
    )
    stmt = (
        select(Meeting.id, SupportPlan.version, PlanRow.goal, PlanRow.action)
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .join(latest, latest.c.case_id == AgendaItem.case_id)
        .join(
            SupportPlan,
            (SupportPlan.case_id == latest.c.case_id) & (SupportPlan.version == latest.c.version),
        )
        .join(PlanRow, PlanRow.plan_id == SupportPlan.id)
        .where(Meeting.status != "cancelled")
        .order_by(Meeting.starts_at.desc(), PlanRow.position)
    )
    rows = _query(sqlite_env, slug, stmt)
    assert rows, "the demo puts planned cases on agendas"
    meeting_id, version, goal, action = rows[0]
    with tenant_client(sqlite_env, slug) as sv:
        login(sv, "supervisor")
        page = sv.get(f"/meetings/{meeting_id}/papers").text
    # then the papers carry that version's rows: goal and support, in the plan summary table
    summaries = re.findall(r'<table class="plan-summary">.*?</table>', page, re.S)
    assert any(goal in t and action in t for t in summaries), (goal, action)
    assert f"第{version}版" in page
