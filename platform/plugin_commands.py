"""``kasane plugins new|docs|preview``: the vendor kit's commands."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from kasane.settings import Settings


def cmd_new(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.plugin_scaffold import ScaffoldRefused, scaffold

    try:
        root = scaffold(args.name, args.code, Path(args.dir))
    except ScaffoldRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {root}")
    print(f"next: cd {root} && pip install -e . --no-deps && pytest")
    print(f"      kasane plugins check {args.name}")
    return 0


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.hook_docs import write_hook_docs

    for path in write_hook_docs(Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from kasane.app import create_app
    from kasane.core.db import Database
    from kasane.migrations import upgrade
    from kasane.plugin_preview import PAGES, PreviewRefused, prepare_preview, preview_settings
    from kasane.tenants.demo import DEMO_PASSWORD

    if "." in args.name and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    folder = Path(args.dir or tempfile.mkdtemp(prefix="kasane-preview-"))
    folder.mkdir(parents=True, exist_ok=True)
    local = preview_settings(folder)
    from kasane.core.protection.crypto import set_master_secret

    set_master_secret(local.master_key)  # the demo caseload seals its narratives
    upgrade(local.migration_database_url)

    async def prepare() -> Any:
        db = Database(local.database_url)
        try:
            return await prepare_preview(db, args.name)
        finally:
            await db.dispose()

    try:
        slug, lines = asyncio.run(prepare())
    except PreviewRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    origin = f"http://{slug}.localhost:{args.port}"
    print(
        f"preview of {args.name} in {folder} (a throwaway database); sign in as admin / "
        f"{DEMO_PASSWORD}:"
    )
    for page in PAGES:
        print(f"  {origin}{page}")
    if args.no_serve:
        return 0
    uvicorn.run(create_app(local), host="127.0.0.1", port=args.port, log_config=None)
    return 0


def add_plugin_commands(plugins: Any) -> None:
    """Add new, docs and preview under ``kasane plugins``."""
    new = plugins.add_parser("new", help="scaffold a municipal plugin as its own distribution")
    new.add_argument("name", help="entry-point name, e.g. kita (module kasane_kita)")
    new.add_argument("--code", required=True, help="the town's 全国地方公共団体コード")
    new.add_argument("--dir", default=".", help="where to write kasane-plugin-NAME/")
    new.set_defaults(func=cmd_new)
    docs = plugins.add_parser("docs", help="write one page per hook from the hook specs")
    docs.add_argument("--out", default="docs/hooks")
    docs.set_defaults(func=cmd_docs)
    preview = plugins.add_parser(
        "preview", help="serve a throwaway town on a plugin, with demo data"
    )
    preview.add_argument("name", help="entry-point name or dotted module path")
    preview.add_argument("--port", type=int, default=8765)
    preview.add_argument("--dir", help="keep the throwaway database here")
    preview.add_argument("--no-serve", action="store_true", help="prepare, print, exit")
    preview.set_defaults(func=cmd_preview)
