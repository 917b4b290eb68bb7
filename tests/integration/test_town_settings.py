"""The town's own settings over its plugin: /admin/town/{counters,areas,meetings}.

Given a demo town whose admin changes its counters, areas and meetings in the app, then the
effective configuration is core defaults → plugin → the town's settings; every value says
where it comes from; a changed plugin value resets to the plugin's; an invalid change is
refused with the message ``kasane plugins check`` gives; a retired counter leaves the pickers
but not the records; and the other demo town sees none of it.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kasane.core.audit.models import AuditEvent
from kasane.core.config_types import TenantInfo
from kasane.core.db import Database
from kasane.core.i18n import gettext
from kasane.core.intake.models import Consultation
from kasane.core.plugin_rules import check_lists
from kasane.core.plugins import build_config, load_plugin
from kasane.core.town.effective import apply_town
from kasane.core.town.models import TownSetting
from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A database of this module's own on SQLite; the shared one on PostgreSQL (RLS), where
    every test takes its changes back."""
    if request.param == "postgres":
        env: Env = request.getfixturevalue("pg_env")
        return env
    return _make_sqlite_env(tmp_path_factory.mktemp("town"))


def client_as(env: Env, slug: str, username: str) -> TestClient:
    client = tenant_client(env, slug)
    client.__enter__()
    assert login(client, username, DEMO_PASSWORD).status_code in (302, 303)
    return client


def forget_town(env: Env, slug: str) -> None:
    """Drop the town's settings (the test's changes) straight from the database."""
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            for row in (await s.execute(select(TownSetting))).scalars():
                await s.delete(row)

    env.run(go)


@pytest.fixture
def admin(env: Env) -> Iterator[TestClient]:
    client = client_as(env, "usuki", "admin")
    yield client
    client.__exit__(None, None, None)
    forget_town(env, "usuki")


def post(client: TestClient, page: str, path: str, **data: Any) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def item(page_html: str, key: str) -> str:
    match = re.search(
        rf'<li class="card town-item" id="item-{re.escape(key)}".*?</li>', page_html, re.S
    )
    assert match, f"no item {key}"
    return match.group(0)


COUNTER = {
    "name": "地域力創生課 総合相談窓口",
    "field": "general",
    "agency": "chiikiryoku",
    "area": "",
    "place": "臼杵庁舎 1階",
    "phone": "0972-63-1111",
}


def audit_actions(env: Env, slug: str) -> list[str]:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> list[str]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(
                select(AuditEvent.action).where(AuditEvent.action.like("town.setting.%"))
            )
            return [r for (r,) in rows.all()]

    return env.run(go)


def test_a_town_setting_overrides_a_plugin_value_and_resets_to_it(
    env: Env, admin: TestClient
) -> None:
    # given usuki's plugin counter "general" (place 臼杵庁舎, no phone)
    page = admin.get("/admin/town/counters")
    assert page.status_code == 200
    general = item(page.text, "general")
    assert 'data-source="plugin"' in general and 'data-source="town"' not in general
    # when the admin changes its place and phone
    done = post(admin, "/admin/town/counters", "/admin/town/counters/general", **COUNTER)
    assert done.status_code == 303
    page = admin.get("/admin/town/counters")
    general = item(page.text, "general")
    # then those two values say they are the town's, the name still the plugin's
    assert "臼杵庁舎 1階" in general and "0972-63-1111" in general
    assert re.search(r'Place.*?data-source="town"|場所.*?data-source="town"', general, re.S)
    assert general.count('data-source="town"') == 2
    assert 'data-overridden="yes"' in general
    # and the town's page shows the town's phone with the counter
    town = admin.get("/town").text
    assert "0972-63-1111" in town or "臼杵庁舎 1階" in town
    # when reset, the plugin's values are back and the page says so
    reset = post(admin, "/admin/town/counters", "/admin/town/counters/general/reset")
    assert reset.status_code == 303
    general = item(admin.get("/admin/town/counters").text, "general")
    assert "0972-63-1111" not in general and 'data-source="town"' not in general
    assert "臼杵庁舎 1階" not in general
    assert audit_actions(env, "usuki")[-2:] == ["town.setting.changed", "town.setting.reset"]


def test_an_invalid_setting_is_refused_with_the_plugin_checks_message(
    env: Env, admin: TestClient
) -> None:
    # a crafted form names an agency that does not exist (the picker offers only real ones)
    refused = post(
        admin,
        "/admin/town/counters",
        "/admin/town/counters/general",
        **{**COUNTER, "agency": "nosuch"},
    )
    assert refused.status_code == 422
    # the plugin check says the same about a plugin's counter that names "nosuch"
    [plugin_problem] = check_lists(
        "a-plugin",
        counters=[{"key": "general", "name": "x", "field": "general", "agency": "nosuch"}],
        areas=[],
        agencies=[],
        meetings=[],
        menus=[],
    )
    assert plugin_problem.text == "'nosuch' is not a known key"
    shown = html.unescape(refused.text)
    assert gettext("%(ref)r is not a known key", ref="nosuch") in shown
    assert 'id="item-general-agency-error"' in refused.text
    # what was typed is kept, nothing is saved
    assert "0972-63-1111" in refused.text
    assert 'data-source="town"' not in item(admin.get("/admin/town/counters").text, "general")

    # a monthly meeting without its day: the message of the broken test plugin's check
    meeting = {
        "key": "kaigi",
        "name": "地域ケア会議",
        "legal_basis": "consent",
        "legal_basis_note": "臼杵市重層的支援体制整備事業実施要綱",
        "host": "chiikiryoku",
        "members": ["chiikiryoku", "hokatsu"],
        "frequency": "monthly",
        "weekday": "",
        "nth": "",
        "time": "25:00",
    }
    refused = post(admin, "/admin/town/meetings", "/admin/town/meetings", **meeting)
    assert refused.status_code == 422
    shown = html.unescape(refused.text)
    assert gettext("a monthly cadence needs weekday and nth") in shown
    assert gettext("%(time)r is not HH:MM", time="25:00") in shown
    broken = load_plugin("tests.plugins.broken_plugin")
    with pytest.raises(Exception) as plugin_check:
        build_config(broken, TenantInfo("x", "x", "000000", "x"))
    assert "a monthly cadence needs weekday and nth" in str(plugin_check.value)
    # fixed, it is added with its members and shows on the meetings page of a member
    ok = post(
        admin,
        "/admin/town/meetings",
        "/admin/town/meetings",
        **{**meeting, "weekday": "2", "nth": "3", "time": "14:00"},
    )
    assert ok.status_code == 303
    town_page = admin.get("/admin/town/meetings").text
    assert "地域ケア会議" in town_page
    assert "地域ケア会議" in admin.get("/town").text


def test_a_new_area_nests_and_a_cycle_is_refused(env: Env, admin: TestClient) -> None:
    added = post(
        admin,
        "/admin/town/areas",
        "/admin/town/areas",
        key="chuo-kita",
        name="中央北",
        kind="地区",
        parent="chuo",
    )
    assert added.status_code == 303
    page = admin.get("/admin/town/areas").text
    assert "中央北" in item(page, "chuo-kita")
    # 臼杵地域 inside 中央北 (which is inside 中央, inside 臼杵地域) would be inside itself
    looped = post(
        admin, "/admin/town/areas", "/admin/town/areas/usuki", name="臼杵地域", parent="chuo-kita"
    )
    assert looped.status_code == 422
    assert gettext("%(key)r would be inside itself", key="usuki") in html.unescape(looped.text)


def test_a_record_keeps_its_configuration_version_after_its_counter_is_retired(
    env: Env, admin: TestClient
) -> None:
    # given the town's own counter, tied to one of the plugin's agencies
    added = post(
        admin,
        "/admin/town/counters",
        "/admin/town/counters",
        key="machinaka",
        name="まちなか相談室",
        field="general",
        agency="chiikiryoku",
        area="chuo",
        place="中央通り",
        phone="",
    )
    assert added.status_code == 303, added.text
    # a caseworker records a consultation there
    with tenant_client(env, "usuki") as cw:
        login(cw, "supervisor")
        page = cw.get("/intake/new?counter=machinaka")
        assert page.status_code == 200
        done = cw.post(
            "/intake",
            data={
                "_csrf_token": csrf_of(page.text),
                "counter": "machinaka",
                "received_on": "2026-04-01",
                "channel": "visit_counter",
                "kana": "まちなか たろう",
                "name": f"町中 太郎 {uuid.uuid4().hex[:6]}",
                "categories": ["income"],
                "main_category": "income",
                "outcome": "continued",
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        case_url = done.headers["location"]
    tenant_id = env.tenant_id("usuki")

    async def versions(db: Database) -> list[str | None]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(
                select(Consultation.config_version).where(Consultation.counter_key == "machinaka")
            )
            return [v for (v,) in rows.all()]

    [version] = env.run(versions)
    assert version is not None and version.startswith("usuki+town.")
    # when the admin retires the counter
    assert (
        post(admin, "/admin/town/counters", "/admin/town/counters/machinaka/retire").status_code
        == 303
    )
    # then it is offered nowhere, the record keeps its version and its counter's name
    assert 'data-key="machinaka"' in admin.get("/admin/town/counters").text  # in the retired list
    with tenant_client(env, "usuki") as cw:
        login(cw, "supervisor")
        assert "machinaka" not in cw.get("/intake").text
        assert "まちなか相談室" in cw.get(case_url).text
    assert env.run(versions) == [version]
    # restored, it is offered again
    assert (
        post(admin, "/admin/town/counters", "/admin/town/counters/machinaka/restore").status_code
        == 303
    )


def test_retiring_an_area_a_counter_serves_is_refused(env: Env, admin: TestClient) -> None:
    refused = post(admin, "/admin/town/areas", "/admin/town/areas/nozu/retire")
    assert refused.status_code == 422
    # the counter that serves it is named, with the plugin check's message
    shown = html.unescape(refused.text)
    assert "kasane_counters" in shown and "nozu-general" in shown
    assert gettext("%(ref)r is not a known key", ref="nozu") in shown


def test_the_order_is_the_towns(env: Env, admin: TestClient) -> None:
    before = re.findall(
        r'class="card town-item" id="item-([^"]+)"', admin.get("/admin/town/counters").text
    )
    assert (
        post(admin, "/admin/town/counters", f"/admin/town/counters/{before[1]}/up").status_code
        == 303
    )
    after = re.findall(
        r'class="card town-item" id="item-([^"]+)"', admin.get("/admin/town/counters").text
    )
    assert after[:2] == [before[1], before[0]] and after[2:] == before[2:]


def test_the_other_town_sees_nothing_and_only_the_admin_may_change_settings(
    env: Env, admin: TestClient
) -> None:
    post(
        admin,
        "/admin/town/counters",
        "/admin/town/counters",
        key="usuki-only",
        name="臼杵だけの窓口",
        field="general",
        agency="",
        area="",
        place="",
        phone="",
    )
    assert "臼杵だけの窓口" in admin.get("/admin/town/counters").text
    marugame = client_as(env, "marugame", "admin")
    try:
        page = marugame.get("/admin/town/counters")
        assert page.status_code == 200 and "臼杵だけの窓口" not in page.text
        assert marugame.get("/intake").text.count("臼杵だけの窓口") == 0
        # another town's key is "not found" there, as a missing one
        assert (
            post(
                marugame, "/admin/town/counters", "/admin/town/counters/usuki-only/retire"
            ).status_code
            == 404
        )
    finally:
        marugame.__exit__(None, None, None)
    for username in ("supervisor", "caseworker", "viewer"):
        other = client_as(env, "usuki", username)
        try:
            assert other.get("/admin/town/counters").status_code in (403, 404)
        finally:
            other.__exit__(None, None, None)


def test_demo_towns_are_as_before_when_their_admins_change_nothing(env: Env) -> None:
    for slug in ("usuki", "marugame"):
        # the PostgreSQL database is shared with other modules' tests: start from no setting
        forget_town(env, slug)
        plugin = load_plugin(slug)
        with tenant_client(env, slug) as c:
            login(c, "admin")
            page = c.get("/admin/town/counters").text
        assert 'data-source="town"' not in page
        config = build_config(plugin, TenantInfo(slug, slug, "000000", "x"))
        assert apply_town(config, []) is config
        for c_ in config.counters:
            assert f'id="item-{c_.key}"' in page


def test_a_participation_menu_of_the_towns_own_is_offered_until_retired(
    env: Env, admin: TestClient
) -> None:
    menu = {
        "key": "hatake",
        "name": "まちなか畑の手伝い",
        "category": "work_trial",
        "description": "週1回、午前中",
        "capacity": "three",
        "schedule": "毎週木曜 9:00-12:00",
        "area": "chuo",
    }
    refused = post(admin, "/admin/town/menus", "/admin/town/menus", **menu)
    assert refused.status_code == 422 and 'id="new-capacity-error"' in refused.text
    assert "まちなか畑の手伝い" in refused.text  # what was typed is kept
    added = post(admin, "/admin/town/menus", "/admin/town/menus", **{**menu, "capacity": "3"})
    assert added.status_code == 303
    assert "まちなか畑の手伝い" in admin.get("/town").text
    assert 'data-own="yes"' in item(admin.get("/admin/town/menus").text, "hatake")
    assert post(admin, "/admin/town/menus", "/admin/town/menus/hatake/retire").status_code == 303
    assert "まちなか畑の手伝い" not in admin.get("/").text


def test_a_local_intake_field_is_asked_kept_with_its_form_version_and_retired(
    env: Env, admin: TestClient
) -> None:
    # a field that clashes with the national form's, and a list without choices: the
    # plugin check's messages, beside the field they name
    clash = post(
        admin,
        "/admin/town/fields",
        "/admin/town/fields",
        key="name",
        form="intake",
        label="名前",
        type="text",
        choices="",
    )
    assert clash.status_code == 422
    assert gettext("redefines a field the core form already has") in html.unescape(clash.text)
    assert 'id="new-key-error"' in clash.text
    empty = post(
        admin,
        "/admin/town/fields",
        "/admin/town/fields",
        key="minsei",
        form="intake",
        label="担当の民生委員",
        type="select",
        choices="",
    )
    assert empty.status_code == 422 and 'id="new-choices-error"' in empty.text
    assert gettext("a %(type)s field needs choices", type="select") in html.unescape(empty.text)
    # then a good one
    added = post(
        admin,
        "/admin/town/fields",
        "/admin/town/fields",
        key="minsei",
        form="intake",
        label="担当の民生委員",
        type="select",
        choices="known=把握している\nunknown=把握していない",
    )
    assert added.status_code == 303
    with tenant_client(env, "usuki") as cw:
        login(cw, "supervisor")
        page = cw.get("/intake/new?counter=general")
        assert "担当の民生委員" in page.text and 'name="minsei"' in page.text
        done = cw.post(
            "/intake",
            data={
                "_csrf_token": csrf_of(page.text),
                "counter": "general",
                "received_on": "2026-04-01",
                "channel": "visit_counter",
                "kana": "みんせい はなこ",
                "name": f"民生 花子 {uuid.uuid4().hex[:6]}",
                "categories": ["income"],
                "main_category": "income",
                "minsei": "known",
                "outcome": "info_only",
            },
            follow_redirects=False,
        )
        assert done.status_code in (200, 303), done.text
    tenant_id = env.tenant_id("usuki")

    async def kept(db: Database) -> list[tuple[str, Any]]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(select(Consultation.form_version, Consultation.data))
            return [(v, d.get("minsei")) for v, d in rows.all() if d.get("minsei")]

    [(version, answer)] = env.run(kept)
    assert "+town." in version and answer == "known"
    # retired, the form no longer asks it; the record keeps its answer and version
    assert post(admin, "/admin/town/fields", "/admin/town/fields/minsei/retire").status_code == 303
    with tenant_client(env, "usuki") as cw:
        login(cw, "supervisor")
        assert 'name="minsei"' not in cw.get("/intake/new?counter=general").text
    assert env.run(kept) == [(version, "known")]
