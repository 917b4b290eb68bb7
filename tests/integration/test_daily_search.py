"""Search in the header (issue 12): by name, kana, 異体字, phone and case number, within
need-to-know; the results page works as a plain GET form; htmx gets the live list. Both demo
towns, an agency that does not take part (``kodomo``) and the other town."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from kasane.core.cases.models import Case
from tests.conftest import Env, login, tenant_client
from tests.integration.test_intake import _case_id, _intake, _query

SLUGS = ["usuki", "marugame"]


@pytest.mark.parametrize("slug", SLUGS)
def test_search_finds_my_person_by_every_spelling_and_hides_them_from_others(
    sqlite_env: Env, slug: str
) -> None:
    token = uuid.uuid4().hex[:6]
    name, kana = f"髙橋 検索 {token}", f"たかはし けんさく {token}"
    phone = "090-" + str(uuid.uuid4().int)[:4] + "-" + str(uuid.uuid4().int)[:4]
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        case_id = _case_id(
            _intake(cw, name=name, kana=kana, phone_mobile=phone, outcome="continued")
        )
        (case_no,) = _query(sqlite_env, slug, select(Case.case_no).where(Case.id == case_id))[0]
        # when the caseworker searches by the 異体字-folded name, the katakana reading, the
        # last digits of the phone in full-width digits, and the case number
        by_name = cw.get("/search", params={"q": f"高橋 検索 {token}"})
        by_kana = cw.get("/search", params={"q": f"タカハシ ケンサク {token}"})
        digits = phone.replace("-", "")[-8:]
        by_phone = cw.get(
            "/search",
            params={"q": digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))},
        )
        by_number = cw.get("/search", params={"q": str(case_no)})
        live = cw.get(
            "/search",
            params={"q": f"たかはし けんさく {token}"},
            headers={"HX-Request": "true", "HX-Target": "search-live"},
        )
    # then each finds the person and the case, as a page without script needs
    for page in (by_name, by_kana, by_phone):
        assert page.status_code == 200 and name in page.text, page.text[-2000:]
        assert f"/cases/{case_id}" in page.text
    assert f"/cases/{case_id}" in by_number.text
    assert by_name.text.startswith("<!doctype html>")
    # and htmx gets the live list alone, with a link to the results page
    assert not live.text.lstrip().startswith("<!doctype") and name in live.text
    assert "/search?q=" in live.text

    # an agency that does not take part learns only that a match exists elsewhere
    with tenant_client(sqlite_env, slug) as kodomo:
        login(kodomo, "kodomo")
        other = kodomo.get("/search", params={"q": f"高橋 検索 {token}"})
        by_number_elsewhere = kodomo.get("/search", params={"q": str(case_no)})
    assert other.status_code == 200 and name not in other.text
    assert str(case_id) not in other.text
    assert "別の機関が関わっている人と一致する可能性があります" in other.text
    assert str(case_id) not in by_number_elsewhere.text
    # and the other town finds nothing at all
    elsewhere = "marugame" if slug == "usuki" else "usuki"
    with tenant_client(sqlite_env, elsewhere) as c:
        login(c, "caseworker")
        r = c.get("/search", params={"q": f"高橋 検索 {token}"})
    assert name not in r.text and "別の機関" not in r.text


@pytest.mark.parametrize("slug", SLUGS)
def test_the_header_offers_search_to_case_staff_only(sqlite_env: Env, slug: str) -> None:
    with tenant_client(sqlite_env, slug) as cw, tenant_client(sqlite_env, slug) as reg:
        login(cw, "caseworker")
        login(reg, "registry")
        assert 'role="search"' in cw.get("/").text and 'aria-keyshortcuts="/"' in cw.get("/").text
        assert 'id="header-q"' not in reg.get("/").text
        # a blank query is a page that explains what to type
        blank = cw.get("/search")
    assert blank.status_code == 200 and "事例番号を入力してください" in blank.text


def test_wildcards_are_plain_characters(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as sv:
        login(sv, "supervisor")  # sees every person: a wildcard would list them all
        r = sv.get("/search", params={"q": "%"})
    assert r.status_code == 200 and "一致するものはありません" in r.text


@pytest.mark.parametrize("slug", SLUGS)
def test_an_agenda_names_the_person_to_the_meetings_members(sqlite_env: Env, slug: str) -> None:
    from kasane.core.meetings.models import AgendaItem
    from kasane.core.people.models import Person

    rows = _query(
        sqlite_env,
        slug,
        select(AgendaItem.meeting_id, Person.name, AgendaItem.title)
        .join(Case, (Case.id == AgendaItem.case_id) & (Case.tenant_id == AgendaItem.tenant_id))
        .join(Person, (Person.id == Case.person_id) & (Person.tenant_id == Case.tenant_id)),
    )
    assert rows, "the demo has agendas"
    with tenant_client(sqlite_env, slug) as sv:
        login(sv, "supervisor")  # the coordinating agency is a member of every meeting
        for meeting_id, name, title in rows[:3]:
            page = sv.get(f"/meetings/{meeting_id}")
            assert page.status_code == 200
            # then the agenda says whom each item is about, not only 「No.19」
            assert name in page.text and title in page.text
