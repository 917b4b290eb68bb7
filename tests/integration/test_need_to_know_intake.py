"""Need-to-know on every path that finds people by what was typed: the intake's duplicate
check, linking an intake or an outreach record to a known person.

The caseworker (the elderly-care agency) records a person; the ``kodomo`` account (the
children's agency, which takes no part) types the same details. It must learn only that a
possible match exists elsewhere — no name, no id — and cannot link its intake to that person.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from kasane.core.audit.models import AuditEvent
from kasane.core.intake.models import Consultation
from kasane.core.people.models import Person
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_intake import _case_id, _query

SLUGS = ["usuki", "marugame"]


def _record(client, counter: str, **fields: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/intake/new?counter={counter}")
    assert page.status_code == 200
    data = {
        "_csrf_token": csrf_of(page.text),
        "counter": counter,
        "received_on": "2026-11-02",
        "channel": "visit_counter",
        "categories": ["care"],
        "main_category": "care",
        "narrative": "相談内容",
        "outcome": "continued",
        **fields,
    }
    return client.post("/intake", data=data, follow_redirects=False)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_duplicate_check_hides_people_outside_need_to_know(sqlite_env: Env, slug: str) -> None:
    token = uuid.uuid4().hex[:8]
    name, kana, born = f"秘匿 太郎 {token}", f"ひとく たろう {token}", "1950-05-05"
    # given the caseworker's agency recorded a person and works with them
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        r = _record(cw, "hokatsu", name=name, kana=kana, birth_date=born)
        assert r.status_code == 303
        case_id = _case_id(r)
        assert cw.get(f"/cases/{case_id}").status_code == 200
    (person_id,) = _query(sqlite_env, slug, select(Person.id).where(Person.name == name))[0]

    with tenant_client(sqlite_env, slug) as kodomo:
        login(kodomo, "kodomo")
        counter = "kodomo"
        csrf = csrf_of(kodomo.get(f"/intake/new?counter={counter}").text)
        # when the children's agency types the same name, reading and date of birth
        fragment = kodomo.post(
            "/intake/duplicates",
            data={"name": name, "kana": kana, "birth_date": born},
            headers={"x-csrftoken": csrf, "HX-Request": "true"},
        )
        # then it learns that a match exists elsewhere, and nothing that identifies it
        assert fragment.status_code == 200
        assert "別の機関が関わっている人と一致する可能性があります" in fragment.text
        assert str(person_id) not in fragment.text
        assert name not in fragment.text and born not in fragment.text

        # when it posts an intake linked to that person's id anyway
        refused = _record(
            kodomo, counter, name=name, kana=kana, birth_date=born, person_id=str(person_id)
        )
        # then the intake is refused with a message, nothing is recorded for that person,
        # and the person's page stays closed to it
        assert refused.status_code == 422
        assert str(person_id) not in refused.text
        assert "調整機関" in refused.text
        linked = select(func.count()).where(Consultation.person_id == person_id)
        assert _query(sqlite_env, slug, linked)[0][0] == 1
        assert kodomo.get(f"/people/{person_id}").status_code == 404

    # and both the hidden match and the refused link are in the audit log
    refusals = select(AuditEvent.action, AuditEvent.detail).where(
        AuditEvent.action.in_(["person.link_refused", "person.duplicate_search"])
    )
    rows = _query(sqlite_env, slug, refusals)
    assert any(a == "person.link_refused" and str(person_id) in str(d) for a, d in rows)
    assert any(
        a == "person.duplicate_search" and str(person_id) in json.loads(d)["elsewhere"]
        for a, d in rows
    )


def test_the_agency_that_works_with_the_person_still_sees_and_links_them(sqlite_env: Env) -> None:
    token = uuid.uuid4().hex[:8]
    name, kana, born = f"継続 次郎 {token}", f"けいぞく じろう {token}", "1951-06-06"
    with tenant_client(sqlite_env, "usuki") as cw:
        login(cw, "caseworker")
        counter = "hokatsu"
        assert _record(cw, counter, name=name, kana=kana, birth_date=born).status_code == 303
        (person_id,) = _query(sqlite_env, "usuki", select(Person.id).where(Person.name == name))[0]
        csrf = csrf_of(cw.get(f"/intake/new?counter={counter}").text)
        fragment = cw.post(
            "/intake/duplicates",
            data={"name": name, "kana": kana, "birth_date": born},
            headers={"x-csrftoken": csrf, "HX-Request": "true"},
        )
        # the agency in the case sees the person, with the id to link
        assert f'value="{person_id}"' in fragment.text and name in fragment.text
        again = _record(
            cw,
            counter,
            name=name,
            kana=kana,
            birth_date=born,
            person_id=str(person_id),
            outcome="info_only",
        )
        assert again.status_code == 303
    linked = select(func.count()).where(Consultation.person_id == person_id)
    assert _query(sqlite_env, "usuki", linked)[0][0] == 2


def test_another_tenants_person_id_is_refused_like_an_unknown_one(sqlite_env: Env) -> None:
    token = uuid.uuid4().hex[:8]
    name = f"他市 花子 {token}"
    with tenant_client(sqlite_env, "marugame") as other:
        login(other, "caseworker")
        assert _record(other, "hokatsu", name=name, kana="たし はなこ")
    (foreign,) = _query(sqlite_env, "marugame", select(Person.id).where(Person.name == name))[0]
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "supervisor")  # sees every person of its own town, none of another
        counter = "general"
        r = _record(c, counter, name=name, kana="たし はなこ", person_id=str(foreign))
        unknown = _record(c, counter, name=name, kana="たし はなこ", person_id=str(uuid.uuid4()))
    assert r.status_code == unknown.status_code == 422
    assert str(foreign) not in r.text
