"""The ASGI factory each server process calls (``uvicorn kasane.ops.asgi:create --factory``;
``kasane serve --workers N`` uses it): settings from the environment, the secrets checked,
JSON logs."""

from __future__ import annotations

from typing import Any

from kasane.ops.logs import configure_logging
from kasane.ops.secrets import require_secrets
from kasane.settings import load_settings


def create() -> Any:
    """One process's application."""
    from kasane.app import create_app

    settings = load_settings()
    require_secrets(settings, "kasane serve")
    app = create_app(settings)
    configure_logging()
    return app
