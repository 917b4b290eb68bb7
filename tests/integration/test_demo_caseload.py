"""The demo caseload ``make run`` seeds: every stage, every household pattern, audited, once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import verify_chain
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case
from kasane.core.cases.queries import CaseFilters, list_cases
from kasane.core.config_types import STAGES
from kasane.core.db import Database
from kasane.core.intake.models import Consultation
from kasane.core.people.models import Household
from kasane.core.people.patterns import PATTERN_LABELS
from kasane.core.people.services import household_view
from kasane.core.referrals.models import Referral
from kasane.core.referrals.services import NEXT
from kasane.tenants.demo import seed_demo
from tests.conftest import Env, _make_sqlite_env

TENANTS = ("usuki", "marugame")


def _today():  # type: ignore[no-untyped-def]
    return datetime.now(timezone(timedelta(hours=9))).date()


def _facts(env: Env, slug: str) -> dict[str, Any]:
    tenant_id = env.tenant_id(slug)
    today = _today()

    async def go(db: Database) -> dict[str, Any]:
        async with db.session(tenant_id) as s:
            stages = Counter((await s.execute(select(Case.stage))).scalars())
            patterns: set[str] = set()
            withdrawn = False
            for household_id in (await s.execute(select(Household.id))).scalars():
                members, found = await household_view(s, household_id, today)
                patterns.update(found)
                withdrawn = withdrawn or any(m.member.withdrawn for m in members)
            visible = {}
            for account in (await s.execute(select(StaffAccount))).scalars():
                found = await list_cases(s, ActorInfo.of(account), CaseFilters(), today)
                visible[account.username] = found.total
            overdue_monitoring = (
                await s.execute(
                    select(func.count())
                    .select_from(Case)
                    .where(
                        Case.stage.in_(("support", "monitoring")), Case.next_monitoring_on < today
                    )
                )
            ).scalar_one()
            referrals = [
                (r.status, r.ack_due_on < today)
                for r in (await s.execute(select(Referral))).scalars()
            ]
            return {
                "stages": stages,
                "patterns": patterns,
                "withdrawn": withdrawn,
                "visible": visible,
                "overdue_monitoring": overdue_monitoring,
                "referrals": referrals,
                "chain": await verify_chain(s),
            }

    return env.run(go)


@pytest.mark.parametrize("slug", TENANTS)
def test_each_demo_tenant_has_cases_in_every_stage(sqlite_env: Env, slug: str) -> None:
    # given the demo seeded by the fixture; when we count the tenant's cases by stage
    facts = _facts(sqlite_env, slug)
    # then there are a few dozen, and every core stage has at least one
    assert sum(facts["stages"].values()) >= 25
    assert set(STAGES) <= set(facts["stages"]), set(STAGES) - set(facts["stages"])


@pytest.mark.parametrize("slug", TENANTS)
def test_each_demo_tenant_has_every_household_pattern(sqlite_env: Env, slug: str) -> None:
    facts = _facts(sqlite_env, slug)
    # 8050, ダブルケア, ヤングケアラー, 高齢単身 as derived today; ひきこもり as a member's flag
    assert set(PATTERN_LABELS) <= facts["patterns"]
    assert facts["withdrawn"]


@pytest.mark.parametrize("slug", TENANTS)
def test_the_demo_staff_see_their_share_and_have_work_waiting(sqlite_env: Env, slug: str) -> None:
    facts = _facts(sqlite_env, slug)
    # the 地域包括 caseworker sees a good share of the open cases, the children's centre some
    assert facts["visible"]["caseworker"] >= 10
    assert facts["visible"]["kodomo"] >= 3
    # monitoring is overdue somewhere; referrals are in every state, some unanswered too long
    assert facts["overdue_monitoring"] >= 1
    assert {status for status, _late in facts["referrals"]} == set(NEXT)
    assert ("sent", True) in facts["referrals"]
    # and everything the seed did is in the tenant's unbroken audit chain
    assert facts["chain"].ok and facts["chain"].events > 300


def test_seeding_the_demo_again_adds_nothing(tmp_path: Path) -> None:
    # on the demo as seeded (other tests add registry entries the seed would turn into places)
    sqlite_env = _make_sqlite_env(tmp_path)
    ids = {slug: sqlite_env.tenant_id(slug) for slug in TENANTS}

    async def counts(db: Database) -> dict[str, list[int]]:
        out = {}
        for slug, tenant_id in ids.items():
            async with db.session(tenant_id) as s:
                out[slug] = [
                    (await s.execute(select(func.count()).select_from(model))).scalar_one()
                    for model in (Case, Consultation, AuditEvent)
                ]
        return out

    before = sqlite_env.run(counts)
    lines = sqlite_env.run(seed_demo)
    assert lines == ["demo data ready"]
    assert sqlite_env.run(counts) == before
