"""Unmet needs in support plans: each goes on the gap list (社会資源の充足状況), a need the
next version drops is resolved there, a case's planned and assessed need counts once, the
plan's needs steer matching, and the editor refuses a bad need keeping what was typed.
The gap list's head shows on /community and loads on meeting pages; marugame never sees
usuki's plan gaps."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case, PlanUnmetNeed, SupportPlan
from kasane.core.cases.plan_needs import PlanNeedInput, do_save_plan_needs
from kasane.core.cases.records import PlanRowInput, do_record_assessment, do_save_plan
from kasane.core.cases.services import do_move
from kasane.core.community.services import gap_overview
from kasane.core.config_types import TenantConfig
from kasane.core.db import Database
from kasane.core.forms.validation import check_form
from kasane.core.gaps.models import ResourceGap
from kasane.core.participation.candidates import candidates
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_case_pages import ja
from tests.isolation.routes_cases import actor_of, intake_case, tenant_setup, today

ROW = PlanRowInput("外出の機会がない", "週1回出かける", "居場所を一緒に探す", "hokatsu")


async def _plan_draft_case(
    s: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    *,
    area: str,
    assessed_needs: list[str],
    name: str,
) -> Case:
    """A new case in ``area`` at the draft-plan stage whose assessment found ``assessed_needs``."""
    case = await intake_case(s, actor, config, name=name)
    case.area_key = area
    await do_move(s, actor, case, "assessment", today=today())
    form = config.forms["assessment"]
    sub = check_form(form, {"issues": ["isolation"], "unmet_needs": assessed_needs})
    assert sub.ok, sub.errors
    await do_record_assessment(s, actor, case, form, sub)
    await do_move(s, actor, case, "plan_draft", today=today())
    return case


async def _version(
    s: AsyncSession, actor: ActorInfo, case: Case, needs: list[PlanNeedInput]
) -> SupportPlan:
    plan = await do_save_plan(
        s, actor, case, wishes="", rows=[ROW], next_monitoring_on=None, agreed_on=None
    )
    await do_save_plan_needs(s, actor, case, plan, needs, on=today())
    return plan


def _line(lines: list, category: str, area: str | None) -> tuple[int, int, set[str]]:  # type: ignore[type-arg]
    """(recorded, assessed, sources) of the gap list's line, zeros when it has none."""
    line = next((g for g in lines if (g.category, g.area_key) == (category, area)), None)
    return (line.recorded, line.assessed, set(line.sources)) if line else (0, 0, set())


def test_plan_needs_become_gaps_and_a_dropped_need_is_resolved(sqlite_env: Env) -> None:
    env = sqlite_env

    async def go(db: Database) -> None:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            before = await gap_overview(s)
            actor = await actor_of(s, "caseworker")
            # given a case in 深江 whose plan v1 lists a 居場所 there and town-wide transport
            case = await _plan_draft_case(
                s, actor, config, area="fukae", assessed_needs=[], name="計画 一郎"
            )
            v1 = await _version(
                s,
                actor,
                case,
                [
                    PlanNeedInput("ibasho", "fukae", "歩いて行ける場がない"),
                    PlanNeedInput("transport", None),
                ],
            )
            # when v2 lists the 居場所 again but no longer the transport
            v2 = await _version(s, actor, case, [PlanNeedInput("ibasho", "fukae", "まだない")])
        async with db.session(tenant_id) as s:
            gaps = {
                g.category: g
                for g in (
                    await s.execute(
                        select(ResourceGap).where(
                            ResourceGap.source == "plan", ResourceGap.source_id.in_([v1.id, v2.id])
                        )
                    )
                ).scalars()
            }
            kept = (
                await s.execute(select(PlanUnmetNeed).where(PlanUnmetNeed.plan_id == v2.id))
            ).scalar_one()
            after = await gap_overview(s)
        # then each need was recorded once, by v1; the 居場所 stays open (v2 keeps its gap
        # and its own note), the transport gap is resolved today
        assert set(gaps) == {"ibasho", "transport"}
        assert {g.source_id for g in gaps.values()} == {v1.id}
        assert gaps["ibasho"].resolved_on is None and gaps["ibasho"].area_key == "fukae"
        assert gaps["transport"].resolved_on == today() and gaps["transport"].area_key is None
        assert kept.gap_id == gaps["ibasho"].id and kept.note == "まだない"
        assert gaps["ibasho"].description == ""  # the note stays with the plan
        # and the gap list counts the 居場所 in 深江 from a plan, the transport not at all
        rec0, _a0, _s0 = _line(before, "ibasho", "fukae")
        rec1, _a1, sources = _line(after, "ibasho", "fukae")
        assert rec1 == rec0 + 1 and "plan" in sources
        assert _line(after, "transport", None)[0] == _line(before, "transport", None)[0]

    env.run(go)

    # and marugame's gap list holds none of usuki's plan gaps
    async def marugame_plan_gaps(db: Database) -> list[uuid.UUID]:
        tenant_id, _config = await tenant_setup(db, "marugame")
        async with db.session(tenant_id) as s:
            rows = await s.execute(
                select(ResourceGap.id).where(ResourceGap.area_key.in_(["fukae"]))
            )
            lines = await gap_overview(s)
        assert all(g.area_key != "fukae" for g in lines)
        return list(rows.scalars())

    assert env.run(marugame_plan_gaps) == []


def test_a_need_both_assessed_and_planned_counts_once(sqlite_env: Env) -> None:
    env = sqlite_env

    async def go(db: Database) -> None:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")

            async def total() -> int:
                rec, assessed, _sources = _line(await gap_overview(s), "childcare", "togami")
                return rec + assessed

            start = await total()
            # given an open case in 戸上 whose assessment found childcare missing
            case = await _plan_draft_case(
                s, actor, config, area="togami", assessed_needs=["childcare"], name="重複 二郎"
            )
            assessed = await total()
            # when its plan lists the same need, and a later version drops it
            await _version(s, actor, case, [PlanNeedInput("childcare", "togami")])
            planned = await total()
            await _version(s, actor, case, [])
            dropped = await total()
        # then the case counts once throughout: by its assessment, then by its plan's gap,
        # then by its assessment again
        assert (assessed, planned, dropped) == (start + 1, start + 1, start + 1)

    env.run(go)


def test_a_plan_need_steers_matching(sqlite_env: Env) -> None:
    env = sqlite_env

    async def go(db: Database) -> None:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            # given a case whose assessment found no unmet need
            case = await _plan_draft_case(
                s, actor, config, area="chuo", assessed_needs=[], name="誘導 三郎"
            )
            plain = await candidates(s, config, case, today())
            # when its plan lists a place to belong as unmet
            await _version(s, actor, case, [PlanNeedInput("ibasho", "chuo")])
            steered = await candidates(s, config, case, today())
        # then matching ranks a place to belong first, for meeting that need
        assert not any("Meets an unmet need" in c.reasons for c in plain)
        assert steered[0].category == "ibasho"
        assert "Meets an unmet need" in steered[0].reasons

    env.run(go)


def _case_at_plan_draft(env: Env, name: str) -> uuid.UUID:
    async def go(db: Database) -> uuid.UUID:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = await _plan_draft_case(
                s, actor, config, area="umibe", assessed_needs=["work_trial"], name=name
            )
            return case.id

    return env.run(go)


def test_the_plan_editor_records_needs_and_refuses_a_bad_one(sqlite_env: Env) -> None:
    env = sqlite_env
    case_id = _case_at_plan_draft(env, "編集 四郎")
    url = f"/cases/{case_id}/plan"
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        # given the editor of a first plan: it starts from the assessed need, in the
        # case's area, and offers one more empty need in that area too
        editor = client.get(f"{url}/new")
        assert editor.status_code == 200
        token = csrf_of(editor.text)
        assert re.search(r'id="needs-0-category".*?value="work_trial" selected', editor.text, re.S)
        assert re.search(r'id="needs-1-area".*?value="umibe" selected', editor.text, re.S)
        plan = {
            "rows-0-issue": "仕事の経験がない",
            "rows-0-goal": "就労体験に通う",
            "rows-0-action": "受け入れ先を探す",
            "rows-0-agency": "hokatsu",
            "_csrf_token": token,
        }
        # when a need has a note but no category, and another names an unknown area
        bad = client.post(
            url,
            data={
                **plan,
                "needs-0-note": "近くに受け入れ先がない",
                "needs-1-category": "transport",
                "needs-1-area": "atlantis",
            },
        )
        # then nothing is saved, both problems are named, and what was typed is kept
        assert bad.status_code == 422 and 'id="errors-summary"' in bad.text
        assert 'id="needs-0-category-error"' in bad.text and 'id="needs-1-area-error"' in bad.text
        assert "近くに受け入れ先がない" in bad.text and "仕事の経験がない" in bad.text
        # when the needs are put right
        good = client.post(
            url,
            data={
                **plan,
                "needs-0-category": "work_trial",
                "needs-0-area": "umibe",
                "needs-0-note": "近くに受け入れ先がない",
                "needs-1-category": "transport",
                "needs-1-area": "",
            },
        )
        # then the version shows both needs, and the gap list counts them from a plan
        assert good.status_code == 200 and str(good.url).endswith(f"{url}/1")
        assert 'id="plan-needs"' in good.text and "近くに受け入れ先がない" in good.text
        gaps = client.get("/gaps")
        row = gaps.text.split('<tr data-category="work_trial" data-area="umibe">')[1]
        assert ja("Support plans") in row.split("</tr>")[0]
        # and htmx gets one more empty need row with the next add button, alone
        more = client.get(f"{url}/need?index=2", headers={"HX-Request": "true"})
        assert 'id="needs-2-category"' in more.text and "plan/need?index=3" in more.text
        assert "<html" not in more.text
        # and without JavaScript the add button posts the form back with one more need
        back = client.post(url, data={**plan, "add_need": "1", "needs-0-note": "メモ"})
        assert back.status_code == 200 and 'id="needs-1-category"' in back.text
        assert "メモ" in back.text


def test_community_shows_the_gap_list_and_meetings_load_it(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        # given the demo town's recorded gaps: /community shows the head of the gap list
        community = client.get("/community")
        assert community.status_code == 200 and 'id="gap-summary"' in community.text
        assert 'class="gap-list-link"' in community.text
        # and the summary is a fragment for htmx (a meeting page loads it), a page otherwise
        fragment = client.get("/gaps/summary", headers={"HX-Request": "true"})
        page = client.get("/gaps/summary")
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert 'id="gap-summary"' in fragment.text and "<html" in page.text
        meetings = client.get("/meetings")
        meeting = re.search(r'href="(/meetings/[0-9a-f-]{36})"', meetings.text)
        assert meeting, "the demo town has meetings"
        assert 'hx-get="/gaps/summary"' in client.get(meeting.group(1)).text
