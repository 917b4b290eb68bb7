"""The towns' rules on the staff pages: Usuki's routing gives a 多機関協働 intake to
地域力創生課 (Marugame's stays with the counter); an 8050 household's case page suggests
what the town's rule says; Marugame's own intake check names its field; a plugin whose
every rule raises leaves every page working on the core's rules; the admin sees the
plugin's problems."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from kasane.core.cases.models import Case, CaseAgency
from kasane.core.db import Database
from kasane.core.people.models import HouseholdMember, Person
from kasane.tenants.models import Tenant
from tests.conftest import Env, _make_sqlite_env, login, tenant_client
from tests.integration.test_intake import _case_id, _intake


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("rules"))


def in_tenant(env: Env, slug: str, work: Any) -> Any:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> Any:
        async with db.session(tenant_id) as s:
            return await work(s)

    return env.run(go)


def agencies_of(env: Env, slug: str, case_id: uuid.UUID) -> dict[str, str]:
    async def work(s: Any) -> dict[str, str]:
        rows = await s.execute(
            select(CaseAgency.agency_key, CaseAgency.role).where(CaseAgency.case_id == case_id)
        )
        return dict(rows.all())

    return in_tenant(env, slug, work)


def make_8050(env: Env, slug: str, case_id: uuid.UUID) -> None:
    """The case's person is 52; the mother who came with them is 82."""

    async def work(s: Any) -> None:
        case = await s.get(Case, (s.info["tenant_id"], case_id))
        people = (
            await s.execute(
                select(Person.id, HouseholdMember.relation)
                .join(
                    HouseholdMember,
                    (HouseholdMember.person_id == Person.id)
                    & (HouseholdMember.tenant_id == Person.tenant_id),
                )
                .where(HouseholdMember.household_id == case.household_id)
            )
        ).all()
        for pid, relation in people:
            born = date(1944, 3, 1) if relation == "parent" else date(1974, 5, 1)
            await s.execute(update(Person).where(Person.id == pid).values(birth_date=born))

    in_tenant(env, slug, work)


def multi_agency_intake(client: Any, outcome: str = "multi_agency") -> Any:
    token = uuid.uuid4().hex[:6]
    return _intake(
        client,
        name=f"規則 息子 {token}",
        kana=f"きそく むすこ {token}",
        birth_date="1974-05-01",
        visitor_name=f"規則 母 {token}",
        visitor_relation="母",
        visitor_household="parent",
        outcome=outcome,
    )


def test_usuki_routes_multi_agency_to_its_section_and_marugame_does_not(env: Env) -> None:
    leads = {}
    for slug in ("usuki", "marugame"):
        with tenant_client(env, slug) as cw:
            login(cw, "caseworker")
            r = multi_agency_intake(cw)
            # the caseworker who took it still sees the case (the counter's agency stays on)
            assert r.status_code == 303, r.text[-800:]
            case_id = _case_id(r)
            make_8050(env, slug, case_id)
            page = cw.get(f"/cases/{case_id}")
        assert page.status_code == 200
        leads[slug] = agencies_of(env, slug, case_id)
        # and the 8050 household gets the town's suggestion, shown as a suggestion
        found = re.findall(r'data-prompt="([^"]+)" data-suggest="([^"]+)"', page.text)
        if slug == "usuki":  # Usuki's rule: 地域力創生課 visits first
            assert ("8050", "outreach") in found and "地域力創生課による訪問" in page.text
            assert (
                "この事例への提案" in page.text
                and "職員が判断するまで何も変わりません" in page.text
            )
        else:  # the core suggests 多機関協働 only while there is none: here it is on already
            assert found == []
    assert leads["usuki"] == {"chiikiryoku": "lead", "hokatsu": "participant"}
    assert leads["marugame"]["hokatsu"] == "lead" and "kyosei" in leads["marugame"]


def test_marugames_own_intake_check_names_its_field_and_keeps_what_was_typed(env: Env) -> None:
    name = f"共有 確認 {uuid.uuid4().hex[:6]}"
    with tenant_client(env, "marugame") as cw:
        login(cw, "caseworker")
        r = _intake(cw, name=name, marugoto_referral="on", outcome="continued")
    assert r.status_code == 422
    assert "まるごと会議で共有するときは、お住まいの中学校区を選んでください" in r.text
    assert name in r.text
    with tenant_client(env, "usuki") as cw:  # Usuki has no such rule (nor field)
        login(cw, "caseworker")
        assert _intake(cw, outcome="continued").status_code == 303


def test_a_plugin_whose_rules_all_raise_leaves_the_pages_working(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    # given usuki rebound to a plugin with usuki's settings and a raising rule for each hook
    async def rebind(s: Any) -> None:
        await s.execute(
            update(Tenant)
            .where(Tenant.id == s.info["tenant_id"])
            .values(plugin="tests.plugins.shaky_rules_plugin")
        )

    in_tenant(env, "usuki", rebind)
    try:
        with tenant_client(env, "usuki") as cw:
            login(cw, "caseworker")
            r = multi_agency_intake(cw, "continued")
            assert r.status_code == 303, r.text[-800:]
            case_id = _case_id(r)
            make_8050(env, "usuki", case_id)
            page = cw.get(f"/cases/{case_id}")
            meetings = cw.get("/meetings")
            first = re.search(r'href="(/meetings/[0-9a-f-]{36})"', meetings.text)
            meeting = cw.get(first.group(1)) if first else None
        # then intake, the case page and a meeting page all work, on the core's rules
        assert page.status_code == 200 and meetings.status_code == 200
        assert meeting is None or meeting.status_code == 200
        assert ("8050", "collaboration") in re.findall(
            r'data-prompt="([^"]+)" data-suggest="([^"]+)"', page.text
        )
        # the core's routing: the counter's agency leads
        assert agencies_of(env, "usuki", case_id)["hokatsu"] == "lead"
        logged = " ".join(r.getMessage() for r in caplog.records if r.name == "kasane.rules")
        for hook in (
            "kasane_intake_routing",
            "kasane_escalation_prompts",
            "kasane_validate_record",
        ):
            assert f"tenant=usuki hook={hook}" in logged
    finally:

        async def back(s: Any) -> None:
            await s.execute(
                update(Tenant).where(Tenant.id == s.info["tenant_id"]).values(plugin="usuki")
            )

        in_tenant(env, "usuki", back)


def test_the_admin_sees_the_plugins_problems_and_a_caseworker_does_not(env: Env) -> None:
    async def break_it(s: Any) -> None:
        await s.execute(
            update(Tenant)
            .where(Tenant.id == s.info["tenant_id"])
            .values(plugin="tests.plugins.broken_plugin")
        )

    in_tenant(env, "marugame", break_it)
    try:
        with tenant_client(env, "marugame") as admin:
            login(admin, "admin")
            home = admin.get("/")
        assert home.status_code == 200
        assert 'id="plugin-problems"' in home.text
        assert "この自治体のプラグインに問題があります" in home.text
        assert "kasane_theme" in home.text
        with tenant_client(env, "marugame") as cw:
            login(cw, "caseworker")
            assert 'id="plugin-problems"' not in cw.get("/").text
    finally:

        async def back(s: Any) -> None:
            await s.execute(
                update(Tenant).where(Tenant.id == s.info["tenant_id"]).values(plugin="marugame")
            )

        in_tenant(env, "marugame", back)


def test_the_towns_monitoring_interval_proposes_and_fills_the_next_date(env: Env) -> None:
    from tests.integration.test_case_pages import post
    from tests.isolation.routes_cases import actor_of, intake_case, tenant_setup, walk

    async def in_support(db: Database) -> uuid.UUID:
        tenant_id, config = await tenant_setup(db, "marugame")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "kodomo")
            # a case that began at Marugame's children's counter (its rule: every 30 days)
            case = await intake_case(
                s, actor, config, counter="kodomo", outcome="continued", name="子 間隔"
            )
            await walk(s, actor, config, case, "support")
            return case.id

    case_id = env.run(in_support)
    with tenant_client(env, "marugame") as kodomo:
        login(kodomo, "kodomo")
        page = kodomo.get(f"/cases/{case_id}")
        today = re.search(r'name="monitoring-done_on"[^>]*value="([0-9-]+)"', page.text)
        proposed = re.search(r'name="monitoring-next_on"[^>]*value="([0-9-]+)"', page.text)
        assert today and proposed
        done = date.fromisoformat(today.group(1))
        # the form proposes the town's interval …
        assert date.fromisoformat(proposed.group(1)) == done + timedelta(days=30)
        # … and a monitoring saved with the date left blank gets it
        r = post(
            kodomo,
            f"/cases/{case_id}/monitoring",
            **{
                "monitoring-done_on": done.isoformat(),
                "monitoring-summary": "見守り継続",
                "monitoring-next_on": "",
            },
        )
        assert r.status_code == 200

    async def next_on(db: Database) -> date:
        async with db.session(tid) as s:
            return (await s.get(Case, (tid, case_id))).next_monitoring_on

    tid = env.tenant_id("marugame")
    assert env.run(next_on) == done + timedelta(days=30)
