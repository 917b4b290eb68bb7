"""``kasane reports export SLUG --fy N --format xlsx|csv OUT`` writes the same figures as the
page, in both towns (read back with openpyxl and the csv module); an export is audited and
never overwrites a file."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import REPO, TEST_MASTER_KEY, Env
from tests.integration.test_report_counts import FY2025
from tests.reports_fixture import fixture_town


def _kasane(env: Env, *args: str, **more_env: str) -> subprocess.CompletedProcess[str]:
    """``kasane ARGS`` as the operator runs it on ``env``'s database (``more_env``: further
    ``KASANE_*`` settings); nothing of this machine's own ``KASANE_*`` reaches it."""
    child = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KASANE_")},
        "KASANE_DATABASE_URL": env.settings.database_url,
        "KASANE_VAR_DIR": str(env.settings.var_dir),
        "KASANE_MASTER_KEY": TEST_MASTER_KEY,
        "KASANE_BASE_DOMAIN": env.settings.base_domain,
        **more_env,
    }
    return subprocess.run(
        [sys.executable, "-m", "kasane.cli", *args],
        cwd=REPO,
        env=child,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("plugin", ["usuki", "marugame"])
def test_the_command_writes_the_fiscal_year_as_xlsx_and_csv(
    sqlite_env: Env, plugin: str, tmp_path: Path
) -> None:
    town = fixture_town(sqlite_env, plugin)
    out_csv, out_xlsx = tmp_path / "fy2025.csv", tmp_path / "fy2025.xlsx"
    done = _kasane(
        sqlite_env, "reports", "export", town.slug, "--fy", "2025", "--format", "csv", str(out_csv)
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(out_csv.read_bytes().decode("utf-8-sig"))))
    totals = {r[1]: int(r[7]) for r in rows[1:] if r[5] == "合計"}
    assert {k: totals[k] for k in FY2025} == FY2025
    done = _kasane(sqlite_env, "reports", "export", town.slug, "--fy", "2025", str(out_xlsx))
    assert done.returncode == 0, done.stderr
    book = load_workbook(out_xlsx)
    assert "令和7年度（2025年度）" in book["概要"]["A1"].value
    # an existing file is never overwritten; an unknown town is named
    again = _kasane(sqlite_env, "reports", "export", town.slug, "--fy", "2025", str(out_xlsx))
    assert again.returncode == 2 and "exists" in again.stderr
    missing = _kasane(
        sqlite_env, "reports", "export", "nowhere", "--fy", "2025", str(tmp_path / "x")
    )
    assert missing.returncode == 2 and "nowhere" in missing.stderr
