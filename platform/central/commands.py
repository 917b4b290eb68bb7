"""``kasane metrics release`` and ``kasane central …``: the release job and central accounts.

``metrics release`` counts every opted-in tenant for one period through the reports' exact
aggregation API and releases it (:func:`kasane.central.release.do_release`) — a month
(``--month 2026-11``, default: last month) or a fiscal year (``--fy 2025`` alone). It
prints progress for long runs, the summary, and every refused town by name; it exits 0 when
it ran (refusals included) and 2 when it could not. It is idempotent per period.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, timedelta
from typing import Any

from kasane.settings import Settings


def period_of(args: argparse.Namespace, today: date) -> Any:
    """The period asked for: ``--month`` (within ``--fy`` when both), ``--fy`` alone, or
    last month.

    Raises:
        ValueError: a malformed month, or a month outside the fiscal year given.
    """
    from kasane.core.reports.periods import Period

    if args.month:
        try:
            year, month = (int(x) for x in args.month.split("-"))
            period = Period.month(year, month)
        except ValueError:
            raise ValueError(f"--month: {args.month!r} is not YYYY-MM") from None
        if args.fy is not None and period.fiscal_year_number != args.fy:
            raise ValueError(f"--month {args.month} is not in fiscal year {args.fy}")
        return period
    if args.fy is not None:
        return Period.fiscal_year(args.fy)
    last = today.replace(day=1) - timedelta(days=1)
    return Period.month(last.year, last.month)


def cmd_metrics_release(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.central.release import ReleaseConflict, ReleaseInvalid, do_release
    from kasane.core.db import Database
    from kasane.core.japan_time import today_jst
    from kasane.core.protection.crypto import set_master_secret
    from kasane.tenants.comparison import opted_in_towns

    today = date.fromisoformat(args.today) if args.today else today_jst()
    try:
        period = period_of(args, today)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    tables = [t.strip() for t in args.tables.split(",")] if args.tables else None

    async def run() -> list[str]:
        set_master_secret(settings.master_key)
        db = Database(settings.database_url)
        try:
            towns = await opted_in_towns(db)
            print(f"{len(towns)} town(s) take part; releasing {period.slug()}", flush=True)
            outcome = await do_release(
                db,
                towns,
                period,
                today=today,
                tables=tables,
                progress=lambda line: print(line, flush=True),
            )
            return outcome.lines()
        finally:
            await db.dispose()

    try:
        lines = asyncio.run(run())
    except (ReleaseInvalid, ReleaseConflict) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: --tables: unknown table {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


def cmd_central_add_account(args: argparse.Namespace, settings: Settings) -> int:
    """Create a central account with a TOTP secret, shown once (never stored in clear)."""
    import getpass

    from kasane.central.accounts import AccountInvalid, do_create_account, provisioning_uri
    from kasane.core.auth.otp import new_secret
    from kasane.core.db import Database

    password = args.password or getpass.getpass("password (12 characters or more): ")
    secret = new_secret()

    async def run() -> None:
        db = Database(settings.central_url)
        try:
            async with db.session() as s:
                await do_create_account(
                    s,
                    username=args.username,
                    display_name=args.name or args.username,
                    role=args.role,
                    password=password,
                    master_key=settings.master_key,
                    prefecture_code=args.prefecture,
                    email=args.email,
                    totp_secret=secret,
                )
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except AccountInvalid as exc:
        for field, problem in exc.problems.items():
            print(f"error: {field}: {problem}", file=sys.stderr)
        return 2
    print(f"created central account {args.username} ({args.role})")
    print(f"TOTP secret (shown once; add it to an authenticator app): {secret}")
    print(provisioning_uri(secret, args.username))
    return 0


def cmd_central_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Only the central site, e.g. in its own container with only the central role's URL."""
    import uvicorn

    from kasane.central.app import create_central_app
    from kasane.ops.secrets import require_secrets

    require_secrets(settings, "kasane central serve")
    uvicorn.run(create_central_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def add_metrics_commands(sub: Any) -> None:
    metrics = sub.add_parser("metrics", help="anonymized metrics for central admins")
    actions = metrics.add_subparsers(dest="metrics_command", required=True)
    release = actions.add_parser(
        "release",
        help="count every opted-in town for a period, add noise, release (idempotent)",
    )
    release.add_argument("--fy", type=int, help="fiscal year, e.g. 2025 (alone: the whole year)")
    release.add_argument("--month", help="a month, YYYY-MM (default: last month)")
    release.add_argument("--tables", help="only these tables, comma-separated")
    release.add_argument("--today", help=argparse.SUPPRESS)  # tests: pretend it is this day
    release.set_defaults(func=cmd_metrics_release)

    central = sub.add_parser("central", help="the central site")
    central_actions = central.add_subparsers(dest="central_command", required=True)
    add = central_actions.add_parser("add-account", help="create a central account (with TOTP)")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=("operator_analyst", "prefecture_analyst", "guest")
    )
    add.add_argument("--prefecture", help="a prefecture analyst's two-digit code, e.g. 37")
    add.add_argument("--name", help="display name")
    add.add_argument("--email", help="for signing in with the central OpenID provider")
    add.add_argument("--password", help="default: asked for")
    add.set_defaults(func=cmd_central_add_account)
    serve = central_actions.add_parser("serve", help="serve only the central site")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.set_defaults(func=cmd_central_serve)
