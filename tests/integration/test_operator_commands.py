"""An operator brings a new town up from the command line: ``tenants create`` refuses a
broken plugin and another town's code, ``invite-admin`` mails the first admin a working link
(a real local SMTP server receives it), ``set-plugin`` rebinds checked and audited, and
``show`` lists what is wrong with the tenant's plugin."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kasane.core.audit.models import AuditEvent
from kasane.core.auth.invitations import find_open_invitation
from kasane.core.db import Database
from kasane.tenants.services import find_tenant_by_slug
from tests.conftest import REPO
from tests.integration.test_jobs import inbox  # noqa: F401  (the aiosmtpd fixture)

SANUKI = ["--name", "さぬき市", "--code", "372064", "--prefecture", "香川県"]


@pytest.fixture(scope="module")
def kasane(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    var = tmp_path_factory.mktemp("operator")
    env = {
        **os.environ,
        "KASANE_VAR_DIR": str(var),
        "KASANE_DATABASE_URL": f"sqlite:///{Path(var) / 'op.db'}",
        "KASANE_DEMO": "1",
    }
    for name in ("KASANE_SECRET_KEY", "KASANE_SMTP_URL"):
        env.pop(name, None)

    def run(*args: str, smtp: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kasane.cli", *args],
            cwd=REPO,
            env={**env, "KASANE_SMTP_URL": smtp} if smtp else env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("db", "upgrade").returncode == 0
    run.url = env["KASANE_DATABASE_URL"].replace("sqlite://", "sqlite+aiosqlite://")  # type: ignore[attr-defined]
    run.var = var  # type: ignore[attr-defined]
    return run


def in_db(url: str, work):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_create_refuses_a_broken_plugin_naming_each_problem(kasane) -> None:  # type: ignore[no-untyped-def]
    out = kasane("tenants", "create", "sanuki", *SANUKI, "--plugin", "tests.plugins.broken_plugin")
    assert out.returncode == 1
    assert "fails its check" in out.stderr
    assert "broken_plugin: kasane_meeting_types[0](key='kaigi').members" in out.stderr
    assert "sanuki" not in kasane("tenants", "list").stdout


def test_create_refuses_another_towns_code(kasane) -> None:  # type: ignore[no-untyped-def]
    # 442062 is 臼杵市, 大分県: a valid code, but not さぬき市's
    args = ["--name", "さぬき市", "--code", "442062", "--prefecture", "香川県"]
    out = kasane("tenants", "create", "sanuki", *args, "--plugin", "marugame")
    assert out.returncode == 2
    assert "error: name: code 442062 is 大分県臼杵市" in out.stderr
    assert "error: prefecture: code 442062 is in 大分県" in out.stderr


def test_first_admin_by_mail_rebind_and_show(kasane, inbox) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    box, smtp = inbox
    made = kasane("tenants", "create", "sanuki", *SANUKI, "--plugin", "marugame")
    assert made.returncode == 0, made.stderr

    # invite-admin prints the link and mails it
    out = kasane(
        "tenants",
        "invite-admin",
        "sanuki",
        "kanri@sanuki.example",
        "--name",
        "讃岐 花子",
        smtp=smtp,
    )
    assert out.returncode == 0, out.stderr
    link = re.search(r"http://sanuki\.localhost/invitation\?token=\S+", out.stdout)
    assert link, out.stdout
    assert "mail: sent to kanri@sanuki.example" in out.stdout
    [(to, subject, body)] = box.mails
    assert to == ["kanri@sanuki.example"] and "さぬき市" in subject
    assert body.startswith("讃岐 花子 様") and link.group(0) in body
    token = link.group(0).split("token=")[1]

    async def open_invitation(db):  # type: ignore[no-untyped-def]
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, "sanuki")
        async with db.session(tenant.id) as s:
            return await find_open_invitation(s, token)

    found = in_db(kasane.url, open_invitation)
    assert found is not None and found.kind == "admin" and found.email == "kanri@sanuki.example"

    # without mail configured the link is still printed, and it says the mail was not sent
    quiet = kasane("tenants", "invite-admin", "sanuki", "kanri2@sanuki.example")
    assert quiet.returncode == 0 and "mail: not sent" in quiet.stdout and "token=" in quiet.stdout
    bad = kasane("tenants", "invite-admin", "sanuki", "not-an-address")
    assert bad.returncode == 2 and "email" in bad.stderr

    # set-plugin refuses a broken plugin and leaves the tenant as it was
    refused = kasane("tenants", "set-plugin", "sanuki", "tests.plugins.broken_plugin")
    assert refused.returncode == 1 and "kasane_theme" in refused.stderr
    assert "marugame" in kasane("tenants", "show", "sanuki").stdout

    # and rebinds to a good one, audited in the tenant's chain
    moved = kasane("tenants", "set-plugin", "sanuki", "usuki")
    assert moved.returncode == 0, moved.stderr
    shown = kasane("tenants", "show", "sanuki").stdout
    assert re.search(r"^plugin\s+usuki$", shown, re.M) and "plugin check now   OK" in shown

    async def audit(db):  # type: ignore[no-untyped-def]
        from sqlalchemy import select

        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, "sanuki")
        async with db.session(tenant.id) as s:
            rows = (
                await s.execute(select(AuditEvent).where(AuditEvent.action == "tenant.plugin"))
            ).scalars()
            return [(r.actor, json.loads(r.detail)) for r in rows]

    [(actor, detail)] = in_db(kasane.url, audit)
    assert actor == "cli" and detail.get("old") == "marugame" and detail.get("new") == "usuki"


TADOTSU = ["--name", "多度津町", "--code", "374041", "--prefecture", "香川県"]
KOTOHIRA = ["--name", "琴平町", "--code", "374032", "--prefecture", "香川県"]
BROKEN = "tests.plugins.broken_plugin"


def plugin_breaks_under(slug: str):  # type: ignore[no-untyped-def]
    """The tenant's plugin turns out broken (a release of it, say): the app's next look at
    the tenant keeps the last good configuration and stores the problems, as the resolver
    does (kasane.tenants.services.do_activate_plugin)."""
    from kasane.tenants.models import Tenant
    from kasane.tenants.services import do_activate_plugin

    async def work(db):  # type: ignore[no-untyped-def]
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, slug)
        await do_activate_plugin(db, tenant)  # the first request: marugame, good
        async with db.session(tenant.id) as s:
            (await s.get(Tenant, tenant.id)).plugin = BROKEN
        tenant.plugin = BROKEN
        return await do_activate_plugin(db, tenant)

    return work


def stored_state(slug: str):  # type: ignore[no-untyped-def]
    async def work(db):  # type: ignore[no-untyped-def]
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, slug)
        return tenant.plugin, tenant.last_good_config

    return work


def login_page(kasane, slug: str) -> str:  # type: ignore[no-untyped-def]
    """The tenant's login page from an app on the operator's database."""
    from kasane.settings import load_settings
    from tests.conftest import Env, tenant_client

    settings = load_settings(
        database_url=f"sqlite:///{kasane.var / 'op.db'}", var_dir=kasane.var, demo=True
    )
    with tenant_client(Env(settings, "sqlite"), slug) as client:
        page = client.get("/login")
    assert page.status_code == 200
    return re.sub(r"[0-9a-f]{64,}", "", page.text)  # its CSRF token, in the form and header


def test_show_lists_the_stored_plugin_problems_and_set_plugin_moves_one_tenant(kasane) -> None:  # type: ignore[no-untyped-def]
    for slug, town in (("tadotsu", TADOTSU), ("kotohira", KOTOHIRA)):
        made = kasane("tenants", "create", slug, *town, "--plugin", "marugame")
        assert made.returncode == 0, made.stderr
    stored = in_db(kasane.url, plugin_breaks_under("tadotsu"))
    assert stored  # the problems the app found and stored

    # show prints the stored problems (before the check it runs now), each on its line
    shown = kasane("tenants", "show", "tadotsu").stdout
    kept = shown.split("plugin check now")[0]
    assert re.search(rf"^plugin problems\s+{len(stored)}$", kept, re.M), shown
    assert "broken_plugin: kasane_meeting_types[0](key='kaigi').members" in kept
    assert all(problem in kept for problem in stored)
    assert re.search(r"^last good config\s+kept$", kept, re.M)
    assert "problem(s)" in shown.split("plugin check now")[1]

    # rebinding tadotsu clears its problems and leaves kotohira as it was: plugin, pages
    page_before = login_page(kasane, "kotohira")  # its first look stores its configuration
    before = in_db(kasane.url, stored_state("kotohira")), page_before
    moved = kasane("tenants", "set-plugin", "tadotsu", "usuki")
    assert moved.returncode == 0, moved.stderr
    fixed = kasane("tenants", "show", "tadotsu").stdout
    assert re.search(r"^plugin problems\s+none$", fixed, re.M) and "plugin check now   OK" in fixed
    assert "/static/themes/usuki/" in login_page(kasane, "tadotsu")
    after = in_db(kasane.url, stored_state("kotohira")), login_page(kasane, "kotohira")
    assert after == before and after[0][0] == "marugame"
    assert "/static/themes/default/" in after[1]
