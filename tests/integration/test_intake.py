"""Intake at any counter, as staff see it: the form, refusals that keep what was typed, the
duplicate check, and what each outcome leaves behind."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import func, select

from kasane.core import i18n
from kasane.core.cases.models import Case
from kasane.core.db import Database
from kasane.core.intake.models import Consultation
from kasane.core.japan_time import today_jst
from kasane.core.people.models import Person
from kasane.core.protection.mynumber import is_valid_mynumber
from kasane.core.referrals.models import Referral
from tests.conftest import Env, csrf_of, login, tenant_client


def _token() -> str:
    return uuid.uuid4().hex[:8]


def _mynumber() -> str:
    """A 12-digit number with a valid My Number check digit."""
    body = "12345678901"
    return next(body + d for d in "0123456789" if is_valid_mynumber(body + d))


def _form(client: TestClient, counter: str = "hokatsu") -> str:
    page = client.get(f"/intake/new?counter={counter}")
    assert page.status_code == 200
    return csrf_of(page.text)


def _intake(client: TestClient, counter: str = "hokatsu", **fields: Any):  # type: ignore[no-untyped-def]
    """POST the intake form as a browser would (fields override sensible defaults)."""
    data: dict[str, Any] = {
        "_csrf_token": _form(client, counter),
        "counter": counter,
        "received_on": "2026-04-01",
        "channel": "visit_counter",
        "kana": "しけん はなこ",
        "name": f"試験 花子 {_token()}",
        "categories": ["care", "family"],
        "main_category": "care",
        "narrative": "母の介護で眠れていない。",
        "outcome": "info_only",
    }
    data.update(fields)
    return client.post("/intake", data=data, follow_redirects=False)


def _query(env: Env, slug: str, stmt: Any) -> list[Any]:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> list[Any]:
        async with db.session(tenant_id) as s:
            return list((await s.execute(stmt)).all())

    return env.run(go)


def _case_id(response: Any) -> uuid.UUID:
    match = re.fullmatch(r"/cases/([0-9a-f-]{36})", response.headers["location"])
    assert match, response.headers.get("location")
    return uuid.UUID(match.group(1))


def test_the_intake_page_offers_the_tenants_own_counters(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        assert login(c, "caseworker").status_code == 302
        # when the caseworker opens the intake page
        page = c.get("/intake")
    # then each of usuki's counters is a link to its form, and marugame's are not there
    assert page.status_code == 200
    assert 'href="/intake/new?counter=hokatsu"' in page.text
    assert "臼杵市地域包括支援センター" in page.text and "まるごと" not in page.text


def test_the_form_has_national_and_local_fields_and_dates_default_to_today(
    sqlite_env: Env,
) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        page = c.get("/intake/new?counter=hokatsu").text
    assert 'id="narrative"' in page and 'id="reception_office-1"' in page  # 臼杵市の項目
    assert 'id="section-person"' in page and 'hx-post="/intake/duplicates"' in page
    assert 'name="outcome"' in page and 'name="referred_to"' in page
    assert re.search(r'id="received_on"[^>]*value="\d{4}-\d{2}-\d{2}"', page)


def test_multi_agency_opens_a_collaborative_case_led_by_the_counter(sqlite_env: Env) -> None:
    # (丸亀市 has no routing rule: the core's applies. 臼杵市's rule hands 多機関協働 to
    # 地域力創生課 — tests/integration/test_rules_pages.py)
    with tenant_client(sqlite_env, "marugame") as c:
        login(c, "caseworker")
        # when a consultation at the hokatsu counter goes to multi-agency collaboration
        r = _intake(c, "hokatsu", outcome="multi_agency")
    # then the browser is sent to the new case …
    assert r.status_code == 303
    case_id = _case_id(r)
    # … which hokatsu leads with 多機関協働 under way, and the record keeps its form version
    (case,) = _query(sqlite_env, "marugame", select(Case).where(Case.id == case_id))
    assert case[0].lead_agency_key == "hokatsu" and case[0].collaboration is True
    (row,) = _query(
        sqlite_env, "marugame", select(Consultation).where(Consultation.case_id == case_id)
    )
    assert row[0].form_version == "national-2021.1+marugame-2025.1"
    assert row[0].outcome == "multi_agency" and row[0].counter_key == "hokatsu"


def test_a_my_number_in_the_details_is_refused_keeping_what_was_typed(sqlite_env: Env) -> None:
    name = f"番号 次郎 {_token()}"
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        # when the details contain a 12-digit number with a valid check digit
        r = _intake(c, name=name, narrative=f"個人番号は {_mynumber()} です", outcome="continued")
    # then the form comes back refused, the details field marked and named in the summary …
    assert r.status_code == 422
    assert re.search(r'<textarea id="narrative"[^>]*aria-invalid="true"', r.text)
    assert 'aria-describedby="narrative-error"' in r.text and 'href="#narrative"' in r.text
    message = re.search(r'id="narrative-error">([^<]+)<', r.text)
    assert message and i18n.gettext("Details") in message.group(1)  # 相談の詳細
    assert 'role="alert"' in r.text
    # … every other typed value is still there …
    assert f'value="{name}"' in r.text and 'value="しけん はなこ"' in r.text
    assert re.search(r'value="care"\s+checked', r.text)
    # … and nothing was saved
    assert _query(sqlite_env, "usuki", select(Person.id).where(Person.name == name)) == []


def test_missing_required_fields_are_each_named(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        c.cookies.set("kasane_lang", "en")
        # when the form is sent with only the counter
        r = c.post(
            "/intake",
            data={"_csrf_token": _form(c), "counter": "hokatsu"},
            follow_redirects=False,
        )
    # then each missing field is named, and each message links to its field
    assert r.status_code == 422
    for message, anchor in [
        ("Name is required", "name"),
        ("Furigana is required", "kana"),
        ("Channel is required", "channel-1"),
        ("Consultation topics: choose at least one", "categories-1"),
        ("Main topic is required", "main_category"),
        ("Choose what happens next", "outcome-1"),
    ]:
        assert f'<a href="#{anchor}">{message}</a>' in r.text


def test_the_duplicate_check_finds_a_variant_spelling_and_links_to_that_person(
    sqlite_env: Env,
) -> None:
    token = _token()
    born = "1948-03-0" + str(int(token[0], 16) % 9 + 1)
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        # given 髙橋 already known from an earlier consultation
        first = _intake(c, name=f"髙橋 {token}", kana="たかはし", birth_date=born)
        assert first.status_code == 303
        (known,) = _query(
            sqlite_env, "usuki", select(Person.id).where(Person.name == f"髙橋 {token}")
        )
        # when staff type 高橋 with the same date of birth
        csrf = _form(c)
        fragment = c.post(
            "/intake/duplicates",
            data={"name": f"高橋 {token}", "kana": "", "birth_date": born},
            headers={"x-csrftoken": csrf, "HX-Request": "true"},
        )
        # then the earlier record is offered, with why it matched
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert f"髙橋 {token}" in fragment.text and f'value="{known[0]}"' in fragment.text
        assert i18n.gettext("Same date of birth") in fragment.text
        assert 'value="" checked' in fragment.text  # "New person" stays the default
        # when the consultation is recorded for that person
        r = _intake(c, name=f"高橋 {token}", birth_date=born, person_id=str(known[0]))
    assert r.status_code == 303 and r.headers["location"] == "/intake?done=1"
    # then no new person was created and both consultations belong to the known one
    normalized = select(Person.id).where(Person.name.in_([f"高橋 {token}", f"髙橋 {token}"]))
    assert len(_query(sqlite_env, "usuki", normalized)) == 1
    count = select(func.count()).where(Consultation.person_id == known[0])
    assert _query(sqlite_env, "usuki", count)[0][0] == 2


def test_information_only_opens_no_case_and_says_it_was_recorded(sqlite_env: Env) -> None:
    name = f"情報 三郎 {_token()}"
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        r = _intake(c, name=name, outcome="info_only")
        assert r.status_code == 303 and r.headers["location"] == "/intake?done=1"
        done = c.get(r.headers["location"])
    assert 'role="status"' in done.text
    (row,) = _query(
        sqlite_env,
        "usuki",
        select(Consultation)
        .join(Person, Person.id == Consultation.person_id)
        .where(Person.name == name),
    )
    assert row[0].outcome == "info_only" and row[0].case_id is None
    cases = select(Case.id).where(Case.person_id == row[0].person_id)
    assert _query(sqlite_env, "usuki", cases) == []


def test_a_referral_goes_to_the_chosen_agency(sqlite_env: Env) -> None:
    name = f"紹介 四郎 {_token()}"
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        # when a referral is chosen without an agency, the agency is asked for
        refused = _intake(c, name=name, outcome="referral")
        assert refused.status_code == 422 and 'href="#referred_to"' in refused.text
        # when the 基幹相談支援センター is chosen
        r = _intake(c, name=name, outcome="referral", referred_to="kikan")
    assert r.status_code == 303 and r.headers["location"] == "/intake?done=1"
    (person,) = _query(sqlite_env, "usuki", select(Person.id).where(Person.name == name))
    (referral,) = _query(
        sqlite_env, "usuki", select(Referral).where(Referral.person_id == person[0])
    )
    assert referral[0].from_agency_key == "hokatsu" and referral[0].to_agency_key == "kikan"
    assert referral[0].status == "sent"
    assert _query(sqlite_env, "usuki", select(Case.id).where(Case.person_id == person[0])) == []


def test_a_referral_to_the_counters_own_agency_is_refused_and_nothing_is_saved(
    sqlite_env: Env,
) -> None:
    name = f"自機関 五郎 {_token()}"
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        r = _intake(c, name=name, outcome="referral", referred_to="hokatsu")
    assert r.status_code == 422 and 'href="#referred_to"' in r.text
    assert _query(sqlite_env, "usuki", select(Person.id).where(Person.name == name)) == []


def test_an_unknown_counter_is_not_found(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "marugame") as c:
        login(c, "caseworker")
        # usuki's 野津 counter does not exist in marugame
        assert c.get("/intake/new?counter=nozu-general").status_code == 404


def test_a_consultation_at_a_counter_shows_in_its_agencys_recent_list(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "marugame") as c:
        login(c, "caseworker")
        assert _intake(c, "hokatsu", received_on=today_jst().isoformat()).status_code == 303
        page = c.get("/intake").text
    from kasane.core.japan_time import wareki

    assert 'aria-labelledby="recent-h"' in page and wareki(today_jst()) in page  # 和暦
    assert "母の介護" not in page  # no narratives on the list
