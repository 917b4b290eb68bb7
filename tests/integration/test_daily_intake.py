"""Intake (issue 12), in both demo towns: the 来談者 joins the household with their 続柄;
dates that cannot be true are refused naming the field, keeping what was typed; whoever
records an intake at a counter another agency leads keeps what they recorded."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Env, login, tenant_client
from tests.integration.test_intake import _case_id, _intake

SLUGS = ["usuki", "marugame"]


@pytest.mark.parametrize("slug", SLUGS)
def test_the_visitor_joins_the_household_and_the_case_shows_the_intake(
    sqlite_env: Env, slug: str
) -> None:
    token = uuid.uuid4().hex[:6]
    son, mother = f"八〇 息子 {token}", f"八〇 母 {token}"
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        # given the mother comes to talk about her son who has withdrawn for years
        r = _intake(
            cw,
            name=son,
            kana=f"はちまる むすこ {token}",
            birth_date="1974-05-01",
            visitor_name=mother,
            visitor_relation="母",
            visitor_household="parent",
            narrative="息子が20年ひきこもっている。",
            outcome="multi_agency",
        )
        assert r.status_code == 303, r.text[-1500:]
        page = cw.get(f"/cases/{_case_id(r)}")
    # then the case shows the household with the mother as 親, and the intake as recorded
    household = page.text.split('id="household"', 1)[1].split("</section>", 1)[0]
    assert mother in household and "親" in household
    intake = page.text.split('id="intake"', 1)[1].split("</section>", 1)[0]
    assert "来談者" in intake and mother in intake and "息子が20年ひきこもっている。" in intake


@pytest.mark.parametrize("slug", SLUGS)
def test_future_dates_are_refused_naming_the_field(sqlite_env: Env, slug: str) -> None:
    name = f"未来 日付 {uuid.uuid4().hex[:6]}"
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        r = _intake(cw, name=name, received_on="2031-01-01", birth_date="2040-01-01")
    assert r.status_code == 422
    assert "受付日：未来の日付は指定できません" in r.text
    assert "生年月日：未来の日付は指定できません" in r.text
    assert name in r.text and "2031-01-01" in r.text  # nothing typed is lost


@pytest.mark.parametrize("slug", SLUGS)
def test_the_recorder_keeps_what_they_recorded_at_another_agencys_counter(
    sqlite_env: Env, slug: str
) -> None:
    name = f"窓口 別機関 {uuid.uuid4().hex[:6]}"
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")  # the elderly-care agency
        # when they record a consultation at the children's counter that goes on as support
        r = _intake(cw, counter="kodomo", name=name, outcome="continued", narrative="子の不登校")
        # then they are not sent to a page that is not found, but to the person's page
        assert r.status_code == 303 and r.headers["location"].startswith("/people/")
        person = cw.get(r.headers["location"])
    assert person.status_code == 200 and name in person.text
    mine = person.text.split('id="my-intakes"', 1)[1].split("</section>", 1)[0]
    assert "子の不登校" in mine
    # and the children's agency leads the case
    with tenant_client(sqlite_env, slug) as kodomo:
        login(kodomo, "kodomo")
        assert name in kodomo.get("/").text
