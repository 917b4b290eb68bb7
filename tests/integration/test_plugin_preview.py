"""``kasane plugins preview``: a throwaway town on a plugin, with demo data, whose home,
intake, meetings and menus pages answer; a plugin that fails its check is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from litestar.testing import TestClient

from kasane.app import create_app
from kasane.plugin_preview import PAGES
from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import REPO, csrf_of


def test_preview_serves_the_four_pages_of_a_town_on_the_plugin(tmp_path: Path) -> None:
    # given a preview of 丸亀市's plugin prepared in a folder of its own
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kasane.cli",
            "plugins",
            "preview",
            "marugame",
            "--dir",
            str(tmp_path),
            "--no-serve",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "http://marugame.localhost:8765/intake" in run.stdout
    assert (tmp_path / "preview.db").exists()

    # when the app is run on that database (as the command would serve it)
    from kasane.plugin_preview import preview_settings

    settings = preview_settings(tmp_path)
    with TestClient(create_app(settings), base_url="http://marugame.localhost") as c:
        page = c.get("/login")
        c.post(
            "/login",
            data={
                "username": "admin",
                "password": DEMO_PASSWORD,
                "_csrf_token": csrf_of(page.text),
                "next": "/",
            },
        )
        answers = {path: c.get(path) for path in PAGES}
    # then each page answers, in the town's own words and with its demo data
    assert {p: r.status_code for p, r in answers.items()} == dict.fromkeys(PAGES, 200)
    assert "地域共生社会推進室 福祉総合相談" in answers["/intake"].text
    assert "まるごと会議" in answers["/meetings"].text
    assert "うちわ工房での作業体験" in answers["/town"].text


def test_preview_refuses_a_plugin_that_fails_its_check(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kasane.cli",
            "plugins",
            "preview",
            "tests.plugins.broken_plugin",
            "--dir",
            str(tmp_path),
            "--no-serve",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1 and "kasane_theme" in run.stderr
