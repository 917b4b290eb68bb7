"""Invitations are delivered by mail when ``KASANE_SMTP_URL`` is set (a real local SMTP
server receives them): the first admin's at signup and a staff member's from
/admin/invitations — naming the town and the recipient only, with a working link."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client
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
        page = operator.get("/signup")
        r = operator.post(
            "/signup",
            data={
                "municipality_code": AYAGAWA,
                "population": "23000",
                "admin_name": "綾川 花子",
                "admin_email": "hanako@ayagawa.example",
                "slug": "ayagawa",
                "plan": "small",
                "_csrf_token": csrf_of(page.text),
            },
        )
    assert r.status_code == 201, r.text[-800:]
    # then its first admin gets the invitation, in Japanese, naming only town and recipient
    [(to, subject, body)] = box.mails
    assert to == ["hanako@ayagawa.example"] and subject == "【かさね】綾川町の管理者としての招待"
    assert body.startswith("綾川 花子 様")
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
