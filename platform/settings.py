"""Typed settings read from the environment (``KASANE_*``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def async_url(url: str) -> str:
    """Pick the async driver for a plain database URL (``postgresql://`` → asyncpg)."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


# The two secrets the app refuses to start without outside demo mode (kasane.ops.secrets).
REQUIRED_SECRETS = ("KASANE_SECRET_KEY", "KASANE_MASTER_KEY")


def _secret_key(var_dir: Path, name: str = "secret_key", *, generate: bool = True) -> str:
    """From ``KASANE_<NAME>``, else (``generate``: the demo and local chores) a random value
    generated once into ``var/<name>``; else ""."""
    if key := os.environ.get(f"KASANE_{name.upper()}"):
        return key
    path = var_dir / name
    if not generate:
        return ""
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _billing_settings(var_dir: Path) -> dict[str, object]:
    """``KASANE_BILLING``, ``KASANE_STRIPE_*``, grace and retention periods."""
    env = os.environ.get
    billing = env("KASANE_BILLING", "local")
    if billing not in ("local", "stripe"):
        raise ValueError(f"KASANE_BILLING must be 'local' or 'stripe', not {billing!r}")
    values: dict[str, object] = {
        "billing": billing,
        "stripe_secret_key": env("KASANE_STRIPE_SECRET_KEY", ""),
        "stripe_api_base": env("KASANE_STRIPE_API_BASE", "").rstrip("/"),
        "billing_grace_days": int(env("KASANE_BILLING_GRACE_DAYS", "7")),
        "retention_days": int(env("KASANE_RETENTION_DAYS", "90")),
    }
    # The seller on quotations and invoices (インボイス制度: name and 登録番号 are required).
    for name in ("name", "address", "registration_number", "bank_account"):
        if value := env(f"KASANE_OPERATOR_{name.upper()}"):
            values[f"operator_{name}"] = value
    # The local implementation signs its webhooks too, so it needs a secret even in a demo.
    secret = env("KASANE_STRIPE_WEBHOOK_SECRET", "")
    values["stripe_webhook_secret"] = secret or (
        "" if billing == "stripe" else "whsec_" + _secret_key(var_dir, "stripe_webhook_secret")
    )
    for name in ("product", "tax_rate"):
        if value := env(f"KASANE_STRIPE_{name.upper()}"):
            values[f"stripe_{name}"] = value
    for tier in ("small", "medium", "large"):
        if price := env(f"KASANE_STRIPE_PRICE_{tier.upper()}"):
            values[f"stripe_price_{tier}"] = price
    return values


@dataclass(frozen=True)
class Settings:
    """Everything configurable; built once by :func:`load_settings`."""

    database_url: str
    migration_database_url: str
    base_domain: str
    secret_key: str
    master_key: str  # wraps the per-tenant data keys; never rotate it with secret_key
    var_dir: Path
    demo: bool = False
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    secure_cookies: bool = True  # load_settings: on unless demo (or KASANE_SECURE_COOKIES=0)
    # Re-read changed templates without a restart: the demo's default (local development);
    # off in production (KASANE_TEMPLATE_RELOAD=1 turns it on).
    template_reload: bool = False
    # Pending logins and the login rate limit (kasane.core.ephemeral): "" = this process's
    # memory (one process); a redis:// URL when several app processes share them.
    redis_url: str = ""
    # Proxies whose X-Forwarded-For/-Proto `kasane serve` trusts (uvicorn's
    # forwarded_allow_ips): the addresses of the load balancer or ingress, or "*" when only
    # the ingress can reach the app. Default: the local host only.
    forwarded_allow_ips: str = "127.0.0.1"
    # Billing (kasane.tenants.billing): "local" (Checkout and Portal served by Kasane itself,
    # customers and subscriptions in localstripe when stripe_api_base is set, else in memory)
    # or "stripe" (the real Stripe; needs stripe_secret_key and stripe_webhook_secret).
    billing: str = "local"
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # "" = Stripe's own; tests point it at localstripe
    stripe_price_small: str = "price_kasane_small"
    stripe_price_medium: str = "price_kasane_medium"
    stripe_price_large: str = "price_kasane_large"
    stripe_product: str = "prod_kasane"  # the product yearly (invoice) prices are made for
    stripe_tax_rate: str = ""  # 消費税 10 % tax rate id; "" = created on first use
    billing_grace_days: int = 7  # past_due for this long → suspended (read-only)
    # The operator as seller (quotations, invoices); the defaults are a fictitious demo.
    operator_name: str = "かさね運営株式会社（架空）"
    operator_address: str = "〒100-0000 東京都千代田区架空町1-2-3"
    operator_registration_number: str = "T0000000000000"  # 適格請求書発行事業者登録番号
    operator_bank_account: str = "架空銀行 本店 普通 0000000 カ）カサネウンエイ"
    retention_days: int = 90  # cancelled for this long → marked for deletion
    # The central site (kasane.central): its own database URL — on PostgreSQL the role
    # kasane_central, which reads only the released tables and the budget ledger; "" = the
    # app's own database (the SQLite demo) — and its own OpenID Connect provider, if any.
    central_database_url: str = ""
    central_oidc_issuer: str = ""
    central_oidc_client_id: str = ""
    central_oidc_client_secret: str = ""
    # Background jobs (kasane.ops.jobs): "inprocess" (run by the app process itself — what
    # `kasane serve` does when KASANE_JOBS is unset), "worker" (a separate `kasane jobs
    # worker` runs them; the app only serves), "off"; "" = not set (create_app: off).
    jobs: str = ""
    # Mail (digests, registry review notices): smtp://user:pass@host:587 (STARTTLS) or
    # smtps://…:465; "" = no mail (the job records what it would have sent, counts only).
    smtp_url: str = ""
    mail_from: str = "kasane@localhost"
    operator_email: str = ""  # alarms (a broken audit chain) also go here when set
    # Prometheus metrics on their own port (kasane.ops.metrics); 0 = not served.
    metrics_port: int = 0
    # OpenTelemetry tracing (kasane.ops.tracing): off unless set; the exporter is configured
    # by the standard OTEL_* variables (e.g. OTEL_EXPORTER_OTLP_ENDPOINT).
    tracing: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def central_url(self) -> str:
        """Where the central site reads: its own URL, else the app's database."""
        return self.central_database_url or self.database_url


def load_settings(**overrides: object) -> Settings:
    """Read ``KASANE_*`` variables; keyword overrides win (tests use them)."""
    var_dir = Path(
        str(overrides.pop("var_dir", None) or os.environ.get("KASANE_VAR_DIR", REPO_ROOT / "var"))
    ).resolve()
    default_db = f"sqlite:///{var_dir / 'kasane.db'}"
    db = str(
        overrides.pop("database_url", None) or os.environ.get("KASANE_DATABASE_URL", default_db)
    )
    demo = overrides.get("demo")
    if demo is None:
        demo = os.environ.get("KASANE_DEMO", "") in ("1", "true", "yes")
    # Outside demo mode the keys come from the environment only: a key generated into one
    # pod's var/ would differ from its neighbour's (see kasane.ops.secrets.require_secrets).
    generate = bool(demo)
    values: dict[str, object] = {
        "database_url": async_url(db),
        "migration_database_url": async_url(
            str(
                overrides.pop("migration_database_url", None)
                or os.environ.get("KASANE_MIGRATION_DATABASE_URL", db)
            )
        ),
        "base_domain": os.environ.get("KASANE_BASE_DOMAIN", "localhost"),
        "secret_key": _secret_key(var_dir, generate=generate),
        "master_key": _secret_key(var_dir, "master_key", generate=generate),
        "var_dir": var_dir,
        "demo": bool(demo),
        "redis_url": os.environ.get("KASANE_REDIS_URL", ""),
        "forwarded_allow_ips": os.environ.get("KASANE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "central_database_url": async_url(os.environ.get("KASANE_CENTRAL_DATABASE_URL", "")),
        "central_oidc_issuer": os.environ.get("KASANE_CENTRAL_OIDC_ISSUER", "").rstrip("/"),
        "central_oidc_client_id": os.environ.get("KASANE_CENTRAL_OIDC_CLIENT_ID", ""),
        "central_oidc_client_secret": os.environ.get("KASANE_CENTRAL_OIDC_CLIENT_SECRET", ""),
        "jobs": os.environ.get("KASANE_JOBS", ""),
        "smtp_url": os.environ.get("KASANE_SMTP_URL", ""),
        "mail_from": os.environ.get("KASANE_MAIL_FROM", "kasane@localhost"),
        "operator_email": os.environ.get("KASANE_OPERATOR_EMAIL", ""),
        "metrics_port": int(os.environ.get("KASANE_METRICS_PORT", "0") or 0),
        "tracing": os.environ.get("KASANE_TRACING", "") in ("1", "true", "yes"),
        **_billing_settings(var_dir),
    }
    values.update(overrides)
    values["central_database_url"] = async_url(str(values["central_database_url"]))
    if "secure_cookies" not in values:
        # Secure cookies (sent over HTTPS only) unless this is the local demo over plain
        # HTTP; KASANE_SECURE_COOKIES=0 turns them off explicitly (e.g. behind a test proxy).
        flag = os.environ.get("KASANE_SECURE_COOKIES", "").lower()
        values["secure_cookies"] = flag in ("1", "true", "yes") if flag else not values["demo"]
    if "template_reload" not in values:
        flag = os.environ.get("KASANE_TEMPLATE_RELOAD", "").lower()
        values["template_reload"] = flag in ("1", "true", "yes") if flag else values["demo"]
    if values["jobs"] not in ("", "inprocess", "worker", "off"):
        raise ValueError(f"KASANE_JOBS must be inprocess, worker or off, not {values['jobs']!r}")
    return Settings(**values)  # type: ignore[arg-type]  # keys checked by the dataclass
