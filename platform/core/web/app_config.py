"""What every Kasane application shares (the tenants' app and the central site's): the CSRF
cookie and header, and the static files (the core's and the themes')."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.static_files import create_static_files_router

from kasane.core.themes import theme_dir
from kasane.settings import Settings

CORE_STATIC = Path(__file__).parent / "static"


def csrf_config(settings: Settings) -> CSRFConfig:
    """The double-submit CSRF cookie on every state-changing request, htmx included."""
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name="kasane_csrf",
        header_name="x-csrftoken",
        cookie_samesite="strict",
        cookie_secure=settings.secure_cookies,
        exclude=["/static", "/healthz"],
    )


def static_routers(themes: Iterable[str]) -> list[Any]:
    """``/static/core`` and ``/static/themes/<name>`` for each of ``themes``."""
    routers = [
        create_static_files_router(
            path="/static/core", directories=[CORE_STATIC], name="core_static"
        )
    ]
    routers += [
        create_static_files_router(
            path=f"/static/themes/{name}",
            directories=[theme_dir(name) / "static"],
            name=f"theme_static_{name}",
        )
        for name in sorted(themes)
    ]
    return routers
