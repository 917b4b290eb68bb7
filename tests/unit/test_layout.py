"""The repository layout keeps the stdlib ``platform`` module reachable."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_stdlib_platform_is_not_shadowed_from_the_repo_root() -> None:
    # given the repository root as the working directory (platform/ is right there)
    # when Python imports `platform`
    out = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.system())"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    # then it is the standard library, which knows the operating system
    assert out.stdout.strip() in {"Linux", "Darwin", "Windows"}
    assert not (REPO / "platform" / "__init__.py").exists()


def test_kasane_is_importable_from_anywhere(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import kasane.app, kasane_plugins.usuki, kasane_themes; print(kasane.app.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().endswith("platform/app.py")
