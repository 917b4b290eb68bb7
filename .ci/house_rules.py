"""House rules a linter does not check (`make lint`; ../shared/design/house-style.md):

- a module stays under ~400 lines, unless it is listed below with the reason;
- a function stays under ~60 lines, unless its docstring says why (a line starting with
  ``Long:``);
- ``get_*`` fetches or raises: a ``get_*`` never returns ``None`` (that is ``find_*``).

Migrations are left out: each is one change, read top to bottom.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE_LINES = 400
FUNCTION_LINES = 60
ROOTS = ("platform", "plugins")
# module → why it is longer
LONG_MODULES: dict[str, str] = {
    "platform/core/hookspecs.py": "every hook a vendor implements, read top to bottom in one file",
    "platform/core/registry/models.py": "the HSDS tables: one schema, as the specification has it",
    "platform/core/reports/catalogue.py": "the indicator catalogue: data, one entry per figure",
    "plugins/marugame/__init__.py": "a town's whole configuration, the example vendors copy",
    "platform/tenants/demo_meetings.py": "the demo's meetings: data, one meeting after another",
}


def problems(root: Path) -> list[tuple[str, str]]:
    """Every broken rule as (``path`` or ``path function``, message)."""
    found: list[tuple[str, str]] = []
    for top in ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if "/migrations/versions/" in rel:
                continue
            text = path.read_text(encoding="utf-8")
            lines = text.count("\n")
            if lines > MODULE_LINES and rel not in LONG_MODULES:
                found.append((rel, f"{rel}: {lines} lines (over {MODULE_LINES}: split it)"))
            for node in ast.walk(ast.parse(text)):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                key, where = f"{rel} {node.name}", f"{rel}:{node.lineno} {node.name}"
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                said = any(line.strip().startswith("Long:") for line in doc.splitlines())
                if length > FUNCTION_LINES and not said:
                    advice = "split it, or say why: 'Long: …'"
                    found.append((key, f"{where}: {length} lines ({advice})"))
                returns = ast.unparse(node.returns) if node.returns else ""
                if node.name.startswith("get_") and "None" in returns:
                    found.append((key, f"{where}: get_* returns {returns} (call it find_*)"))
    return found


def main() -> int:
    found = problems(Path(__file__).resolve().parent.parent)
    for _, message in found:
        print(message)
    print(f"house rules: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
