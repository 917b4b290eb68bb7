"""The ``kasane`` command: serve, db, demo, tenants, plugins, audit, reports, billing,
metrics and central."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from kasane.central.commands import add_metrics_commands
from kasane.database_commands import (
    cmd_audit_fold,
    cmd_audit_verify,
    cmd_billing_sweep,
    cmd_demo_seed,
    cmd_reports_export,
    cmd_tenants_create,
    cmd_tenants_list,
)
from kasane.ops.backup import add_backup_commands
from kasane.ops.jobs.commands import add_jobs_commands
from kasane.ops.logs import configure_logging
from kasane.ops.secrets import add_secrets_commands, require_secrets
from kasane.plugin_commands import add_plugin_commands
from kasane.settings import Settings, load_settings
from kasane.tenants.billing.price_check import add_check_prices_command
from kasane.tenants.operator_commands import add_operator_commands
from kasane.tenants.portability.commands import add_billing_commands, add_tenant_commands

if TYPE_CHECKING:
    from kasane.core.mail.demo_sink import DemoMailSink


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    require_secrets(settings, "kasane serve")
    sink = _demo_mail_sink(settings)
    if sink is not None:
        settings = replace(settings, smtp_url=sink.url)
        os.environ["KASANE_SMTP_URL"] = sink.url  # --workers: each process reads it there
    try:
        return _serve(args, settings, sink)
    finally:
        if sink is not None:
            sink.stop()


def _demo_mail_sink(settings: Settings) -> DemoMailSink | None:
    """Demo mode without ``KASANE_SMTP_URL``: a local SMTP server that keeps each mail as a
    file in ``var/mail/``, so the demo mails its invitations as production does."""
    if not settings.demo or settings.smtp_url:
        return None
    from kasane.core.mail.demo_sink import DemoMailSink

    sink = DemoMailSink(settings.var_dir / "mail")
    sink.start()
    return sink


def _announce_demo_mail(sink: DemoMailSink | None) -> None:
    if sink is not None:  # one line of the JSON log, like every other
        logging.getLogger("kasane.mail").info(
            f"demo mail: {sink.folder}/", extra={"smtp_url": sink.url}
        )


def _serve(args: argparse.Namespace, settings: Settings, sink: DemoMailSink | None) -> int:
    import uvicorn

    from kasane.app import create_app

    port = args.port or int(os.environ.get("PORT", "8000"))
    # The client address the login throttle counts against comes from the proxy's
    # X-Forwarded-For only when the proxy is trusted (KASANE_FORWARDED_ALLOW_IPS); otherwise
    # every person behind a load balancer would share its address and one allowance.
    # In-flight requests get --grace seconds to finish on SIGTERM (uvicorn stops accepting
    # first). No access log: kasane.ops.observe logs each request without its query string.
    common: dict[str, object] = {
        "host": args.host,
        "port": port,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": args.grace,
    }
    if args.workers > 1:
        # Several processes: each builds its app from the environment (kasane.ops.asgi).
        # They share sessions (database) and pending logins and the login limiter only
        # through Redis, and must not each run the schedules unless told to.
        if not settings.redis_url:
            print(
                "warning: --workers without KASANE_REDIS_URL: pending logins and the login "
                "limiter are per process",
                file=sys.stderr,
            )
        os.environ.setdefault("KASANE_JOBS", "off")
        configure_logging()
        _announce_demo_mail(sink)
        uvicorn.run("kasane.ops.asgi:create", factory=True, workers=args.workers, **common)
        return 0
    if not settings.jobs:  # one process (the embedded default): it runs the jobs itself
        settings = replace(settings, jobs="inprocess")
    app = create_app(settings)
    configure_logging()  # after the apps: Litestar's defaults would replace the root handler
    _announce_demo_mail(sink)
    uvicorn.run(app, **common)  # type: ignore[arg-type]
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.protection.crypto import set_master_secret
    from kasane.migrations import upgrade

    require_secrets(settings, "kasane db upgrade")
    set_master_secret(settings.master_key)  # data migrations seal with the tenants' keys (0015)
    upgrade(settings.migration_database_url, args.revision)
    print(f"database upgraded to {args.revision}")
    return 0


def cmd_plugins_list(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.plugins import installed_plugins, load_plugin

    for name, ref in sorted(installed_plugins().items()):
        module = load_plugin(name)
        print(
            f"{name:<12} {getattr(module, 'NAME', ''):<8} "
            f"{getattr(module, 'MUNICIPALITY_CODE', ''):<7} {ref}"
        )
    return 0


def cmd_plugins_check(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.plugin_kit import example_tenant
    from kasane.core.plugins import PluginInvalid, PluginNotFound, build_config, load_plugin

    if "." in args.name and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a dotted path may name a module in this checkout
    try:
        module = load_plugin(args.name)
    except PluginNotFound:
        print(
            f"error: no municipal plugin named {args.name!r} "
            "(an entry point in kasane.municipalities, or a dotted module path)",
            file=sys.stderr,
        )
        return 2
    code = getattr(module, "MUNICIPALITY_CODE", "442062")
    try:
        config = build_config(module, example_tenant(municipality_code=code))
    except PluginInvalid as exc:
        print(f"{args.name}: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(
        f"{args.name}: OK — {len(config.counters)} counters, {len(config.areas)} areas, "
        f"{len(config.agencies)} agencies, {len(config.meeting_types)} meeting types, "
        f"{len(config.participation_menus)} participation menus, forms "
        f"{', '.join(f'{k}@{f.version}' for k, f in config.forms.items())}, "
        f"theme {config.theme}"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``kasane`` command line.

    Long: the command line's declaration, every command in one place.
    """
    p = argparse.ArgumentParser(prog="kasane", description="Kasane (かさね) platform")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web application")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (share Redis; jobs off unless KASANE_JOBS)",
    )
    serve.add_argument(
        "--grace", type=int, default=30, help="seconds in-flight requests get on SIGTERM"
    )
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="run migrations (KASANE_MIGRATION_DATABASE_URL)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(
        dest="demo_command", required=True
    )
    demo.add_parser("seed", help="seed usuki and marugame (idempotent)").set_defaults(
        func=cmd_demo_seed
    )

    tenants = sub.add_parser("tenants", help="tenants").add_subparsers(
        dest="tenants_command", required=True
    )
    tenants.add_parser("list", help="list tenants").set_defaults(func=cmd_tenants_list)
    create = tenants.add_parser("create", help="create a tenant")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.add_argument("--code", required=True, help="全国地方公共団体コード (6 digits)")
    create.add_argument("--prefecture", required=True)
    create.add_argument("--plugin", required=True)
    create.add_argument("--population", type=int)
    create.add_argument("--status", default="trial")
    create.add_argument("--theme")
    create.set_defaults(func=cmd_tenants_create)
    add_tenant_commands(tenants)  # export, import, delete
    add_operator_commands(tenants)  # set-plugin, invite-admin, show

    plugins = sub.add_parser("plugins", help="municipal plugins").add_subparsers(
        dest="plugins_command", required=True
    )
    plugins.add_parser("list", help="installed municipal plugins").set_defaults(
        func=cmd_plugins_list
    )
    check = plugins.add_parser("check", help="validate a plugin; non-zero exit when bad")
    check.add_argument("name", help="entry-point name or dotted module path")
    check.set_defaults(func=cmd_plugins_check)
    add_plugin_commands(plugins)  # new, docs, preview

    audit = sub.add_parser("audit", help="audit log").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="check every tenant's hash chain")
    verify.add_argument("--tenant", help="only this tenant (slug)")
    verify.set_defaults(func=cmd_audit_verify)
    fold = audit.add_parser("fold", help="fold the audited reads into each tenant's chain")
    fold.add_argument("--tenant", help="only this tenant (slug)")
    fold.set_defaults(func=cmd_audit_fold)

    reports = sub.add_parser("reports", help="the towns' figures").add_subparsers(
        dest="reports_command", required=True
    )
    export = reports.add_parser(
        "export", help="write a tenant's fiscal-year figures (counts only) to a file"
    )
    export.add_argument("slug")
    export.add_argument("--fy", type=int, required=True, help="fiscal year, e.g. 2026 (令和8年度)")
    export.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    export.add_argument("out", help="the file to write (never overwritten)")
    export.set_defaults(func=cmd_reports_export)

    billing = sub.add_parser("billing", help="billing lifecycle").add_subparsers(
        dest="billing_command", required=True
    )
    sweep = billing.add_parser(
        "sweep",
        help="suspend tenants past due beyond the grace period; mark cancelled tenants "
        "past their retention for deletion (idempotent; run daily)",
    )
    sweep.add_argument("--as-of", help="pretend it is this ISO date/time (UTC), e.g. 2026-01-31")
    sweep.set_defaults(func=cmd_billing_sweep)
    add_billing_commands(billing)  # offboard
    add_check_prices_command(billing)
    add_metrics_commands(sub)  # metrics release; central add-account, serve
    add_secrets_commands(sub)  # secrets generate, rotate-master
    add_jobs_commands(sub)  # jobs list, run, worker
    add_backup_commands(sub)  # backup dump, restore-drill
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args, load_settings()))


if __name__ == "__main__":
    raise SystemExit(main())
