"""The tenant admin's look and words: /admin/look, its checks, /look.css, and every page.

The requests run in the default locale (Japanese): messages are asserted through the field
they sit on and the field's label as the catalog has it now (English until translated).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kasane.core.audit.models import AuditEvent
from kasane.core.db import Database
from kasane.core.i18n import current_locale, gettext
from kasane.core.look.models import TenantLook
from kasane.core.look.services import look_and_terms
from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import Env, _make_sqlite_env, csrf_of, login, tenant_client

PRIMARY, ACCENT = "#1d4e89", "#9a3412"  # AA with white text and on both themes' backgrounds
LOGO = "臼杵市 地域共生推進"
COUNTER_WORD = "よろず相談所"
# Passes every pairing of the default theme, but only 4.24:1 as a link on usuki's notes.
DEFAULT_ONLY = "#307880"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Env:
    """SQLite in a database of its own; PostgreSQL (the app role, under RLS) in the shared one:
    every test here puts usuki's look back, so the other modules never see it."""
    if request.param == "postgres":
        env: Env = request.getfixturevalue("pg_env")
        return env
    return _make_sqlite_env(tmp_path_factory.mktemp("look"))


def client_as(env: Env, slug: str, username: str) -> TestClient:
    client = tenant_client(env, slug)
    client.__enter__()
    assert login(client, username, DEMO_PASSWORD).status_code in (302, 303)
    return client


@pytest.fixture
def usuki_admin(env: Env) -> Iterator[TestClient]:
    client = client_as(env, "usuki", "admin")
    yield client
    client.__exit__(None, None, None)
    reset_look(env, "usuki")


def reset_look(env: Env, slug: str) -> None:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> None:
        async with db.session(tid) as s:
            for row in (await s.execute(select(TenantLook))).scalars():
                await s.delete(row)

    env.run(go)


def ja(msgid: str) -> str:
    """``msgid`` as the Japanese pages show it today (the English msgid until translated)."""
    token = current_locale.set("ja")
    try:
        return gettext(msgid)
    finally:
        current_locale.reset(token)


def form(client: TestClient, **fields: str) -> dict[str, str]:
    page = client.get("/admin/look")
    assert page.status_code == 200, page.text
    return {"_csrf_token": csrf_of(page.text), "action": "save", **fields}


def error_of(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no message on {field}"
    return html.unescape(match.group(1))


def value_of(page: str, field: str) -> str:
    match = re.search(rf'<input id="{field}" name="{field}"[^>]*value="([^"]*)"', page)
    assert match, f"no input {field}"
    return html.unescape(match.group(1))


def audit_events(env: Env, slug: str, action: str) -> list[AuditEvent]:
    tid = env.tenant_id(slug)

    async def go(db: Database) -> list[AuditEvent]:
        async with db.session(tid) as s:
            q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            return list((await s.execute(q)).scalars())

    return env.run(go)


def test_the_admins_look_and_words_reach_every_page_and_are_audited(
    env: Env, usuki_admin: TestClient
) -> None:
    # Given usuki's admin on the look page
    audited = len(audit_events(env, "usuki", "look.update"))
    # When they save colours, a logo text and a word for "counter"
    r = usuki_admin.post(
        "/admin/look",
        data=form(
            usuki_admin,
            primary_color=PRIMARY,
            accent_color=ACCENT.upper().lstrip("#"),  # typed without "#", in capitals
            logo_text=LOGO,
            term_counter=COUNTER_WORD,
        ),
        follow_redirects=False,
    )
    # Then the page comes back saved, with the values as stored
    assert r.status_code == 303 and r.headers["location"] == "/admin/look?saved=1"
    page = usuki_admin.get("/admin/look?saved=1").text
    assert 'role="status"' in page
    assert value_of(page, "accent_color") == ACCENT and value_of(page, "logo_text") == LOGO
    assert value_of(page, "term_counter") == COUNTER_WORD

    # And every page links the tenant's stylesheet, versioned by the colours
    home = usuki_admin.get("/").text
    assert f'href="/look.css?v={PRIMARY[1:]}-{ACCENT[1:]}"' in home
    # the brand shows the logo text instead of the town's name; the home shows the word
    assert f'<span class="brand-tenant">{LOGO}</span>' in home
    town = usuki_admin.get("/town").text  # the town's page (home is "my work", issue 12)
    assert f'<h2 id="counters-h">{COUNTER_WORD}</h2>' in town
    cases = usuki_admin.get("/cases").text
    assert f'<th scope="col">{COUNTER_WORD}</th>' in cases
    # And the stylesheet holds the colours as the variables the themes read
    css = usuki_admin.get(f"/look.css?v={PRIMARY[1:]}-{ACCENT[1:]}")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert f"--look-primary: {PRIMARY};" in css.text and f"--look-accent: {ACCENT};" in css.text
    assert "public" in css.headers["cache-control"] and "set-cookie" not in css.headers
    # the usuki theme (the plugin's) is still in use
    assert 'href="/static/themes/usuki/tokens.css"' in home

    # And the change is audited with the fields that changed, not their values
    events = audit_events(env, "usuki", "look.update")[audited:]
    assert len(events) == 1 and events[0].target.startswith("tenant_look:")
    detail = json.loads(events[0].detail)
    assert sorted(detail["fields"]) == [
        "accent_color",
        "logo_text",
        "primary_color",
        "term:counter",
    ]
    assert LOGO not in events[0].detail and COUNTER_WORD not in events[0].detail

    # When the admin saves the same look again, nothing changed and nothing is audited
    usuki_admin.post("/admin/look", data=form(usuki_admin, **_saved_fields()))
    assert len(audit_events(env, "usuki", "look.update")) == audited + 1


def _saved_fields() -> dict[str, str]:
    return {
        "primary_color": PRIMARY,
        "accent_color": ACCENT,
        "logo_text": LOGO,
        "term_counter": COUNTER_WORD,
    }


def test_marugame_keeps_its_own_look_and_words(env: Env, usuki_admin: TestClient) -> None:
    # Given usuki's admin saved a look and words
    usuki_admin.post("/admin/look", data=form(usuki_admin, **_saved_fields()))
    # When marugame's staff open their pages
    marugame = client_as(env, "marugame", "admin")
    try:
        home = marugame.get("/").text
        cases = marugame.get("/cases").text
        look_page = marugame.get("/admin/look").text
        css = marugame.get("/look.css").text
    finally:
        marugame.__exit__(None, None, None)
    # Then none of usuki's settings shows: its name, its theme, no look stylesheet
    assert '<span class="brand-tenant">丸亀市</span>' in home and LOGO not in home
    assert "/look.css" not in home and 'href="/static/themes/default/tokens.css"' in home
    assert COUNTER_WORD not in home and COUNTER_WORD not in cases
    assert value_of(look_page, "primary_color") == "" and value_of(look_page, "logo_text") == ""
    assert "--look-primary" not in css
    # And usuki's own pages still have it
    assert LOGO in usuki_admin.get("/").text


def test_refused_fields_are_named_and_nothing_typed_is_lost(
    env: Env, usuki_admin: TestClient
) -> None:
    long_logo = "長" * 41
    audited = len(audit_events(env, "usuki", "look.update"))
    # When the admin posts a form with every kind of mistake
    r = usuki_admin.post(
        "/admin/look",
        data=form(
            usuki_admin,
            theme="nonexistent",
            primary_color="blue",
            accent_color="#12345",
            logo_text=long_logo,
            term_counter=COUNTER_WORD,
            term_area="区" * 31,
            term_planet="惑星",
        ),
    )
    # Then it is refused, each message names its field
    assert r.status_code == 422
    page = r.text
    for field, label in [
        ("theme", "Theme"),
        ("primary_color", "Primary colour"),
        ("accent_color", "Accent colour"),
        ("logo_text", "Logo text"),
        ("terminology", "Words for core terms"),
    ]:
        assert error_of(page, field).startswith(ja(label)), field
    assert "nonexistent" in error_of(page, "theme")
    assert "41" in error_of(page, "logo_text") and "40" in error_of(page, "logo_text")
    assert error_of(page, "term_area").startswith(ja("Area"))
    assert "planet" in error_of(page, "terminology")
    assert 'aria-invalid="true"' in page and 'id="look-errors"' in page
    # And everything typed is still in the form
    assert value_of(page, "primary_color") == "blue"
    assert value_of(page, "accent_color") == "#12345"
    assert value_of(page, "logo_text") == long_logo
    assert value_of(page, "term_counter") == COUNTER_WORD
    # And nothing was saved or audited
    assert value_of(usuki_admin.get("/admin/look").text, "term_counter") == ""
    assert len(audit_events(env, "usuki", "look.update")) == audited


def test_a_colour_below_wcag_aa_is_refused_with_the_ratio_found_and_needed(
    usuki_admin: TestClient,
) -> None:
    # When the admin picks a light blue as primary and a near-white accent
    r = usuki_admin.post(
        "/admin/look", data=form(usuki_admin, primary_color="#88aadd", accent_color="#eeeeee")
    )
    # Then both are refused with the ratio they reach and the one needed
    assert r.status_code == 422
    primary = error_of(r.text, "primary_color")
    # the worst pairing: a link on usuki's note background #f1ead8
    assert primary.startswith(ja("Primary colour")) and "1.97:1" in primary
    assert "#f1ead8" in primary
    assert "4.5:1" in primary
    accent = error_of(r.text, "accent_color")
    assert "1.04:1" in accent and "3.0:1" in accent and "#f5f3ee" in accent  # page background
    # And a grey that white text reads on (4.54:1) is still refused: as a link on usuki's notes
    r = usuki_admin.post("/admin/look", data=form(usuki_admin, primary_color="#767676"))
    assert r.status_code == 422 and "3.78:1" in error_of(r.text, "primary_color")


def test_the_contrast_is_checked_against_the_chosen_themes_backgrounds(
    env: Env, usuki_admin: TestClient
) -> None:
    # Given a colour that is too light only for usuki's darker note background
    r = usuki_admin.post("/admin/look", data=form(usuki_admin, primary_color=DEFAULT_ONLY))
    assert r.status_code == 422 and "4.24:1" in error_of(r.text, "primary_color")
    # When the admin also picks the default theme, whose notes are lighter
    r = usuki_admin.post(
        "/admin/look",
        data=form(usuki_admin, primary_color=DEFAULT_ONLY, theme="default"),
        follow_redirects=False,
    )
    # Then it is saved, and usuki's pages use the default theme (the admin's choice wins)
    assert r.status_code == 303
    home = usuki_admin.get("/").text
    assert 'href="/static/themes/default/tokens.css"' in home
    assert "brand-motto" not in home  # the usuki theme's brand block is gone


def test_preview_shows_the_proposal_without_saving(env: Env, usuki_admin: TestClient) -> None:
    audited = len(audit_events(env, "usuki", "look.update"))
    # When the admin previews a look
    r = usuki_admin.post(
        "/admin/look",
        data={
            **form(usuki_admin, primary_color=PRIMARY, logo_text=LOGO, theme="default"),
            "action": "preview",
        },
    )
    # Then the page shows it: the colours through the preview stylesheet, the chosen theme's
    # tokens, the logo text in the sample header
    assert r.status_code == 200
    assert f'href="/look.css?primary={PRIMARY[1:]}"' in r.text
    assert 'href="/static/themes/default/tokens.css"' in r.text
    assert f'data-testid="look-sample-logo">{LOGO}<' in r.text
    assert value_of(r.text, "logo_text") == LOGO
    # And nothing is saved
    assert value_of(usuki_admin.get("/admin/look").text, "logo_text") == ""
    assert LOGO not in usuki_admin.get("/").text
    assert len(audit_events(env, "usuki", "look.update")) == audited
    # The preview stylesheet echoes colours only
    assert "--look-primary: #1d4e89;" in usuki_admin.get("/look.css?primary=1D4E89").text
    assert "--look" not in usuki_admin.get("/look.css?primary=red;x:y").text


@pytest.mark.parametrize("username", ["caseworker", "supervisor"])
def test_only_the_admin_manages_the_look(env: Env, username: str) -> None:
    client = client_as(env, "usuki", username)
    try:
        assert client.get("/admin/look").status_code == 403
        token = csrf_of(client.get("/").text)
        r = client.post(
            "/admin/look",
            data={"_csrf_token": token, "action": "save", "logo_text": "乗っ取り"},
        )
        assert r.status_code == 403
        assert "乗っ取り" not in client.get("/").text
    finally:
        client.__exit__(None, None, None)
    # and the stylesheet needs no login at all
    with tenant_client(env, "usuki") as anonymous:
        assert anonymous.get("/look.css").status_code == 200


def test_what_the_resolver_loads_leaves_out_stale_settings(env: Env) -> None:
    # Given a saved look naming a theme since uninstalled and a term the core dropped
    tid = env.tenant_id("usuki")

    async def go(db: Database) -> tuple[dict[str, str], dict[str, str]]:
        async with db.session(tid) as s:
            s.add(
                TenantLook(
                    theme="uninstalled",
                    primary_color=PRIMARY,
                    terminology={"counter": COUNTER_WORD, "dropped": "x"},
                )
            )
        async with db.session(tid) as s:
            return await look_and_terms(s)

    try:
        look, terms = env.run(go)
    finally:
        reset_look(env, "usuki")
    # Then the plugin's theme and the known term stay in force
    assert look == {"primary": PRIMARY} and terms == {"counter": COUNTER_WORD}
