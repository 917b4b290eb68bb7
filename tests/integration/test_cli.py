"""The ``kasane`` command as an operator uses it, on a fresh SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def kasane(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    var = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "KASANE_VAR_DIR": str(var),
        "KASANE_DATABASE_URL": f"sqlite:///{Path(var) / 'cli.db'}",
        "KASANE_DEMO": "1",  # the demo generates its keys under var/ (else: refused, test_secrets)
    }
    env.pop("KASANE_SECRET_KEY", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kasane.cli", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("db", "upgrade").returncode == 0
    run.var = var  # type: ignore[attr-defined]
    return run


def test_demo_seed_is_idempotent(kasane) -> None:  # type: ignore[no-untyped-def]
    first, second = kasane("demo", "seed"), kasane("demo", "seed")
    assert first.returncode == second.returncode == 0
    assert "created usuki/admin" in first.stdout
    assert "created central account kagawa (prefecture_analyst)" in first.stdout
    assert "created" not in second.stdout
    listing = kasane("tenants", "list").stdout
    assert listing.count("usuki") == 2 and "442062" in listing and "372021" in listing
    # the secret key was generated under var/ and is private
    key = Path(kasane.var) / "secret_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


def test_tenants_create_validates_the_municipality_code(kasane) -> None:  # type: ignore[no-untyped-def]
    bad = kasane(
        "tenants",
        "create",
        "sanuki",
        "--name",
        "さぬき市",
        "--code",
        "372071",
        "--prefecture",
        "香川県",
        "--plugin",
        "marugame",
    )
    assert bad.returncode == 2 and "municipality_code" in bad.stderr
    good = kasane(
        "tenants",
        "create",
        "sanuki",
        "--name",
        "さぬき市",
        "--code",
        "372064",
        "--prefecture",
        "香川県",
        "--plugin",
        "marugame",
    )
    assert good.returncode == 0, good.stderr
    assert "sanuki" in kasane("tenants", "list").stdout


def test_plugins_list_and_check(kasane) -> None:  # type: ignore[no-untyped-def]
    listing = kasane("plugins", "list").stdout
    assert "usuki" in listing and "marugame" in listing
    ok = kasane("plugins", "check", "usuki")
    assert ok.returncode == 0 and "usuki: OK" in ok.stdout


def test_a_broken_plugin_gets_a_readable_list_of_problems(kasane) -> None:  # type: ignore[no-untyped-def]
    out = kasane("plugins", "check", "tests.plugins.broken_plugin")
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith("  - ")]
    assert len(lines) >= 5
    assert all("broken_plugin: kasane_" in line for line in lines)
    assert any("members" in line for line in lines)


def test_an_unknown_plugin_is_named(kasane) -> None:  # type: ignore[no-untyped-def]
    out = kasane("plugins", "check", "atlantis")
    assert out.returncode == 2 and "atlantis" in out.stderr
