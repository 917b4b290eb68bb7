"""``kasane tenants set-plugin|invite-admin|show`` (see :mod:`kasane.tenants.operator`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from kasane.settings import Settings


def _db(settings: Settings) -> Any:
    from kasane.core.db import Database
    from kasane.core.protection.crypto import set_master_secret

    if settings.master_key:
        set_master_secret(settings.master_key)
    return Database(settings.database_url)


def _run(settings: Settings, work: Any) -> Any:
    async def go() -> Any:
        db = _db(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def print_refusal(plugin: str, problems: list[str]) -> None:
    print(f"error: plugin {plugin!r} fails its check: {len(problems)} problem(s)", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)


def cmd_set_plugin(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.operator import PluginRefused, do_set_plugin

    try:
        tenant = _run(settings, lambda db: do_set_plugin(db, args.slug, args.plugin))
    except LookupError:
        print(f"error: no tenant {args.slug!r}", file=sys.stderr)
        return 2
    except PluginRefused as exc:
        print_refusal(exc.plugin, exc.problems)
        return 1
    print(f"{tenant.slug}: plugin is now {tenant.plugin} (running servers follow within seconds)")
    return 0


def cmd_invite_admin(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.mail.invitations import invitation_mail, send_invitation
    from kasane.tenants.operator import do_invite_admin, invitation_link
    from kasane.tenants.services import TenantInvalid

    try:
        invite = _run(settings, lambda db: do_invite_admin(db, args.slug, args.email, args.name))
    except LookupError:
        print(f"error: no tenant {args.slug!r}", file=sys.stderr)
        return 2
    except TenantInvalid as exc:
        for field, problem in exc.problems.items():
            print(f"error: {field}: {problem}", file=sys.stderr)
        return 2
    link = invitation_link(
        settings.base_domain, settings.secure_cookies, invite.tenant.slug, invite.token
    )
    print(f"invitation for {invite.tenant.slug}'s first admin (works once, 14 days):")
    print(link)
    if not settings.smtp_url:
        print("mail: not sent (KASANE_SMTP_URL is not set); give the link yourself")
        return 0
    mail = invitation_mail(
        to=args.email.strip(),
        town=invite.tenant.name,
        name=args.name.strip(),
        link=link,
        expires_at=invite.expires_at,
        lang=args.lang,
    )
    try:
        asyncio.run(send_invitation(settings.smtp_url, settings.mail_from, mail))
    except Exception as exc:  # the link above still works: say so, exit non-zero
        print(
            f"error: mail not sent ({type(exc).__name__}); give the link yourself", file=sys.stderr
        )
        return 1
    print(f"mail: sent to {args.email.strip()} ({args.lang})")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.tenants.operator import plugin_problems, tenant_summary
    from kasane.tenants.services import find_tenant_by_slug, tenant_info

    async def work(db: Any) -> tuple[list[tuple[str, str]], list[str]]:
        rows = await tenant_summary(db, args.slug)
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, args.slug)
        assert tenant is not None  # tenant_summary found it
        return rows, plugin_problems(tenant.plugin, tenant_info(tenant))

    try:
        rows, now = _run(settings, work)
    except LookupError:
        print(f"error: no tenant {args.slug!r}", file=sys.stderr)
        return 2
    for label, value in rows:
        print(f"{label:<18} {value}")
    print(f"{'plugin check now':<18} {'OK' if not now else f'{len(now)} problem(s)'}")
    for problem in now:
        print(f"{'  -':<18} {problem}")
    return 0


def add_operator_commands(tenants: Any) -> None:
    """Add set-plugin, invite-admin and show under ``kasane tenants``."""
    rebind = tenants.add_parser("set-plugin", help="rebind a tenant to another (checked) plugin")
    rebind.add_argument("slug")
    rebind.add_argument("plugin", help="entry-point name or dotted module path")
    rebind.set_defaults(func=cmd_set_plugin)
    invite = tenants.add_parser(
        "invite-admin", help="invite a tenant's first admin: prints the link, mails it"
    )
    invite.add_argument("slug")
    invite.add_argument("email")
    invite.add_argument("--name", default="", help="the recipient's name, used in the mail")
    invite.add_argument("--lang", choices=("ja", "en"), default="ja", help="the mail's language")
    invite.set_defaults(func=cmd_invite_admin)
    show = tenants.add_parser("show", help="a tenant's facts and its plugin's problems")
    show.add_argument("slug")
    show.set_defaults(func=cmd_show)
