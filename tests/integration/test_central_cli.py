"""``kasane metrics release`` and ``kasane central add-account`` as the operator runs them,
on a demo database of their own (so the budgets it spends touch no other test)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kasane.core.japan_time import today_jst
from kasane.core.reports.periods import fiscal_year_of
from tests.conftest import REPO, TEST_MASTER_KEY, _make_sqlite_env

# A fiscal year ahead of today: the demo (which releases periods already over, from the day
# it was seeded) has spent none of its budget, whatever day the suite runs on. The releases
# pretend it is February 10 of its second calendar year (November to January are over).
FY = fiscal_year_of(today_jst()) + 4
TODAY = f"{FY + 1}-02-10"
OCT, NOV, DEC, JAN = f"{FY}-10", f"{FY}-11", f"{FY}-12", f"{FY + 1}-01"


@pytest.fixture(scope="module")
def kasane(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # the run's demo database (what `kasane db upgrade` and `kasane demo seed` make — the
    # seeding through the command is test_cli's), a copy of its own
    var = _make_sqlite_env(tmp_path_factory.mktemp("central-cli")).settings.var_dir
    env = {
        **os.environ,
        "KASANE_VAR_DIR": str(var),
        "KASANE_DATABASE_URL": f"sqlite:///{Path(var) / 'kasane.db'}",
        "KASANE_DEMO": "1",
        "KASANE_MASTER_KEY": TEST_MASTER_KEY,  # the key the copy was sealed with
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kasane.cli", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    run.db = Path(var) / "kasane.db"  # type: ignore[attr-defined]  # for reading the ledger
    return run


def test_release_counts_the_opted_in_towns_and_is_idempotent(kasane: Any) -> None:
    # when November is released for the two demo towns
    first = kasane("metrics", "release", "--month", NOV, "--today", TODAY)
    again = kasane("metrics", "release", "--month", NOV, "--today", TODAY)
    # then it says what it did, with progress, and a second run releases nothing
    assert first.returncode == again.returncode == 0, first.stderr
    assert f"2 town(s) take part; releasing {NOV}" in first.stdout
    assert re.search(r"counted 2/2 towns", first.stdout)
    assert f"release {NOV} (consultations, participation, community)" in first.stdout
    assert "2 already released" in again.stdout
    assert "writing 0 released tables, 0 cells, 0 ledger entries" in again.stdout


def test_the_release_that_would_pass_the_budget_is_refused_by_name(kasane: Any) -> None:
    # given December released too (ε 6 spent in the fiscal year with November)
    assert kasane("metrics", "release", "--month", DEC, "--today", TODAY).returncode == 0
    # when January (three more tables: ε 9) is released
    r = kasane("metrics", "release", "--fy", str(FY), "--month", JAN, "--today", TODAY)
    # then both towns are refused, each named with its code and what it had spent
    assert r.returncode == 0, r.stderr
    assert "2 refused" in r.stdout
    assert re.search(
        r"refused: 臼杵市 \(442062, 大分県\): 3 table\(s\) .* ε 6\.0 already", r.stdout
    )
    assert re.search(r"refused: 丸亀市 \(372021, 香川県\)", r.stdout)


def test_bad_periods_are_refused_with_a_reason(kasane: Any) -> None:
    not_over = kasane("metrics", "release", "--fy", str(FY), "--today", TODAY)
    assert not_over.returncode == 2 and "not over yet" in not_over.stderr
    bad = kasane("metrics", "release", "--month", f"{FY}-13", "--today", TODAY)
    assert bad.returncode == 2 and "--month" in bad.stderr
    before = str(FY - 1)
    outside = kasane("metrics", "release", "--fy", before, "--month", NOV, "--today", TODAY)
    assert outside.returncode == 2 and f"not in fiscal year {before}" in outside.stderr
    unknown = kasane("metrics", "release", "--month", OCT, "--tables", "people", "--today", TODAY)
    assert unknown.returncode == 2 and "unknown table" in unknown.stderr


def test_add_account_prints_the_totp_secret_once_and_validates(kasane: Any) -> None:
    made = kasane(
        "central", "add-account", "oita", "--role", "prefecture_analyst", "--prefecture", "44",
        "--name", "大分県 福祉保健企画課", "--password", "a-long-enough-password",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert re.search(r"TOTP secret .*: [A-Z2-7]{32}", made.stdout)
    assert "otpauth://totp/" in made.stdout
    twice = kasane(
        "central", "add-account", "oita", "--role", "guest", "--password", "a-long-enough-password"
    )
    assert twice.returncode == 2 and "username" in twice.stderr
    no_pref = kasane(
        "central", "add-account", "x-pref", "--role", "prefecture_analyst", "--password",
        "a-long-enough-password",
    )  # fmt: skip
    assert no_pref.returncode == 2 and "prefecture" in no_pref.stderr


def ledger(kasane: Any, release_key: str) -> list[tuple[str, str, str]]:
    """(town's code, table, kind) of every ledger entry for a released period."""
    with sqlite3.connect(kasane.db) as conn:
        rows = conn.execute(
            "SELECT municipality_code, table_key, kind FROM central_budget_ledger "
            "WHERE release_key = ? ORDER BY municipality_code, table_key",
            (release_key,),
        )
        return [tuple(r) for r in rows]


def test_the_scheduled_job_releases_last_month_in_japan_once(kasane: Any) -> None:
    # when the monthly central_release job runs at 16:00 UTC on April 30 (of a fiscal year
    # no other test here spends), which is already May 1, 01:00 in Japan
    year = FY + 2
    at = f"{year}-04-30T16:00:00+00:00"
    first = kasane("jobs", "run", "central_release", "--at", at)
    # then it released April — last month in Japan, not March (last month in UTC) — for
    # both opted-in towns, every monthly table
    april, march = f"{year}-04", f"{year}-03"
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"central_release: {april}: 2 town(s); release {april} (")
    monthly = ["community", "consultations", "participation"]
    spent = [(code, t, "spend") for code in ("372021", "442062") for t in monthly]
    assert ledger(kasane, april) == spent
    assert ledger(kasane, march) == []
    # when it runs again (a retry, a second worker), it releases and spends nothing more
    again = kasane("jobs", "run", "central_release", "--at", at)
    assert again.returncode == 0, again.stderr
    assert "2 already released" in again.stdout and "0 refused" in again.stdout
    assert ledger(kasane, april) == spent
