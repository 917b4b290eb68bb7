"""The house-rules check (``make lint``) finds a long module, a long function without its
reason and a ``get_*`` that returns None — and accepts a reason or a listed module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import REPO


def _checker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("house_rules", REPO / ".ci/house_rules.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_check_names_each_broken_rule_and_accepts_a_stated_reason(tmp_path: Path) -> None:
    rules = _checker()
    area = tmp_path / "platform" / "area"
    area.mkdir(parents=True)
    body = "".join(f"    x{i} = {i}\n" for i in range(70))
    (area / "long.py").write_text(
        "def long_one() -> None:\n"
        + body
        + 'def explained() -> None:\n    """Why.\n\n    Long: a table.\n    """\n'
        + body
        + "def get_thing() -> int | None:\n    return None\n"
        + "".join(f"# {i}\n" for i in range(300))
    )
    (tmp_path / "plugins").mkdir()
    found = dict(rules.problems(tmp_path))
    assert set(found) == {
        "platform/area/long.py",
        "platform/area/long.py long_one",
        "platform/area/long.py get_thing",
    }
    assert "split it" in found["platform/area/long.py long_one"]
    assert "find_*" in found["platform/area/long.py get_thing"]


def test_the_code_as_it_is_keeps_the_rules() -> None:
    assert _checker().main() == 0
