"""地域づくり indicators per area and month, and the gap list (社会資源の充足状況) that
combines meeting decisions, failed matches and the assessments of open cases."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy import select

from kasane.core.cases.models import Case
from kasane.core.community.controllers import recent_months_start
from kasane.core.community.services import (
    do_add_place,
    do_record_activity,
    gap_overview,
    indicators,
)
from kasane.core.db import Database
from kasane.core.gaps.services import do_record_gap
from kasane.core.japan_time import today_jst
from kasane.core.participation.services import do_end_match, do_propose_match
from kasane.core.reports.periods import fiscal_year_of, month_label
from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client
from tests.integration.test_case_pages import ja
from tests.integration.test_participation import _needy_case
from tests.isolation.routes_cases import actor_of, tenant_setup, today

BANDS = ("children", "youth", "working_age", "older")


def test_indicators_per_area_and_month(sqlite_env: Env) -> None:
    # given three places (two in 佐志生, one in 野津) and activities in 2019
    env = sqlite_env

    async def go(db: Database) -> None:
        tenant_id, _config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            a = await do_add_place(s, actor, name="佐志生サロン", kind="salon", area_key="sashiu")
            b = await do_add_place(
                s, actor, name="佐志生子ども食堂", kind="kodomo_shokudo", area_key="sashiu"
            )
            c = await do_add_place(s, actor, name="野津の居場所", kind="ibasho", area_key="nozu")

            async def act(place: uuid.UUID, on: date, n: tuple[int, ...], ags: list[str]) -> None:
                await do_record_activity(
                    s,
                    actor,
                    place_id=place,
                    held_on=on,
                    counts=dict(zip(BANDS, n, strict=True)),
                    agencies=ags,
                )

            # two activities at a, one at b in April; one at a in May; one at c in April
            await act(a.id, date(2019, 4, 3), (0, 0, 2, 10), ["hokatsu", "shakyo"])
            await act(a.id, date(2019, 4, 17), (1, 0, 1, 8), ["shakyo"])
            await act(b.id, date(2019, 4, 20), (12, 3, 4, 2), ["kodomo"])
            await act(a.id, date(2019, 5, 1), (0, 0, 0, 9), [])
            await act(c.id, date(2019, 4, 9), (0, 2, 3, 0), ["hokatsu"])
            # when the indicators are computed
            got = {
                (i.area_key, i.month): (i.place_count, i.participants, i.agency_count)
                for i in await indicators(s)
                if i.month.startswith("2019")
            }
        # then 拠点数, 参加者数 and 参加機関数 are right per area and month
        assert got == {
            ("sashiu", "2019-04"): (2, 12 + 10 + 21, 3),
            ("sashiu", "2019-05"): (1, 9, 0),
            ("nozu", "2019-04"): (1, 5, 1),
        }

    env.run(go)


def test_the_page_shows_three_months_of_indicators_and_links_the_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # given a town with one activity this month and one five months ago, in two areas
    env = _make_sqlite_env(tmp_path)
    now = today_jst()

    async def go(db: Database) -> None:
        tenant_id, _config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            for area, on in (("sashiu", now), ("nozu", now - timedelta(days=150))):
                place = await do_add_place(
                    s, actor, name=f"{area}の広場", kind="salon", area_key=area
                )
                counts = dict(zip(BANDS, (1, 0, 0, 2), strict=True))
                await do_record_activity(
                    s, actor, place_id=place.id, held_on=on, counts=counts, agencies=[]
                )

    env.run(go)
    # when a caseworker opens 地域づくり
    with tenant_client(env, "usuki") as c:
        login(c, "caseworker")
        html = c.get("/community").text
    table = html.split('class="indicators"', 1)[1].split("</table>", 1)[0]
    # then the table holds this month and the two before, not older ones …
    # (months read 令和8年12月, by the date policy)
    shown = set(re.findall(r"<tr><td>([^<]*月)</td>", table))
    start = recent_months_start(now)
    recent = {month_label(f"{d:%Y-%m}") for d in (now, start, start + timedelta(days=32))}
    assert month_label(f"{now:%Y-%m}") in shown and shown <= recent
    assert month_label(f"{now - timedelta(days=150):%Y-%m}") not in shown
    # … and says so, linking the fiscal year's report, which has every month
    assert "今月と前2か月の分です。" in html
    assert f'href="/reports?view=fy&amp;fy={fiscal_year_of(now)}&amp;section=community"' in html


def test_the_community_page_records_an_activity(sqlite_env: Env) -> None:
    # given a usuki caseworker on /community
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        token = csrf_of(client.get("/community").text)
        # when a place is added and an activity recorded there
        page = client.post(
            "/community/places",
            data={
                "name": "上浦ふれあいカフェ",
                "kind": "cafe",
                "area_key": "kamiura",
                "_csrf_token": token,
            },
        )
        assert page.status_code == 200 and "上浦ふれあいカフェ" in page.text
        place_id = page.text.split('<option value="')[1].split('"')[0]
        bad = client.post(
            "/community/activities",
            data={
                "place_id": place_id,
                "held_on": today_jst().isoformat(),
                "older": "-3",
                "_csrf_token": token,
            },
        )
        done = client.post(
            "/community/activities",
            data={
                "place_id": place_id,
                "held_on": today_jst().isoformat(),
                "older": "6",
                "youth": "1",
                "agencies": ["hokatsu", "nope"],
                "_csrf_token": token,
            },
        )
    # then a bad number is refused, and the good one shows in the log and the indicators
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert done.status_code == 200
    month = month_label(f"{today_jst():%Y-%m}")  # 令和8年12月
    assert re.search(rf"<tr><td>{month}</td><td>上浦</td><td class=\"num\">\d+</td>", done.text)


def test_gaps_show_meeting_match_and_assessment_gaps(sqlite_env: Env) -> None:
    # given, in 上浦: a gap a meeting recorded, a failed match and an open case's assessment
    # (on top of whatever the demo town has there already)
    env = sqlite_env

    async def kamiura(db: Database) -> tuple[int, int, set[str]]:
        tenant_id, _config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            lines = await gap_overview(s)
        return next(
            (
                (g.recorded, g.assessed, g.sources)
                for g in lines
                if (g.category, g.area_key) == ("ibasho", "kamiura")
            ),
            (0, 0, set()),
        )

    recorded, assessed, _sources = env.run(kamiura)
    case_id = env.run(_needy_case, "usuki", "kamiura", ["ibasho"], "上浦 五郎")

    async def go(db: Database) -> None:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            await do_record_gap(
                s,
                actor,
                category="ibasho",
                area_key="kamiura",
                source="meeting",
                source_id=None,
                on=today(),
            )
            case = (await s.execute(select(Case).where(Case.id == case_id))).scalar_one()
            m = await do_propose_match(
                s, actor, config, case, kind="menu", ref="salon", today=today()
            )
            await do_end_match(s, actor, case, m, reason="no_place_fits", on=today())

    env.run(go)
    # then the gap list counts all three more under ibasho × 上浦, with their sources
    now_recorded, now_assessed, sources = env.run(kamiura)
    assert (now_recorded - recorded, now_assessed - assessed) == (2, 1)
    assert {"meeting", "match", "assessment"} <= sources
    # and /gaps shows the line with its sources
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        page = client.get("/gaps")
    assert page.status_code == 200
    row = page.text.split('<tr data-category="ibasho" data-area="kamiura">')[1].split("</tr>")[0]
    assert "上浦" in row
    for source in ("Meeting decisions", "Failed matches", "Assessments of open cases"):
        assert ja(source) in row
