"""``kasane secrets generate|rotate-master`` and the start-up check for the two secrets.

Outside demo mode the app, its worker and ``kasane db upgrade`` refuse to start unless
``KASANE_SECRET_KEY`` (sessions, CSRF) and ``KASANE_MASTER_KEY`` (wraps every tenant's data
key) come from the environment: a key generated into one pod's ``var/`` would differ from
the next pod's, and what one sealed the other could not open.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys

from kasane.settings import REQUIRED_SECRETS, Settings

NEW_MASTER_ENV = "KASANE_NEW_MASTER_KEY"
KEY_BYTES = 48  # token_urlsafe(48): 64 characters, 384 bits


class MissingSecrets(SystemExit):
    """Start-up refused: a required secret is not in the environment (exit status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message


def missing_secrets(settings: Settings) -> list[str]:
    """The required secrets that are empty (never in demo mode, where var/ supplies them)."""
    values = {"KASANE_SECRET_KEY": settings.secret_key, "KASANE_MASTER_KEY": settings.master_key}
    return [name for name in REQUIRED_SECRETS if not values[name]]


def require_secrets(settings: Settings, what: str = "kasane") -> None:
    """Refuse to start (``MissingSecrets``, exit status 2) with a message that names each
    missing variable and how to make one.

    Raises:
        MissingSecrets: a required secret is missing outside demo mode.
    """
    missing = missing_secrets(settings)
    if not missing:
        return
    lines = [f"error: {what} refuses to start: {', '.join(missing)} not set."]
    for name in missing:
        lines.append(f"  {name}: set it in the environment (make one: `kasane secrets generate`).")
    if "KASANE_MASTER_KEY" in missing and (settings.var_dir / "master_key").exists():
        lines.append(
            f"  {settings.var_dir / 'master_key'} holds the key this instance used so far: "
            "export its content as KASANE_MASTER_KEY (a new key would open nothing sealed)."
        )
    lines.append("  (KASANE_DEMO=1 generates both under var/ for a local demo only.)")
    message = "\n".join(lines)
    print(message, file=sys.stderr)
    raise MissingSecrets(message)


def new_key() -> str:
    """A fresh random key (URL-safe, 64 characters)."""
    return secrets.token_urlsafe(KEY_BYTES)


def cmd_secrets_generate(args: argparse.Namespace, settings: Settings) -> int:
    names = {"secret": ["KASANE_SECRET_KEY"], "master": ["KASANE_MASTER_KEY"]}.get(
        args.only or "", list(REQUIRED_SECRETS)
    )
    for name in names:
        print(f"{name}={new_key()}")
    return 0


async def _rotate(settings: Settings, old: str, new: str) -> tuple[int, int, int, int]:
    import kasane.models  # noqa: F401  (every table, so flushes resolve their foreign keys)
    from kasane.central.accounts import do_reseal_totp_secrets
    from kasane.core.audit.services import do_audit
    from kasane.core.db import Database
    from kasane.core.protection.rotation import do_rewrap_tenant_keys

    db = Database(settings.migration_database_url)
    try:
        async with db.session(all_tenants=True) as s:  # refuse before anything is written
            plan = await do_rewrap_tenant_keys(s, old, new, dry_run=True)
        for tenant_id in plan.rewrapped:  # one transaction per tenant, with its audit event
            async with db.session(tenant_id) as s:
                done = await do_rewrap_tenant_keys(s, old, new)
                if done.rewrapped:
                    await do_audit(s, "cli", "tenant_key.rewrapped", f"tenant:{tenant_id}")
        async with db.session() as s:
            central = await do_reseal_totp_secrets(s, old, new)
    finally:
        await db.dispose()
    return len(plan.rewrapped), len(plan.already_new), plan.destroyed, central


def cmd_secrets_rotate_master(args: argparse.Namespace, settings: Settings) -> int:
    from kasane.core.protection.aead import SealedDataError
    from kasane.core.protection.rotation import RotationRefused

    new = os.environ.get(NEW_MASTER_ENV, "")
    if not settings.master_key or not new:
        print(
            "error: rotate-master needs the current key in KASANE_MASTER_KEY and the new one "
            f"in {NEW_MASTER_ENV} (make one: `kasane secrets generate --only master`)",
            file=sys.stderr,
        )
        return 2
    if new == settings.master_key:
        print(f"error: {NEW_MASTER_ENV} is the current key", file=sys.stderr)
        return 2
    try:
        rewrapped, already, destroyed, central = asyncio.run(
            _rotate(settings, settings.master_key, new)
        )
    except RotationRefused as exc:
        print(
            f"error: {len(exc.tenant_ids)} tenant key(s) open under neither KASANE_MASTER_KEY "
            f"nor {NEW_MASTER_ENV}; nothing was changed: "
            + ", ".join(str(t) for t in exc.tenant_ids),
            file=sys.stderr,
        )
        return 1
    except SealedDataError:
        print(
            "error: a central account's TOTP secret opens under neither key; the tenants' keys "
            "are re-wrapped, the central accounts unchanged",
            file=sys.stderr,
        )
        return 1
    print(
        f"master key rotated: {rewrapped} tenant key(s) re-wrapped, {already} already under "
        f"the new key, {destroyed} destroyed (left alone), {central} central TOTP secret(s) "
        "re-sealed.\nNow set KASANE_MASTER_KEY to the new key everywhere (app, worker, "
        "migrate job) and restart them."
    )
    return 0


def add_secrets_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``kasane secrets generate`` and ``kasane secrets rotate-master``."""
    group = sub.add_parser("secrets", help="the secret and master keys").add_subparsers(
        dest="secrets_command", required=True
    )
    gen = group.add_parser(
        "generate", help="print new KASANE_SECRET_KEY and KASANE_MASTER_KEY lines (env format)"
    )
    gen.add_argument("--only", choices=("secret", "master"), help="only this one")
    gen.set_defaults(func=cmd_secrets_generate)
    rotate = group.add_parser(
        "rotate-master",
        help=f"re-wrap every tenant's data key from KASANE_MASTER_KEY to ${NEW_MASTER_ENV} "
        "(KASANE_MIGRATION_DATABASE_URL; stop the app and worker first)",
    )
    rotate.set_defaults(func=cmd_secrets_rotate_master)
