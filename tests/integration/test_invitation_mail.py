"""Invitations are delivered by mail when ``KASANE_SMTP_URL`` is set (a real local SMTP
server receives them): the first admin's at signup and a staff member's from
/admin/invitations — naming the town and the recipient only, with a working link."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client
from tests.integration.test_billing import signup_form
from tests.integration.test_jobs import inbox  # noqa: F401  (the aiosmtpd fixture)

AYAGAWA = "373877"


@pytest.fixture(scope="module")
def base_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("mail"))


def test_signup_and_staff_invitations_arrive_by_mail(base_env: Env, inbox: Any) -> None:  # noqa: F811
    box, smtp = inbox
    env = Env(replace(base_env.settings, smtp_url=smtp), base_env.backend)
    # when a municipality signs up
    with tenant_client(env, None) as operator:
        r = signup_form(
            operator,
            municipality_code=AYAGAWA,
            population="23000",
            admin_name="綾川 花子",
            admin_email="hanako@ayagawa.example",
            slug="ayagawa",
        )
    assert r.status_code == 201, r.text[-800:]
    # then its first admin gets the invitation, in Japanese, naming only town and recipient
    [(to, subject, body)] = box.mails
    assert to == ["hanako@ayagawa.example"] and subject == "【かさね】綾川町の管理者としての招待"
    assert body.startswith("綾川 花子 様")
    # the link's end by the date policy: 令和, in Japan time
    assert re.search(r"令和(元|\d+)年\d{1,2}月\d{1,2}日 \d\d:\d\d（日本時間）まで", body)
    link = re.search(r"http://ayagawa\.kasane\.test/invitation\?token=\S+", body)
    assert link
    # and the link opens the invitation page of that town
    with tenant_client(env, "ayagawa") as invitee:
        assert invitee.get(link.group(0).split("kasane.test", 1)[1]).status_code == 200

    # when usuki's admin invites a caseworker
    with tenant_client(env, "usuki") as admin:
        login(admin, "admin")
        page = admin.get("/admin/invitations")
        done = admin.post(
            "/admin/invitations",
            data={
                "_csrf_token": csrf_of(page.text),
                "email": "shokuin@usuki.example",
                "role": "caseworker",
                "agency_key": "hokatsu",
            },
        )
    assert done.status_code == 200
    (to, subject, body) = box.mails[1]
    assert to == ["shokuin@usuki.example"] and subject == "【かさね】臼杵市の職員としての招待"
    assert re.search(r"http://usuki\.kasane\.test/invitation\?token=\S+", body)


def test_an_invitation_from_an_english_browser_arrives_in_english(
    base_env: Env,
    inbox: Any,  # noqa: F811
) -> None:
    box, smtp = inbox
    env = Env(replace(base_env.settings, smtp_url=smtp), base_env.backend)
    # when a municipality signs up from a browser set to English
    with tenant_client(env, None) as operator:
        operator.cookies.set("kasane_lang", "en")
        r = signup_form(
            operator,
            municipality_code="373648",  # 直島町
            population="3000",
            admin_name="Hana Naoshima",
            admin_email="hana@naoshima.example",
            slug="naoshima",
        )
    assert r.status_code == 201, r.text[-800:]
    # then its first admin's invitation is in English, subject and body
    [(to, subject, body)] = box.mails
    assert to == ["hana@naoshima.example"]
    assert subject == "[Kasane] Your invitation as 直島町's administrator"
    assert body.startswith("Dear Hana Naoshima,")
    assert "Open this link to choose a user" in body and "(Japan time)" in body
    assert re.search(r"until \d{4}-\d{2}-\d{2} \d\d:\d\d \(Japan time\)", body)
    assert "様" not in body and "招待" not in body  # nothing of the Japanese template
    link = re.search(r"http://naoshima\.kasane\.test/invitation\?token=\S+", body)
    assert link
    # and it holds nothing personal beyond the recipient's name: no address, no population,
    # no other Japanese than the town and the programme's name
    rest = body.replace(link.group(0), "")
    assert "@" not in rest and "3000" not in rest and "3,000" not in rest
    assert set(re.findall(r"[^\x00-\x7f]+", rest)) == {"直島町", "重層的支援体制整備事業"}
