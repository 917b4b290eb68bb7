"""The person page: consent ledger, household patterns, merging duplicates, need-to-know,
and the 開示請求 export."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kasane.core import i18n, plugins
from kasane.core.audit.services import count_events, fold_reads
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case
from kasane.core.cases.services import CaseRuleError, do_add_agency
from kasane.core.db import Database
from kasane.core.intake.models import Consultation
from kasane.core.japan_time import today_jst
from kasane.core.people.models import Person
from kasane.core.people.patterns import PATTERN_LABELS
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from tests.conftest import Env, csrf_of, login, tenant_client


def _years_ago(years: int) -> str:
    """A birth date that makes someone exactly ``years`` old today (1 January)."""
    return date(today_jst().year - years, 1, 1).isoformat()


def _intake(env: Env, client: TestClient, **fields: Any) -> uuid.UUID:
    """Take a consultation at the hokatsu counter (a case led by hokatsu); the person's id."""
    page = client.get("/intake/new?counter=hokatsu")
    data: dict[str, Any] = {
        "_csrf_token": csrf_of(page.text),
        "counter": "hokatsu",
        "received_on": today_jst().isoformat(),
        "channel": "phone",
        "kana": "ひと",
        "name": f"人 {uuid.uuid4().hex[:8]}",
        "categories": ["care"],
        "main_category": "care",
        "outcome": "continued",
    }
    data.update(fields)
    r = client.post("/intake", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    case_id = uuid.UUID(r.headers["location"].rsplit("/", 1)[1])
    (row,) = _rows(env, "usuki", select(Case.person_id).where(Case.id == case_id))
    return row[0]


def _rows(env: Env, slug: str, stmt: Any) -> list[Any]:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> list[Any]:
        async with db.session(tenant_id) as s:
            return list((await s.execute(stmt)).all())

    return env.run(go)


def _events(env: Env, action: str) -> int:
    tenant_id = env.tenant_id("usuki")

    async def go(db: Database) -> int:
        async with db.session(tenant_id) as s:
            await fold_reads(s)  # reads reach the hash chain by the fold
            return await count_events(s, action)

    return env.run(go)


def _post(client: TestClient, path: str, **data: Any):  # type: ignore[no-untyped-def]
    token = client.cookies["kasane_csrf"]
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def _add_agency(env: Env, person_id: uuid.UUID, agency: str) -> str | None:
    """Bring ``agency`` into the person's case as the caseworker; the refusal, if any."""

    async def go(db: Database) -> str | None:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, "usuki")
        assert tenant is not None
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        async with db.session(tenant.id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            case = (await s.execute(select(Case).where(Case.person_id == person_id))).scalar_one()
            try:
                await do_add_agency(s, ActorInfo.of(account), config, case, agency, today_jst())
            except CaseRuleError as exc:
                return str(exc)
            return None

    return env.run(go)


def test_consent_is_recorded_and_withdrawn_and_then_sharing_is_refused(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        person = _intake(sqlite_env, c)
        # given the person's written consent to share with all agencies for support
        r = _post(
            c,
            f"/people/{person}/consents",
            **{
                "consent-agencies": "*",
                "consent-purposes": "support",
                "consent-obtained_on": today_jst().isoformat(),
                "consent-method": "written",
            },
        )
        assert r.status_code == 303
        page = c.get(f"/people/{person}").text
        assert i18n.gettext("All agencies") in page and "/withdraw" in page
        # then an agency may be brought into the case
        assert _add_agency(sqlite_env, person, "kikan") is None
        # when the consent is withdrawn
        withdrawals = _events(sqlite_env, "consent.withdraw")
        action = re.search(r'action="(/people/consents/[0-9a-f-]+/withdraw)"', page)
        assert action
        r = _post(c, action.group(1), note="本人の申し出")
        assert r.status_code == 303
        page = c.get(f"/people/{person}").text
    # then the ledger shows the withdrawal, it is audited, and sharing is refused
    assert "本人の申し出" in page and "/withdraw" not in page
    assert _events(sqlite_env, "consent.withdraw") == withdrawals + 1
    assert _add_agency(sqlite_env, person, "shakyo") is not None


def test_a_consent_without_purposes_is_refused_naming_the_field(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        person = _intake(sqlite_env, c)
        c.cookies.set("kasane_lang", "en")
        r = _post(c, f"/people/{person}/consents", **{"consent-agencies": "*"})
    assert r.status_code == 422
    assert '<a href="#consent-purposes-1">Purposes: choose at least one</a>' in r.text
    assert re.search(r'value="\*"\s+checked', r.text)  # what was chosen is kept


def test_an_8050_household_shows_its_pattern(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        # given a parent aged 82
        parent = _intake(sqlite_env, c, birth_date=_years_ago(82))
        # when their child aged 52, withdrawn, is added to the household
        r = _post(
            c,
            f"/people/{parent}/household/members",
            **{
                "member-name": f"子 {uuid.uuid4().hex[:6]}",
                "member-birth_date": _years_ago(52),
                "member-relation": "child",
                "member-withdrawn": "on",
            },
        )
        assert r.status_code == 303
        page = c.get(f"/people/{parent}").text
    # then the household shows both ages and the 8050 badge
    assert i18n.gettext(PATTERN_LABELS["8050"]) in page  # 8050世帯
    assert re.search(r'class="badge pattern"', page)
    assert "<td>82</td>" in page and "<td>52</td>" in page
    assert i18n.gettext("Child") in page


def test_a_merge_moves_consultations_to_the_survivor_and_is_audited(sqlite_env: Env) -> None:
    token = uuid.uuid4().hex[:8]
    born = "1950-0" + str(int(token[0], 16) % 9 + 1) + "-15"
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        # given the same person registered twice (髙橋 / 高橋, same birth date)
        survivor = _intake(sqlite_env, c, name=f"髙橋 {token}", birth_date=born)
        duplicate = _intake(sqlite_env, c, name=f"高橋 {token}", birth_date=born)
        # a caseworker may not merge (person:records:merge): refused whatever the id
        assert _post(c, f"/people/{survivor}/merge", duplicate_id=str(duplicate)).status_code == 403
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "supervisor")
        page = c.get(f"/people/{survivor}").text
        assert f'name="duplicate_id" value="{duplicate}"' in page
        merges = _events(sqlite_env, "person.merge")
        # when the supervisor merges the duplicate into the survivor
        r = _post(c, f"/people/{survivor}/merge", duplicate_id=str(duplicate))
        assert r.status_code == 303
        # then the old record leads to the survivor
        assert c.get(f"/people/{duplicate}", follow_redirects=False).headers["location"] == (
            f"/people/{survivor}"
        )
    moved = _rows(
        sqlite_env,
        "usuki",
        select(Consultation.person_id).where(Consultation.person_id.in_([survivor, duplicate])),
    )
    assert [row[0] for row in moved] == [survivor, survivor]
    (merged,) = _rows(
        sqlite_env, "usuki", select(Person.merged_into_id).where(Person.id == duplicate)
    )
    assert merged[0] == survivor
    assert _events(sqlite_env, "person.merge") == merges + 1


@pytest.mark.parametrize(
    "path", ["/people/{id}", "/people/{id}/export", "/people/{id}/export.json"]
)
def test_an_agency_outside_the_case_gets_the_plain_404(any_env: Env, path: str) -> None:
    with tenant_client(any_env, "usuki") as c:
        login(c, "caseworker")
        person = _intake(any_env, c)
    with tenant_client(any_env, "usuki") as c:
        # given the children's centre, which takes no part in the person's case
        login(c, "kodomo")
        # when it asks for the person, then it is told exactly what a missing id gets
        theirs, missing = c.get(path.format(id=person)), c.get(path.format(id=uuid.uuid4()))
    # (the export is not a caseworker's at all: 403 for any id, before any lookup)
    expected = 404 if path == "/people/{id}" else 403
    assert theirs.status_code == missing.status_code == expected
    assert theirs.text == missing.text


def test_the_export_is_for_the_municipal_section_and_opens_the_narrative(sqlite_env: Env) -> None:
    narrative = f"夜間に徘徊があり、家族が疲れている。{uuid.uuid4().hex[:6]}"
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        person = _intake(sqlite_env, c, narrative=narrative)
        # the caseworker's agency takes part, but 開示請求 is not theirs to answer
        assert c.get(f"/people/{person}").status_code == 200
        assert c.get(f"/people/{person}/export.json").status_code == 403
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "supervisor")
        exports = _events(sqlite_env, "person.export")
        # when the supervisor exports the person's record
        r = c.get(f"/people/{person}/export.json")
        printable = c.get(f"/people/{person}/export")
    # then the JSON holds the consultation with its sealed narrative opened, and it is audited
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    record = r.json()
    assert record["person"]["id"] == str(person)
    assert [c["sealed"]["narrative"] for c in record["consultations"]] == [narrative]
    assert record["cases"] and record["cases"][0]["stage_events"]
    assert printable.status_code == 200 and narrative in printable.text
    assert _events(sqlite_env, "person.export") == exports + 2


def test_reading_a_person_is_audited(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        person = _intake(sqlite_env, c)
        reads = _events(sqlite_env, "person.read")
        assert c.get(f"/people/{person}").status_code == 200
    assert _events(sqlite_env, "person.read") == reads + 1


def test_a_merge_moves_participation_matches_too(sqlite_env: Env) -> None:
    from kasane.core.participation.models import ParticipationMatch
    from kasane.core.people.services import do_create_person, do_merge_people, get_person
    from tests.integration.test_outreach import actor_of

    tenant_id = sqlite_env.tenant_id("marugame")

    async def go(db: Database) -> tuple[uuid.UUID, list[uuid.UUID], uuid.UUID]:
        async with db.session(tenant_id) as s:
            match = (await s.execute(select(ParticipationMatch).limit(1))).scalar_one()
            duplicate = await get_person(s, match.person_id)
            actor = await actor_of(s, "supervisor")
            survivor = await do_create_person(s, actor, name=duplicate.name, kana=duplicate.kana)
            await do_merge_people(s, actor, survivor, duplicate)
            left = (
                await s.execute(
                    select(ParticipationMatch.id).where(
                        ParticipationMatch.person_id == duplicate.id
                    )
                )
            ).scalars()
            left_ids = list(left)
            moved_to = (
                await s.execute(
                    select(ParticipationMatch.person_id).where(ParticipationMatch.id == match.id)
                )
            ).scalar_one()
            survivor_id = survivor.id
            await s.rollback()  # the shared demo data stays as it was
            return moved_to, left_ids, survivor_id

    moved_to, left_behind, survivor_id = sqlite_env.run(go)
    assert left_behind == [] and moved_to == survivor_id
