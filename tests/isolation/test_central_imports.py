"""The central site's code path touches no tenant model (the SQLite half of the boundary
that the role kasane_central draws on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO, Env
from tests.integration.test_central_site import DEMO_FY

SCRIPT = r"""
import json, re, sys
from litestar.testing import TestClient
from kasane.central.app import create_central_app

release = sys.argv[1]  # the fiscal year the demo released, e.g. fy2025
app = create_central_app()
with TestClient(app, base_url="http://central." + app.state.settings.base_domain) as c:
    page = c.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    login = c.post("/login", data={"username": "analyst", "password": "kasane-demo",
                                   "_csrf_token": token, "next": "/"}, follow_redirects=False)
    pages = [c.get(p) for p in ("/", f"/compare?release={release}&breakdown=1", "/budget",
                                f"/compare.csv?release={release}")]
loaded = sorted(m for m in sys.modules if m.startswith("kasane"))
print(json.dumps({"login": login.status_code, "pages": [p.status_code for p in pages],
                  "marugame": "丸亀市" in pages[1].text, "loaded": loaded}))
"""


def test_serving_central_pages_loads_no_tenant_model(sqlite_env: Env) -> None:
    # given a fresh interpreter pointed at the demo database
    settings = sqlite_env.settings
    env = {
        **os.environ,
        "KASANE_DATABASE_URL": settings.database_url.replace("+aiosqlite", ""),
        "KASANE_VAR_DIR": str(settings.var_dir),
        "KASANE_BASE_DOMAIN": settings.base_domain,
        "KASANE_MASTER_KEY": settings.master_key,
        "KASANE_DEMO": "1",
    }
    # and the fiscal year the demo released (last fiscal year, as the demo chooses it)
    release = DEMO_FY.slug()
    # when it imports the central app, signs in and serves its pages (and a CSV)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, release],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["login"] == 302 and result["pages"] == [200, 200, 200, 200]
    assert result["marugame"]  # it really read the released tables
    # then no tenant area's model, no tenants package and no release job was ever imported
    loaded = result["loaded"]
    tenant_models = [m for m in loaded if m.startswith("kasane.core.") and m.endswith(".models")]
    assert tenant_models == []
    assert not [m for m in loaded if m.startswith(("kasane.tenants", "kasane_plugins"))]
    assert not {"kasane.models", "kasane.central.release", "kasane.core.reports.counting"} & set(
        loaded
    )
    assert "kasane.central.models" in loaded
