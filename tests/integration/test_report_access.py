"""Who may read, download and set targets; drilling down within need-to-know; local
indicators from each town's plugin, and one that fails without taking the page down."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from sqlalchemy import select

from kasane.core.audit.models import AuditEvent
from kasane.core.auth.services import do_create_account
from kasane.core.db import Database
from kasane.tenants.demo import DEMO_PASSWORD
from kasane.tenants.services import do_create_tenant, find_tenant_by_slug
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_look import audit_events
from tests.plugins import report_plugin
from tests.reports_fixture import Town, fixture_town

FY = "view=fy&fy=2025"
TOTAL = re.compile(r'<tr data-key="([a-z_.-]+)">.*?data-total="(\d+)"', re.S)


class Session:
    """A logged-in client of one fixture town (closed by the test's ``with``)."""

    def __init__(self, env: Env, slug: str, username: str) -> None:
        self.client = tenant_client(env, slug)
        self.username = username

    def __enter__(self) -> Any:
        self.client.__enter__()
        assert login(self.client, self.username).status_code == 302
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(None, None, None)


def _totals(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in TOTAL.findall(html)}


def test_each_role_gets_what_its_permissions_give(sqlite_env: Env) -> None:
    town = fixture_town(sqlite_env, "usuki")
    with Session(sqlite_env, town.slug, "caseworker") as c:
        assert c.get(f"/reports?{FY}").status_code == 403
        assert 'href="/reports"' not in c.get("/").text
    with Session(sqlite_env, town.slug, "viewer") as c:
        assert 'href="/reports"' in c.get("/").text
        assert c.get(f"/reports?{FY}").status_code == 200
        assert c.get(f"/reports/export?{FY}&format=xlsx").status_code == 403
        assert c.get("/reports/targets?fy=2025").status_code == 403
    with Session(sqlite_env, town.slug, "supervisor") as c:
        assert c.get(f"/reports/export?{FY}&format=csv").status_code == 200
        assert c.get("/reports/targets?fy=2025").status_code == 403
    with Session(sqlite_env, town.slug, "admin") as c:
        assert c.get("/reports/targets?fy=2025").status_code == 200
        assert c.get(f"/reports/export?{FY}&format=pdf").status_code == 404


@pytest.mark.parametrize("plugin", ["usuki", "marugame"])
def test_the_admin_sets_targets_and_the_report_shows_the_pace(sqlite_env: Env, plugin: str) -> None:
    town = fixture_town(sqlite_env, plugin)
    with Session(sqlite_env, town.slug, "admin") as c:
        form = c.get("/reports/targets?fy=2025")
        token = csrf_of(form.text)
        # a wrong number is refused, naming the indicator and the field; nothing is saved
        bad = c.post(
            "/reports/targets",
            data={
                "_csrf_token": token,
                "fy": "2025",
                "target-consultations.new": "10",
                "target-consultations.total": "たくさん",
            },
        )
        assert bad.status_code == 422
        assert "相談受付件数（延べ）: 目標は0以上の整数で入力してください" in bad.text
        assert 'id="target-consultations.total" ' in bad.text and 'aria-invalid="true"' in bad.text
        assert 'value="たくさん"' in bad.text  # what was typed is kept
        # when the targets are right, they are saved and the report shows actual against them
        saved = c.post(
            "/reports/targets",
            data={
                "_csrf_token": token,
                "fy": "2025",
                "target-consultations.new": "１０",  # full-width digits are fine
                "wording-consultations.new": "新規相談を年10件受け止める",
                "target-community.places": "2",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303
        page = c.get(f"/reports?{FY}").text
    row = page.split('<tr data-key="consultations.new">', 1)[1].split("</tr>", 1)[0]
    assert ">10<" in row and "50.0%" in row  # 5 of 10
    assert "新規相談を年10件受け止める" in page
    tenant_id = town.tenant_id

    async def events(db: Database) -> list[tuple[str, dict[str, Any]]]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(
                select(AuditEvent.target, AuditEvent.detail).where(
                    AuditEvent.action == "report.target"
                )
            )
            return [(t, json.loads(d)) for t, d in rows.all()]

    audited = dict(sqlite_env.run(events))
    assert audited["report_target:2025:consultations.new"]["new"] == 10
    assert audited["report_target:2025:community.places"]["new"] == 2


def test_drilling_down_lists_only_what_the_agency_may_see(sqlite_env: Env) -> None:
    town = fixture_town(sqlite_env, "usuki")
    records = f"/reports/records?{FY}"
    # the supervisor's section keeps every person's record and sits in C's case (多機関協働)
    with Session(sqlite_env, town.slug, "supervisor") as c:
        everything = c.get(f"{records}&key=consultations.total").text
        assert everything.count("<tr><td>令和") == 7 and 'id="records-hidden"' not in everything
        suspended = c.get(f"{records}&key=collaboration.suspended").text
        assert re.search(r'href="/cases/[0-9a-f-]{36}"', suspended)
        # a local figure counts the plugin's units: nothing to open
        assert c.get(f"{records}&key=local.ishibotoke-referred").status_code == 404
    # the viewer of the 地域包括 sees its own counter's consultation, and counts for the rest
    with Session(sqlite_env, town.slug, "viewer") as c:
        own = c.get(f"{records}&key=consultations.total").text
        assert own.count("<tr><td>令和") == 1 and 'data-hidden="6"' in own
        children = c.get(f"{records}&key=consultations.total&dim=field&value=children").text
        assert 'data-count="2"' in children and 'data-hidden="2"' in children
        assert "/cases/" not in c.get(f"{records}&key=collaboration.suspended").text
        assert c.get(f"{records}&key=consultations.total&dim=colour&value=x").status_code == 404


def test_drilling_down_is_audited_with_what_was_shown_and_hidden(sqlite_env: Env) -> None:
    town = fixture_town(sqlite_env, "usuki")

    def drills() -> list[tuple[str, str, dict[str, Any]]]:
        events = audit_events(sqlite_env, town.slug, "report.drill")
        return [(e.actor, e.target, json.loads(e.detail)) for e in events]

    before = len(drills())
    # when the supervisor, then the 地域包括's viewer, open the children's consultations
    path = f"/reports/records?{FY}&key=consultations.total&dim=field&value=children"
    for username in ("supervisor", "viewer"):
        with Session(sqlite_env, town.slug, username) as c:
            assert c.get(path).status_code == 200
    # then each opening is in the town's audit log: the figure, and how many records were
    # listed and withheld (C's two visits: all for the supervisor, none for the viewer)
    new = drills()[before:]
    assert [(t, d) for _actor, t, d in new] == [
        (
            "report:fy2025",
            {"indicator": "consultations.total", "dimension": "field", "shown": 2, "hidden": 0},
        ),
        (
            "report:fy2025",
            {"indicator": "consultations.total", "dimension": "field", "shown": 0, "hidden": 2},
        ),
    ]
    assert new[0][0] != new[1][0] and all(a.startswith("account:") for a, _t, _d in new)


def test_each_town_counts_its_own_local_indicators(any_env: Env) -> None:
    usuki, marugame = fixture_town(any_env, "usuki"), fixture_town(any_env, "marugame")
    with Session(any_env, usuki.slug, "supervisor") as c:
        shown = _totals(c.get(f"/reports?{FY}&section=local").text)
    assert shown["local.ishibotoke-referred"] == 1  # B: card holder, referred on
    assert "local.marugoto-cases" not in shown
    with Session(any_env, marugame.slug, "supervisor") as c:
        page = c.get(f"/reports?{FY}&section=local").text
    shown = _totals(page)
    assert shown["local.marugoto-cases"] == 1  # C, discussed at the まるごと会議
    assert "local.ishibotoke-referred" not in shown
    assert "まるごと会議で検討した事例数（実数）" in page


async def _raising_town(db: Database) -> Town:
    from kasane.core import plugins
    from kasane.tenants.services import tenant_info

    async with db.session() as s:
        found = await find_tenant_by_slug(s, "rpt-raising")
    if found is None:
        found = await do_create_tenant(
            db,
            slug="rpt-raising",
            name="試験町",
            municipality_code=report_plugin.MUNICIPALITY_CODE,
            prefecture="大分県",
            plugin="tests.plugins.report_plugin",
            status="active",
        )
        async with db.session(found.id) as s:
            await do_create_account(
                s,
                username="supervisor",
                display_name="試験",
                password=DEMO_PASSWORD,
                role="supervisor",
                agency_key="municipality",
            )
    config = plugins.build_config(report_plugin, tenant_info(found))
    return Town("report_plugin", found.slug, found.id, config)


def test_a_failing_local_indicator_is_logged_and_the_page_still_works(
    sqlite_env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    town = sqlite_env.run(_raising_town)
    log = logging.getLogger("kasane.reports")
    with Session(sqlite_env, town.slug, "supervisor") as c:
        # the app configures logging when it starts: listen on the logger itself after that
        log.addHandler(caplog.handler)
        for mode in ("raise", "nonsense", "ok"):
            report_plugin.BEHAVIOUR["mode"] = mode
            page = c.get("/reports?view=fy&fy=2026&section=local")
            assert page.status_code == 200, mode
            shown = _totals(page.text)
            assert "consultations.total" in shown, mode
            assert ("local.all-consultations" in shown) == (mode == "ok"), mode
    log.removeHandler(caplog.handler)
    report_plugin.BEHAVIOUR["mode"] = "raise"
    logged = [r.getMessage() for r in caplog.records if r.name == "kasane.reports"]
    assert any("report_plugin: kasane_local_indicators: raised RuntimeError" in m for m in logged)
    assert any("answer is not valid" in m for m in logged)
    assert not any("boom over" in m for m in logged)  # the plugin's own words are not logged


def test_a_change_to_the_records_shows_at_once_though_figures_are_kept(sqlite_env: Env) -> None:
    # given a town whose fiscal-year page was just counted
    from kasane.core.auth.actor import ActorInfo
    from kasane.core.auth.models import StaffAccount
    from kasane.core.forms.validation import check_form
    from kasane.core.intake.services import do_intake
    from kasane.core.japan_time import today_jst

    town = sqlite_env.run(_raising_town)
    report_plugin.BEHAVIOUR["mode"] = "ok"
    path = "/reports?view=fy&section=local"

    async def consult(db: Database) -> None:
        async with db.session(town.tenant_id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "supervisor"))
            ).scalar_one()
            form = town.config.forms["intake"]
            data = {
                "received_on": today_jst().isoformat(),
                "channel": "phone",
                "kana": "シケン",
                "name": "試験",
                "categories": ["care"],
                "main_category": "care",
            }
            submission = check_form(form, data)
            assert submission.ok, submission.errors
            await do_intake(
                s,
                ActorInfo.of(account),
                town.config,
                counter_key="general",
                submission=submission,
                outcome="info_only",
                today=today_jst(),
            )

    try:
        with Session(sqlite_env, town.slug, "supervisor") as c:
            before = _totals(c.get(path).text)
            again = _totals(c.get(path).text)  # nothing changed: the kept figures
            # when a consultation is recorded (audited, as every change is)
            sqlite_env.run(consult)
            after = _totals(c.get(path).text)
    finally:
        report_plugin.BEHAVIOUR["mode"] = "raise"
    # then the next view counts it, in the core's figures and the plugin's alike
    assert again == before
    assert after["consultations.total"] == before["consultations.total"] + 1
    assert after["local.all-consultations"] == before["local.all-consultations"] + 1
