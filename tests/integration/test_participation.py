"""Participation matching: candidates ranked by need and area, capacity, the match's life
(proposed → started → 定着支援 → ended), failed matches as resource gaps, need-to-know and
tenant isolation of the candidates and the page."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from kasane.core.cases.models import Case
from kasane.core.cases.records import do_record_assessment
from kasane.core.cases.services import CaseRuleError
from kasane.core.db import Database
from kasane.core.forms.validation import check_form
from kasane.core.gaps.models import ResourceGap
from kasane.core.participation.candidates import candidates
from kasane.core.participation.models import ParticipationMatch
from kasane.core.participation.services import (
    do_end_match,
    do_log_retention,
    do_propose_match,
    do_start_match,
    retention_contacts,
)
from kasane.core.registry.models import Service, TaxonomyTerm
from kasane.core.registry.services import ServiceInput, do_create_service
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.isolation.routes_cases import actor_of, intake_case, tenant_setup, today


async def _needy_case(
    db: Database, slug: str, area: str | None, needs: list[str], name: str = "参加 花子"
) -> uuid.UUID:
    """A case of ``slug`` in ``area`` whose latest assessment records ``needs`` unmet."""
    tenant_id, config = await tenant_setup(db, slug)
    async with db.session(tenant_id) as s:
        actor = await actor_of(s, "caseworker")
        case = await intake_case(s, actor, config, name=name)
        case.area_key = area
        form = config.forms["assessment"]
        submission = check_form(form, {"issues": ["isolation"], "unmet_needs": needs})
        assert submission.ok, submission.errors
        await do_record_assessment(s, actor, case, form, submission)
        return case.id


async def _service(db: Database, slug: str, name: str, area: str, term: str) -> uuid.UUID:
    tenant_id, _config = await tenant_setup(db, slug)
    async with db.session(tenant_id) as s:
        term_id = (
            await s.execute(select(TaxonomyTerm.id).where(TaxonomyTerm.code == term))
        ).scalar_one()
        service = await do_create_service(
            s,
            "test",
            ServiceInput(
                name=name,
                organization_name=f"{name}の会",
                area_key=area,
                term_ids=[term_id],
                days=["MO", "TH"],
                opens_at="10:00",
                closes_at="15:00",
                location_name=f"{name}会場",
                accessibility="段差なし",
            ),
        )
        return service.id


def _ranked(env: Env, slug: str, case_id: uuid.UUID) -> list[Any]:
    async def go(db: Database) -> list[Any]:
        tenant_id, config = await tenant_setup(db, slug)
        async with db.session(tenant_id) as s:
            case = (await s.execute(select(Case).where(Case.id == case_id))).scalar_one()
            return await candidates(s, config, case, today())

    return env.run(go)


def test_ranking_respects_area_and_unmet_need(sqlite_env: Env) -> None:
    # given a usuki case in 海辺 (inside 臼杵地域) that needs a place to belong, and three
    # services: a 居場所 in 海辺, a work trial in 海辺 and a 居場所 in 田野 (野津地域)
    env = sqlite_env
    near_ibasho = env.run(_service, "usuki", "海辺のたまり場（試験）", "umibe", "ibasho")
    near_work = env.run(_service, "usuki", "海辺の作業所（試験）", "umibe", "shuro")
    far_ibasho = env.run(_service, "usuki", "田野のたまり場（試験）", "tano", "ibasho")
    case_id = env.run(_needy_case, "usuki", "umibe", ["ibasho"])
    # when its candidates are ranked
    ranked = _ranked(env, "usuki", case_id)
    refs = [c.ref for c in ranked]
    # then the 居場所 in the person's area comes before the work trial there, the far one
    # is left out, and every candidate is in the area, next to it or town-wide
    assert refs.index(str(near_ibasho)) < refs.index(str(near_work))
    assert str(far_ibasho) not in refs
    assert {c.area_key for c in ranked} <= {"umibe", "usuki", None}
    top = ranked[0]
    assert top.category == "ibasho" and "Meets an unmet need" in top.reasons
    hit = ranked[refs.index(str(near_ibasho))]
    assert "In the person's area" in hit.reasons
    assert "Accessibility noted" in hit.reasons and hit.schedule


def test_capacity_stops_a_full_menu_being_proposed(sqlite_env: Env) -> None:
    # given the usuki 農園 work trial (3 places) with three people started on it
    env = sqlite_env

    async def go(db: Database) -> None:
        tenant_id, config = await tenant_setup(db, "usuki")
        ids = [
            await _needy_case(db, "usuki", "nozu", ["work_trial"], name=f"農園 太郎{n}")
            for n in range(4)
        ]
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            await s.execute(
                ParticipationMatch.__table__.update()
                .where(ParticipationMatch.menu_key == "noen")
                .values(status="ended", ended_reason="other")
            )
            cases = [(await s.execute(select(Case).where(Case.id == i))).scalar_one() for i in ids]
            for case in cases[:3]:
                m = await do_propose_match(
                    s, actor, config, case, kind="menu", ref="noen", today=today()
                )
                await do_start_match(s, actor, config, m, on=today())
            # when a fourth person is proposed for it
            full = next(
                c for c in await candidates(s, config, cases[3], today()) if c.ref == "noen"
            )
            # then it shows as full, ranked below, and proposing it is refused
            assert full.full and full.free == 0 and "Full" in full.reasons
            with pytest.raises(CaseRuleError, match="no free places"):
                await do_propose_match(
                    s, actor, config, cases[3], kind="menu", ref="noen", today=today()
                )
            await s.rollback()

    env.run(go)


def test_propose_start_retention_end_and_a_failed_match_adds_a_gap(sqlite_env: Env) -> None:
    # given a usuki case that needs a place to belong
    env = sqlite_env

    async def go(db: Database) -> None:
        tenant_id, config = await tenant_setup(db, "usuki")
        case_id = await _needy_case(db, "usuki", "chuo", ["ibasho"], name="流れ 次郎")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = (await s.execute(select(Case).where(Case.id == case_id))).scalar_one()
            # when the サロン is proposed, started, followed up and ended
            m = await do_propose_match(
                s, actor, config, case, kind="menu", ref="salon", today=today()
            )
            assert m.status == "proposed" and m.category == "ibasho"
            with pytest.raises(CaseRuleError):
                await do_log_retention(s, actor, m, on=today(), note="早すぎる")
            await do_start_match(s, actor, config, m, on=today())
            await do_log_retention(s, actor, m, on=today(), note="楽しく通えている")
            with pytest.raises(CaseRuleError, match="Choose why"):
                await do_end_match(s, actor, case, m, reason="", on=today())
            await do_end_match(s, actor, case, m, reason="goal_reached", on=today())
            # and a second proposal fails because no place fits
            second = next(
                c for c in await candidates(s, config, case, today()) if c.kind == "service"
            )
            m2 = await do_propose_match(
                s, actor, config, case, kind="service", ref=second.ref, today=today()
            )
            await do_end_match(s, actor, case, m2, reason="no_place_fits", on=today())
        async with db.session(tenant_id) as s:
            # then the contact is kept sealed and reads back, the first match ended as hoped
            row = (
                await s.execute(select(ParticipationMatch).where(ParticipationMatch.id == m.id))
            ).scalar_one()
            assert (row.status, row.ended_reason) == ("ended", "goal_reached")
            assert row.started_on == today() and row.ended_on == today()
            contacts = await retention_contacts(s, [m.id])
            assert [n for _d, n in contacts[m.id]] == ["楽しく通えている"]
            # … and the failed one is a resource gap from a match, in the case's area
            gaps = list(
                (
                    await s.execute(select(ResourceGap).where(ResourceGap.source_id == m2.id))
                ).scalars()
            )
            assert [(g.source, g.area_key, g.category) for g in gaps] == [
                ("match", "chuo", m2.category)
            ]

    env.run(go)


def _csrf_page(client: Any, url: str) -> tuple[Any, str]:
    page = client.get(url)
    return page, csrf_of(page.text)


def test_the_page_proposes_and_starts_and_kodomo_gets_404(sqlite_env: Env) -> None:
    # given a usuki case in 中央 needing a place to belong
    env = sqlite_env
    case_id = env.run(_needy_case, "usuki", "chuo", ["ibasho"], "画面 三郎")
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        # when the caseworker opens its participation page from the case page
        assert f"/cases/{case_id}/participation" in client.get(f"/cases/{case_id}").text
        page, token = _csrf_page(client, f"/cases/{case_id}/participation")
        assert page.status_code == 200 and "ふれあいいきいきサロン" in page.text
        # and proposes the サロン, then starts it
        done = client.post(
            f"/cases/{case_id}/participation/propose",
            data={"kind": "menu", "ref": "salon", "_csrf_token": token},
        )
        assert done.status_code == 200
        match_id = re.search(r"/participation/matches/([0-9a-f-]{36})/start", done.text)
        assert match_id
        started = client.post(
            f"/participation/matches/{match_id.group(1)}/start",
            data={"on": today().isoformat(), "_csrf_token": token},
        )
        # then the match is started; a bad date is refused with a message
        assert started.status_code == 200 and "match-started" in started.text
        bad = client.post(
            f"/participation/matches/{match_id.group(1)}/retention",
            data={"occurred_on": "x", "note": "a", "_csrf_token": token},
        )
        assert bad.status_code == 422 and 'role="alert"' in bad.text
        # and a form that leaves a field out gets the same message, not a bare 400
        missing = client.post(
            f"/participation/matches/{match_id.group(1)}/end", data={"_csrf_token": token}
        )
        assert missing.status_code == 422 and 'role="alert"' in missing.text
        assert "日付" in missing.text or "date" in missing.text
    # and a kodomo user (not taking part in the case) gets the plain 404
    with tenant_client(env, "usuki") as client:
        assert login(client, "kodomo").status_code == 302
        assert client.get(f"/cases/{case_id}/participation").status_code == 404


def test_marugame_never_sees_usuki_services_as_candidates(sqlite_env: Env) -> None:
    # given usuki's registry services and a marugame case needing a place to belong
    env = sqlite_env

    async def usuki_ids(db: Database) -> set[str]:
        tenant_id, _ = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            return {str(i) for i in (await s.execute(select(Service.id))).scalars()}

    usuki = env.run(usuki_ids)
    case_id = env.run(_needy_case, "marugame", None, ["ibasho"], "丸亀 四郎")
    # when the marugame case's candidates are ranked
    ranked = _ranked(env, "marugame", case_id)
    # then none is a usuki service, and proposing one by its id is refused
    assert ranked and not {c.ref for c in ranked} & usuki

    async def propose_foreign(db: Database) -> None:
        tenant_id, config = await tenant_setup(db, "marugame")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = (await s.execute(select(Case).where(Case.id == case_id))).scalar_one()
            with pytest.raises(CaseRuleError):
                await do_propose_match(
                    s, actor, config, case, kind="service", ref=sorted(usuki)[0], today=today()
                )

    env.run(propose_foreign)


def test_the_case_page_loads_the_top_suggestions_and_proposes_one(sqlite_env: Env) -> None:
    # given a usuki case in 中央 needing a place to belong
    env = sqlite_env
    case_id = env.run(_needy_case, "usuki", "chuo", ["ibasho"], "提案 五郎")
    best = [c.ref for c in _ranked(env, "usuki", case_id) if not c.full][:3]
    with tenant_client(env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        # when the caseworker opens the case page
        case_page = client.get(f"/cases/{case_id}")
        # then it loads the suggestions with htmx, with a plain link for no JavaScript
        box = case_page.text.split('id="suggestions-box"')[1].split("</div>")[0]
        assert f'hx-get="/cases/{case_id}/participation/suggestions"' in box
        assert 'hx-trigger="load"' in box and f'href="/cases/{case_id}/participation"' in box
        # and the fragment holds the best three of the participation ranking, in its order
        fragment = client.get(
            f"/cases/{case_id}/participation/suggestions", headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 200 and "<html" not in fragment.text
        shown = re.findall(r'class="suggestion" data-kind="\w+" data-ref="([^"]+)"', fragment.text)
        assert shown == best and len(shown) == 3
        # when the first one is proposed from there
        first = re.search(r'data-kind="(\w+)" data-ref="([^"]+)"', fragment.text)
        assert first
        done = client.post(
            f"/cases/{case_id}/participation/propose",
            data={
                "kind": first.group(1),
                "ref": first.group(2),
                "_csrf_token": csrf_of(case_page.text),
            },
        )
        # then the match flow starts: the participation page shows it proposed, and it
        # leaves the suggestions
        assert done.status_code == 200 and "match-proposed" in done.text
        again = client.get(f"/cases/{case_id}/participation/suggestions")
        assert f'data-ref="{first.group(2)}"' not in again.text and "<html" in again.text
    # and a kodomo user (not taking part in the case) gets the plain 404
    with tenant_client(env, "usuki") as client:
        assert login(client, "kodomo").status_code == 302
        assert client.get(f"/cases/{case_id}/participation/suggestions").status_code == 404
