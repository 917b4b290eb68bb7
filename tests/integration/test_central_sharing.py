"""A town's side of the central comparison: the admin's opt-in and population (audited), a
town that is off absent from new releases and saying so, and the public summary on the
town's own host with the town highlighted."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from kasane.central.models import BudgetEntry, CentralRelease
from kasane.central.release import do_release
from kasane.core.audit.models import AuditEvent
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.reports.periods import Period
from kasane.tenants.comparison import opted_in_towns
from kasane.tenants.models import Tenant
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_central_site import DEMO_FY

OWN_ROW = re.compile(r'<tr class="own[^"]*"><th scope="row">([^<]+)</th>')


def _events(env: Env, slug: str, action: str) -> list[dict[str, Any]]:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> list[dict[str, Any]]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(
                select(AuditEvent.detail)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.seq)
            )
            return [json.loads(d) for d in rows.scalars()]

    return env.run(go)


def _save(client: Any, **form: str) -> Any:
    token = csrf_of(client.get("/admin/sharing").text)
    return client.post(
        "/admin/sharing", data={"_csrf_token": token, **form}, follow_redirects=False
    )


def test_a_town_that_is_off_is_absent_from_every_new_release_and_says_so(any_env: Env) -> None:
    # given marugame's admin turns the comparison off (usuki stays on)
    before = len(_events(any_env, "marugame", "tenant.comparison"))
    with tenant_client(any_env, "marugame") as admin:
        assert login(admin, "admin").status_code == 302
        assert _save(admin, population="110000").status_code == 303
        # then its own pages say it does not take part
        page = admin.get("/admin/sharing").text
        assert "不参加" in page and "新しい公表には含まれません" in page
        assert "参加していません" in admin.get("/comparison").text
    # and the change is in marugame's own audit chain
    assert _events(any_env, "marugame", "tenant.comparison")[before:] == [{"opt_in": False}]

    # when a period not released before is released (the year before the demo's)
    period = Period.fiscal_year(DEMO_FY.fiscal_year_number - 1)

    async def release(db: Database) -> tuple[set[str], set[str]]:
        outcome = await do_release(db, await opted_in_towns(db), period, today=today_jst())
        async with db.session() as s:
            codes = set(
                (
                    await s.execute(
                        select(CentralRelease.unit_code).where(
                            CentralRelease.release_key == period.slug()
                        )
                    )
                ).scalars()
            )
            ledger = set(
                (
                    await s.execute(
                        select(BudgetEntry.municipality_code).where(
                            BudgetEntry.release_key == period.slug()
                        )
                    )
                ).scalars()
            )
        assert {r.town.code for r in outcome.results} == {"442062"}
        return codes, ledger

    codes, ledger = any_env.run(release)
    # then usuki is in it and marugame is not, nor in the ledger
    assert codes == ledger == {"442062"}
    # and usuki's own audit log says what was released of it
    assert _events(any_env, "usuki", "central.release")[-1]["tables"] == [
        "consultations",
        "collaboration",
        "participation",
        "community",
    ]

    # when the admin turns it on again, it is audited again
    with tenant_client(any_env, "marugame") as admin:
        assert login(admin, "admin").status_code == 302
        assert _save(admin, population="110000", opt_in="on").status_code == 303
    assert _events(any_env, "marugame", "tenant.comparison")[-1] == {"opt_in": True}


def test_the_population_is_required_and_a_bad_one_is_named(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as admin:
        assert login(admin, "admin").status_code == 302
        for bad in ("", "三万", "-5", "36,000人"):
            r = _save(admin, population=bad, opt_in="on")
            # refused, naming the field in Japanese, what was typed kept
            assert r.status_code == 422
            assert "人口は整数で入力してください" in r.text and 'id="population-error"' in r.text
            assert f'value="{bad}"' in r.text
        # a good one is saved and audited (commas allowed)
        assert _save(admin, population="36,123", opt_in="on").status_code == 303
        assert 'value="36123"' in admin.get("/admin/sharing").text
        assert _save(admin, population="36000", opt_in="on").status_code == 303
    assert _events(sqlite_env, "usuki", "tenant.population")[-2:] == [
        {"old": 36000, "new": 36123},
        {"old": 36123, "new": 36000},
    ]

    async def stored(db: Database) -> int | None:
        async with db.session() as s:
            return (
                await s.execute(select(Tenant.population).where(Tenant.slug == "usuki"))
            ).scalar_one()

    assert sqlite_env.run(stored) == 36000


def test_only_the_admin_sets_sharing_and_readers_of_figures_see_the_summary(
    sqlite_env: Env,
) -> None:
    for slug, username, sharing, summary, download in [
        ("usuki", "admin", 200, 200, 200),
        ("usuki", "supervisor", 403, 200, 200),
        ("usuki", "viewer", 403, 200, 403),
        ("usuki", "caseworker", 403, 403, 403),
        ("marugame", "kodomo", 403, 403, 403),  # an agency taking no part in the figures
    ]:
        with tenant_client(sqlite_env, slug) as client:
            assert login(client, username).status_code == 302
            assert client.get("/admin/sharing").status_code == sharing, (slug, username)
            assert client.get("/comparison").status_code == summary, (slug, username)
            assert client.get("/comparison.csv").status_code == download, (slug, username)


def test_the_public_summary_highlights_the_viewers_own_town(sqlite_env: Env) -> None:
    for slug, name in (("usuki", "臼杵市"), ("marugame", "丸亀市")):
        with tenant_client(sqlite_env, slug) as client:
            assert login(client, "supervisor").status_code == 302
            query = f"release={DEMO_FY.slug()}&measure=consultations.new"
            page = client.get(f"/comparison?{query}").text
            # the town's own row, and only it, is marked; other towns are listed beside it
            assert OWN_ROW.findall(page) == [name]
            assert "しおかぜ市" in page and "合成" in page
            # downloading it is audited in the town's log
            before = len(_events(sqlite_env, slug, "report.comparison_export"))
            assert client.get(f"/comparison.csv?release={DEMO_FY.slug()}").status_code == 200
            assert len(_events(sqlite_env, slug, "report.comparison_export")) == before + 1
