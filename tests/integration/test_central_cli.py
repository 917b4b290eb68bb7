"""``kasane metrics release`` and ``kasane central add-account`` as the operator runs them,
on a demo database of their own (so the budgets it spends touch no other test)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, TEST_MASTER_KEY, _make_sqlite_env

# A day years ahead: its fiscal year has no release yet, whatever day the suite runs on.
TODAY = "2031-02-10"


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

    return run


def test_release_counts_the_opted_in_towns_and_is_idempotent(kasane: Any) -> None:
    # when November 2030 is released for the two demo towns
    first = kasane("metrics", "release", "--month", "2030-11", "--today", TODAY)
    again = kasane("metrics", "release", "--month", "2030-11", "--today", TODAY)
    # then it says what it did, with progress, and a second run releases nothing
    assert first.returncode == again.returncode == 0, first.stderr
    assert "2 town(s) take part; releasing 2030-11" in first.stdout
    assert re.search(r"counted 2/2 towns", first.stdout)
    assert re.search(r"release 2030-11 \(consultations, participation, community\)", first.stdout)
    assert "2 already released" in again.stdout
    assert "writing 0 released tables, 0 cells, 0 ledger entries" in again.stdout


def test_the_release_that_would_pass_the_budget_is_refused_by_name(kasane: Any) -> None:
    # given December 2030 released too (ε 6 spent in fiscal year 2030 with November)
    assert kasane("metrics", "release", "--month", "2030-12", "--today", TODAY).returncode == 0
    # when January 2031 (three more tables: ε 9) is released
    r = kasane("metrics", "release", "--fy", "2030", "--month", "2031-01", "--today", TODAY)
    # then both towns are refused, each named with its code and what it had spent
    assert r.returncode == 0, r.stderr
    assert "2 refused" in r.stdout
    assert re.search(
        r"refused: 臼杵市 \(442062, 大分県\): 3 table\(s\) .* ε 6\.0 already", r.stdout
    )
    assert re.search(r"refused: 丸亀市 \(372021, 香川県\)", r.stdout)


def test_bad_periods_are_refused_with_a_reason(kasane: Any) -> None:
    not_over = kasane("metrics", "release", "--fy", "2030", "--today", TODAY)
    assert not_over.returncode == 2 and "not over yet" in not_over.stderr
    bad = kasane("metrics", "release", "--month", "2030-13", "--today", TODAY)
    assert bad.returncode == 2 and "--month" in bad.stderr
    outside = kasane("metrics", "release", "--fy", "2029", "--month", "2030-11", "--today", TODAY)
    assert outside.returncode == 2 and "not in fiscal year 2029" in outside.stderr
    unknown = kasane(
        "metrics", "release", "--month", "2030-10", "--tables", "people", "--today", TODAY
    )
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
