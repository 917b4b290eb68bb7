"""A new town's first-run setup: the admin's invitation (with its QR code), the setup's
steps, and the checklist of what the town still lacks.

Given a town just signed up (national defaults only: counters of no agency, meetings without
members), when its admin accepts the invitation, then the setup opens and names what is
missing; after two agencies, counters tied to them, an area and a meeting's members, nothing
is; usuki and marugame, set up by their plugins, are not asked to do it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from litestar.testing import TestClient

from kasane.tenants.municipalities import all_municipalities
from kasane.tenants.signup import SignupForm, do_signup
from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client

CODE = next(c for c, m in sorted(all_municipalities().items()) if m.name == "綾川町")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("setup"))


@pytest.fixture(scope="module")
def invitation_token(env: Env) -> str:
    form = SignupForm(CODE, "23000", "綾川 花子", "admin@ayagawa.example", "ayagawa", "small")
    return env.run(lambda db: do_signup(db, form)).invitation_token


@pytest.fixture(scope="module")
def admin(env: Env, invitation_token: str) -> Iterator[TestClient]:
    """The new town's admin, signed in through the invitation (password + TOTP)."""
    with tenant_client(env, "ayagawa") as client:
        page = client.get(f"/invitation?token={invitation_token}")
        assert page.status_code == 200
        # the QR code is drawn here, beside the key
        assert re.search(r'<svg[^>]*class="totp-qr"', page.text)
        assert "api.qrserver" not in page.text and "chart.googleapis" not in page.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
        assert secret
        done = client.post(
            "/invitation",
            data={
                "_csrf_token": csrf_of(page.text),
                "token": invitation_token,
                "secret": secret.group(1),
                "username": "ayagawa-admin",
                "display_name": "綾川 花子",
                "password": "correct horse battery",
                "code": pyotp.TOTP(secret.group(1)).now(),
            },
            follow_redirects=False,
        )
        assert done.status_code in (302, 303)
        # the town's administrator goes on to the first-run setup
        assert done.headers["location"] == "/admin/setup"
        yield client


def step(client: TestClient, name: str) -> str:
    page = client.get(f"/admin/setup/{name}")
    assert page.status_code == 200
    return page.text


def missing(html: str) -> list[str]:
    return re.findall(r'data-missing="([^"]+)"', html)


def test_a_new_town_is_told_what_it_lacks_and_sets_itself_up(admin: TestClient) -> None:
    overview = admin.get("/admin/setup").text
    assert missing(overview) == [
        "agencies",
        "counter_agency",
        "areas",
        "members:shien_kaigi",
        "members:jusoteki",
        "staff",
    ]
    # the admin's home says the same
    assert missing(admin.get("/").text)[:2] == ["agencies", "counter_agency"]

    # agencies: two, keys made for them
    page = step(admin, "agencies")
    for name, field, kind in (
        ("綾川町社会福祉協議会", "poverty", "contracted"),
        ("綾川町地域包括支援センター", "elderly", "contracted"),
    ):
        added = admin.post(
            "/admin/agencies?back=/admin/setup/agencies",
            data={
                "_csrf_token": csrf_of(page),
                "name": name,
                "field": field,
                "kind": kind,
                "key": "",
            },
            follow_redirects=False,
        )
        assert added.status_code == 303 and added.headers["location"].startswith(
            "/admin/setup/agencies"
        )
    page = step(admin, "agencies")
    assert "綾川町社会福祉協議会" in page and 'data-agency="agency-2"' in page

    # counters: tie the national ones, retire the children's centre the town does not run
    page = step(admin, "counters")
    for key, agency in (
        ("hokatsu", "agency-2"),
        ("jiritsu", "agency-1"),
        ("general", "municipality"),
    ):
        form = re.search(
            rf'<form method="post" action="/admin/town/counters/{key}\?back=[^"]+".*?</form>',
            page,
            re.S,
        )
        assert form
        data = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
        )
        data["agency"] = agency
        saved = admin.post(
            f"/admin/town/counters/{key}?back=/admin/setup/counters",
            data=data,
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
    for key in ("kodomo", "kikan"):
        retired = admin.post(
            f"/admin/town/counters/{key}/retire?back=/admin/setup/counters",
            data={"_csrf_token": csrf_of(page)},
            follow_redirects=False,
        )
        assert retired.status_code == 303
    page = step(admin, "counters")
    assert 'data-counter="kodomo"' not in page
    # the names stay the national ones (nothing the admin did not change is the town's)
    assert (
        'data-source="town"'
        not in re.search(
            r'id="item-hokatsu".*?<details', admin.get("/admin/town/counters").text, re.S
        )
        .group(0)
        .split("agency")[0]
    )

    # areas: two, one inside the other
    for name, kind, parent in (("綾南地区", "日常生活圏域", ""), ("陶", "地区", "town-area-1")):
        added = admin.post(
            "/admin/town/areas?back=/admin/setup/areas",
            data={
                "_csrf_token": csrf_of(page),
                "name": name,
                "kind": kind,
                "parent": parent,
                "key": "",
            },
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text
    assert "陶" in step(admin, "areas")

    # meetings: members for both national meetings
    page = step(admin, "meetings")
    for key in ("shien_kaigi", "jusoteki"):
        form = re.search(
            rf'<form method="post" action="/admin/town/meetings/{key}\?back=[^"]+".*?</form>',
            page,
            re.S,
        )
        assert form
        data: dict[str, object] = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
        )
        data.update(host="municipality", members=["municipality", "agency-1", "agency-2"])
        saved = admin.post(
            f"/admin/town/meetings/{key}?back=/admin/setup/meetings",
            data=data,
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text

    # nothing is missing but the staff
    assert missing(admin.get("/admin/setup").text) == ["staff"]
    assert "staff" in admin.get("/admin/setup/staff").text


def test_a_bad_step_is_refused_where_the_admin_typed_it(admin: TestClient) -> None:
    page = step(admin, "areas")
    refused = admin.post(
        "/admin/town/areas?back=/admin/setup/areas",
        data={"_csrf_token": csrf_of(page), "name": "", "kind": "地区", "parent": "", "key": ""},
    )
    assert refused.status_code == 422
    assert 'id="new-name-error"' in refused.text
    assert 'href="/admin/setup/areas"' in refused.text  # the way back to the setup


def test_the_demo_towns_are_not_sent_through_the_setup(env: Env) -> None:
    for slug in ("usuki", "marugame"):
        with tenant_client(env, slug) as c:
            login(c, "admin")
            home = c.get("/")
            assert "counter_agency" not in missing(home.text)
            assert not any(m.startswith("members:") for m in missing(home.text))
            assert "areas" not in missing(home.text) and "agencies" not in missing(home.text)
        with tenant_client(env, slug) as c:
            login(c, "caseworker")
            assert 'id="setup-notice"' not in c.get("/").text
            assert c.get("/admin/setup").status_code in (403, 404)
