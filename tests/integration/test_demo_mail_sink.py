"""The demo's mail: ``kasane serve`` in demo mode without ``KASANE_SMTP_URL`` runs a local
SMTP server that keeps each message as ``var/mail/<time>.eml``, so a town that signs up in
the demo gets its invitation by mail, as in production, and the file can be opened."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import httpx

from kasane.cli import _demo_mail_sink
from kasane.core.mail.demo_sink import DemoMailSink
from tests.conftest import Env, _make_sqlite_env, tenant_client
from tests.e2e.conftest import serve_kasane
from tests.integration.test_billing import signup_form
from tests.integration.test_town_handoff import shown_link


def sign_up(client: httpx.Client, slug: str, code: str, email: str) -> str:
    """The signup form posted from ``client``; the page after (unpaid) Checkout."""
    done = signup_form(
        client, municipality_code=code, population="9000", admin_email=email, slug=slug
    )
    assert done.status_code == 201, done.text[-800:]
    return client.get(f"/signup/result?tenant={slug}").text


def mails_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


def test_a_demo_invitation_lands_in_the_mail_folder_as_an_eml_file(tmp_path: Path) -> None:
    base = _make_sqlite_env(tmp_path / "db")
    sink = DemoMailSink(tmp_path / "mail")
    env = Env(replace(base.settings, smtp_url=sink.start()), base.backend)
    try:
        with tenant_client(env, None) as browser:
            page = sign_up(browser, "kotohira", "374032", "kanri@kotohira.example")
    finally:
        sink.stop()
    # the page says it was mailed (and, in the demo, shows the link as well)
    assert "管理者への招待をお送りしました" in page
    link = shown_link(page)
    assert link
    # and the mail is a file of its own, readable by its owner only, to the admin
    [eml] = mails_in(tmp_path / "mail")
    assert stat.S_IMODE(eml.stat().st_mode) == 0o600
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["X-RcptTo"] == "kanri@kotohira.example" == mail["To"]
    assert "琴平町" in str(mail["Subject"])
    assert link in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_kasane_serve_in_the_demo_starts_the_mail_folder_and_mails_to_it(tmp_path: Path) -> None:
    # only in the demo, and only when no mail server is configured
    demo = _make_sqlite_env(tmp_path / "db")
    assert _demo_mail_sink(replace(demo.settings, demo=False)) is None
    assert _demo_mail_sink(replace(demo.settings, smtp_url="smtp://mail.example:587")) is None

    var = tmp_path / "var"
    var.mkdir()
    with serve_kasane(var, demo) as server:
        operator = httpx.Client(
            base_url=f"http://127.0.0.1:{server.port}",
            headers={"Host": f"localhost:{server.port}"},
        )
        page = sign_up(operator, "manno", "374067", "kanri@manno.example")
        assert "管理者への招待をお送りしました" in page
    # the server said where the mail goes, in its JSON log
    log = [json.loads(line) for line in (var / "server.log").read_text().splitlines() if line]
    assert any(line["event"] == f"demo mail: {var / 'mail'}/" for line in log)
    [eml] = mails_in(var / "mail")
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["To"] == "kanri@manno.example" and "まんのう町" in str(mail["Subject"])
