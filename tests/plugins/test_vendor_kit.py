"""The vendor kit as a vendor and an operator use it, outside the repository:
``kasane plugins new`` writes a distribution whose own tests pass as generated; installed
through its entry point it passes ``plugins check``, gets a tenant, its first admin by mail
and a working intake where its rule leads — with no core change; and a configuration-only
plugin written against ``KASANE_HOOKS = (1, 1)`` keeps passing and working unchanged."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from kasane.core.cases.models import Case, CaseAgency
from kasane.core.mail.invitations import invitation_mail, send_invitation
from kasane.core.plugins import installed_plugins
from kasane.plugin_testing import PluginHarness, sample_intake
from kasane.tenants.operator import check_new_tenant, do_invite_admin, invitation_link
from kasane.tenants.services import do_create_tenant
from tests.conftest import REPO, Env, _make_sqlite_env, csrf_of, tenant_client
from tests.integration.test_jobs import inbox  # noqa: F401  (the aiosmtpd fixture)
from tests.plugins.outside import install_shim, write_old_town

SANUKI = "372064"  # さぬき市, 香川県


def kasane(*args: str, cwd: Path = REPO, path: list[Path] | None = None) -> Any:
    env = {**os.environ}
    if path:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in path)
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def kita(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``kasane plugins new kita`` in a folder outside the repo, and its entry-point shim."""
    root = tmp_path_factory.mktemp("vendor")
    made = kasane("kasane.cli", "plugins", "new", "kita", "--code", SANUKI, "--dir", str(root))
    assert made.returncode == 0, made.stderr
    project, site = root / "kasane-plugin-kita", root / "site"
    install_shim(project, site)
    return project, site


def test_the_scaffold_is_a_distribution_of_its_own(kita: tuple[Path, Path]) -> None:
    project, _ = kita
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."kasane.municipalities"]\nkita = "kasane_kita"' in pyproject
    assert '"kasane>=0.1,<1"' in pyproject
    module = (project / "kasane_kita" / "__init__.py").read_text(encoding="utf-8")
    assert 'NAME = "さぬき市"' in module and 'PREFECTURE = "香川県"' in module
    assert "KASANE_HOOKS = (1, 1)" in module
    assert "# ASSUMPTION" in (project / "kasane_kita" / "assumptions.py").read_text("utf-8")
    assert "kasane tenants invite-admin kita" in (project / "README.md").read_text("utf-8")


def test_the_scaffolds_own_tests_pass_as_generated(kita: tuple[Path, Path]) -> None:
    project, site = kita
    run = kasane(
        "pytest",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        cwd=project,
        path=[project, site],
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "4 passed" in run.stdout


def test_installed_through_its_entry_point_it_passes_the_check(kita: tuple[Path, Path]) -> None:
    project, site = kita
    run = kasane("kasane.cli", "plugins", "check", "kita", path=[project, site])
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("kita: OK — 3 counters")


def test_the_scaffold_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    bad_name = kasane(
        "kasane.cli", "plugins", "new", "Kita!", "--code", SANUKI, "--dir", str(tmp_path)
    )
    assert bad_name.returncode == 2 and "lower-case" in bad_name.stderr
    bad_code = kasane(
        "kasane.cli", "plugins", "new", "kita", "--code", "999999", "--dir", str(tmp_path)
    )
    assert bad_code.returncode == 2 and "no municipality has this code" in bad_code.stderr
    assert not list(tmp_path.iterdir())  # nothing written


# ---------------------------------------------------------------- a new town, end to end


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("kita-town"))


def accept(client: Any, token: str, username: str) -> Any:
    """Accept an invitation as the invitee does: password and TOTP."""
    page = client.get(f"/invitation?token={token}")
    assert page.status_code == 200, page.text[-500:]
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret
    return client.post(
        "/invitation",
        data={
            "_csrf_token": csrf_of(page.text),
            "token": token,
            "secret": secret.group(1),
            "username": username,
            "display_name": "讃岐 花子",
            "password": "correct horse battery",
            "code": pyotp.TOTP(secret.group(1)).now(),
        },
        follow_redirects=False,
    )


def test_a_new_town_gets_a_tenant_its_first_admin_by_mail_and_an_intake(
    kita: tuple[Path, Path],
    env: Env,
    inbox: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, smtp = inbox
    project, site = kita
    # given the plugin installed (its folder and dist-info on the path), and no core change
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(project))
    assert installed_plugins()["kita"] == "kasane_kita"

    # the operator creates the tenant (checked: code and plugin) and invites its admin
    check_new_tenant(
        name="さぬき市", code=SANUKI, prefecture="香川県", plugin="kita", population=None
    )

    async def create(db: Any) -> Any:
        await do_create_tenant(
            db,
            slug="kita",
            name="さぬき市",
            municipality_code=SANUKI,
            prefecture="香川県",
            plugin="kita",
            status="trial",
            actor="cli",
        )
        return await do_invite_admin(db, "kita", "kanri@sanuki.example", "讃岐 花子")

    invite = env.run(create)
    link = invitation_link(env.settings.base_domain, False, "kita", invite.token)
    mail = invitation_mail(
        to="kanri@sanuki.example",
        town="さぬき市",
        name="讃岐 花子",
        link=link,
        expires_at=invite.expires_at,
    )
    asyncio.run(send_invitation(smtp, "kasane@localhost", mail))
    [(to, subject, body)] = box.mails
    assert to == ["kanri@sanuki.example"] and "さぬき市" in subject
    token = re.search(r"token=(\S+)", body).group(1)  # type: ignore[union-attr]

    with tenant_client(env, "kita") as admin:
        # the admin follows the mailed link and signs up
        done = accept(admin, token, "kita-admin")
        assert done.status_code in (302, 303), done.text[-500:]
        # and takes a consultation at the 地域包括 counter into 多機関協働
        form = admin.get("/intake/new?counter=hokatsu")
        assert form.status_code == 200 and "地域包括支援センター" in form.text
        r = admin.post(
            "/intake",
            data={
                "_csrf_token": csrf_of(form.text),
                "counter": "hokatsu",
                "received_on": "2026-04-01",
                "channel": "visit_counter",
                "kana": "さぬき たろう",
                "name": "讃岐 太郎",
                "categories": ["care"],
                "main_category": "care",
                "narrative": "介護のこと",
                "outcome": "multi_agency",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[-1500:]

    tenant_id = env.tenant_id("kita")

    async def lead(db: Any) -> dict[str, str]:
        async with db.session(tenant_id) as s:
            case = (await s.execute(select(Case))).scalar_one()
            rows = await s.execute(
                select(CaseAgency.agency_key, CaseAgency.role).where(CaseAgency.case_id == case.id)
            )
            return dict(rows.all())

    # then the case exists and the plugin's own rule chose its lead
    assert env.run(lead) == {"fukushi": "lead", "hokatsu": "participant"}


# ---------------------------------------------------------------- an old plugin, unchanged


def test_a_configuration_only_plugin_from_outside_keeps_passing_and_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_old_town(tmp_path)
    site = tmp_path / "site"
    install_shim(project, site)
    run = kasane("kasane.cli", "plugins", "check", "oldtown", path=[project, site])
    assert run.returncode == 0, run.stderr
    assert "oldtown: OK — 2 counters" in run.stdout

    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(project))
    import kasane_oldtown  # type: ignore[import-not-found]

    town = PluginHarness(kasane_oldtown)
    assert town.problems == []
    # no rule of its own: the core's rules answer, and nothing "fell back"
    intake = sample_intake(counter="hokatsu", counter_agency="hokatsu", outcome="multi_agency")
    assert town.route(intake) == "hokatsu"
    assert town.fallbacks == []
