"""Per-tenant Jinja environments: loader chain theme → plugin → core.

``render(request, "home", ctx)`` returns the full page ``home.html`` for a normal request
and the fragment ``_home.html`` for htmx (``HX-Request``); the full page includes the same
fragment, so both always agree. ``core/<name>`` reaches the core original from an override.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.utils.scope.state import ScopeState
from litestar_htmx import HTMXDetails

from kasane.core import i18n
from kasane.core.defaults import TERMS
from kasane.core.i18n import N_
from kasane.core.japan_time import JST, jst_moment, wareki
from kasane.core.reports.periods import month_label
from kasane.core.tenancy import TenantContext
from kasane.core.themes import theme_dir
from kasane.core.web.template_gettext import template_gettext

CORE_TEMPLATES = Path(__file__).parent / "templates"
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")


def link_url(url: str | None) -> str | None:
    """``url`` when it is safe as a link's target (http, https, mailto, tel), else None:
    a ``javascript:`` or ``data:`` URL that came in with imported data never becomes a
    link (the template shows it as text)."""
    value = (url or "").strip()
    return value if value.lower().startswith(SAFE_LINK_SCHEMES) else None


def to_jst(value: datetime | str | None) -> str:
    """A stored UTC moment in JST, by the date policy (``japan_time.jst_moment``); also its
    ISO text (the 開示請求 record is JSON-able text, shown on its printable page)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if value else None
    return jst_moment(value, english=i18n.current_locale.get() == "en")


def jst_day(value: datetime | None) -> str:
    """The JST day and time of a moment (a meeting's start): 令和8年12月8日 14:00."""
    return to_jst(value)


def is_today(value: datetime | None, today: date) -> bool:
    return value is not None and value.astimezone(JST).date() == today


def _day(value: date | str | None) -> date | None:
    """A day, or the day its ISO text names (as :func:`to_jst` reads a moment's)."""
    if isinstance(value, str):
        return date.fromisoformat(value) if value else None
    return value


def wareki_filter(value: date | str | None, western: bool = False) -> str:
    """A calendar day by the date policy (``japan_time.wareki``)."""
    return wareki(_day(value), western=western, english=i18n.current_locale.get() == "en")


def birth_date(value: date | str | None) -> str:
    """A birth date: 和暦 with 元年 (昭和20年8月15日), ISO in English."""
    return wareki(_day(value), english=i18n.current_locale.get() == "en")


def month_filter(key: str) -> str:
    """A month key (``2026-12``) by the date policy: 令和8年12月, ``December 2026`` in English."""
    return month_label(key, i18n.current_locale.get()) if key else ""


def cadence_text(cadence: Any) -> str:
    """A meeting cadence in words, e.g. 毎月第2火曜日 14:00."""
    _ = i18n.gettext
    if cadence.frequency == "as_needed":
        return _("As needed")
    day = _(WEEKDAYS[cadence.weekday]) if cadence.weekday is not None else ""
    time = cadence.time or ""
    if cadence.frequency == "monthly":
        nth = _("last") if cadence.nth == -1 else str(cadence.nth)
        return _("Monthly, week %(nth)s %(day)s %(time)s", nth=nth, day=day, time=time).strip()
    if cadence.frequency == "weekly":
        return _("Weekly, %(day)s %(time)s", day=day, time=time).strip()
    return _("Quarterly, %(day)s %(time)s", day=day, time=time).strip()


# Whether Jinja re-checks each template file's modification time on every render. Off in
# production (templates change only with a deploy; the check is a stat() per template and
# include per request); on for local development (``make run``'s demo). See create_app.
_AUTO_RELOAD = False


def set_template_reload(on: bool) -> None:
    """Turn the re-check on or off for environments built from now on (the cached ones are
    dropped)."""
    global _AUTO_RELOAD
    _AUTO_RELOAD = on
    environment_for.cache_clear()
    operator_environment.cache_clear()


def _environment(loaders: tuple[str, ...]) -> jinja2.Environment:
    core = jinja2.FileSystemLoader(str(CORE_TEMPLATES))
    chain: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(p) for p in loaders]
    chain += [core, jinja2.PrefixLoader({"core": core})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(chain),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        enable_async=False,
        auto_reload=_AUTO_RELOAD,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n ext
        gettext=lambda s, **kw: i18n.gettext(s, **kw),
        ngettext=lambda s, p, n, **kw: i18n.ngettext(s, p, n, **kw),
        newstyle=True,
    )
    # ``_`` straight to the cached lookup, not through the extension's alias and wrapper
    env.globals.update(_=template_gettext, gettext=template_gettext)
    env.filters.update(
        jst=to_jst,
        jst_day=jst_day,
        is_today=is_today,
        wareki=wareki_filter,
        birth_date=birth_date,
        month=month_filter,
        cadence=cadence_text,
        link_url=link_url,
        html_datetime=html_datetime,
    )
    return env


def html_datetime(value: Any) -> str:
    """A ``<time datetime>`` value HTML accepts: at most three fractional digits (Python's
    ``isoformat`` writes six)."""
    micro = getattr(value, "microsecond", 0)
    return str(value.isoformat(timespec="milliseconds" if micro else "seconds"))


@cache
def environment_for(
    theme: str, plugin_dir: str | None, extra: tuple[str, ...] = ()
) -> jinja2.Environment:
    """Cached per (theme, plugin template dir, extra dirs): tenants sharing them share one
    env. ``extra`` folders (a package's own templates) come after the plugin's."""
    loaders = [str(theme_dir(theme) / "templates")]
    if plugin_dir:
        loaders.append(plugin_dir)
    return _environment((*loaders, *extra))


@cache
def operator_environment(extra: tuple[str, ...] = ()) -> jinja2.Environment:
    """The hosts without a tenant (operator, central): the default theme, then ``extra``."""
    return _environment((str(theme_dir("default") / "templates"), *extra))


def htmx_of(request: Request[Any, Any, Any]) -> HTMXDetails:
    """What htmx says about ``request`` (litestar-htmx reads its ``HX-*`` headers)."""
    return HTMXDetails(request)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return bool(htmx_of(request))


def _csrf_token(request: Request[Any, Any, Any]) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def _term_of(config: Any) -> Any:
    """``term("area")``: the tenant's word for a core term (admin › plugin › core), translated."""

    def term(key: str) -> str:
        words = config.terminology if config else {}
        return i18n.gettext(words.get(key) or TERMS.get(key, key))

    return term


def _setup_checklist(config: Any) -> Any:
    """``setup_checklist()``: what the town still lacks, as (item, text) pairs (the admin's
    home shows it; see ``kasane.core.town.setup``)."""

    def found() -> list[tuple[Any, str]]:
        from kasane.core.town.setup import checklist, missing_text

        return [(m, missing_text(m)) for m in checklist(config)] if config else []

    return found


def base_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    tenant: TenantContext | None = request.scope["state"].get("tenant")
    config = tenant.config if tenant else None
    return {
        "request": request,
        "tenant": tenant,
        "config": config,
        "term": _term_of(config),
        "theme": tenant.theme if tenant else "default",
        "actor": request.scope["state"].get("actor"),
        "lang": i18n.current_locale.get(),
        "csrf_token": _csrf_token(request),
        "demo": request.app.state.settings.demo,
        "now": datetime.now(UTC),
        "setup_checklist": _setup_checklist(config),
    }


def render(
    request: Request[Any, Any, Any],
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    *,
    fragment: bool | None = None,
    templates: tuple[str, ...] = (),
) -> Response[str]:
    """Render ``name.html`` (full page) or ``_name.html`` (htmx fragment) for the tenant.

    ``name`` may have a folder: ``cases/list`` → ``cases/list.html`` / ``cases/_list.html``.
    ``templates``: extra template folders of a package outside the core (the central site).
    """
    tenant: TenantContext | None = request.scope["state"].get("tenant")
    if tenant is None:
        env = operator_environment(templates)
    else:
        plugin_dir = tenant.hooks.kasane_template_dir(tenant=tenant.info)
        env = environment_for(tenant.theme, plugin_dir, templates)
    use_fragment = is_htmx(request) if fragment is None else fragment
    folder, _, base = name.rpartition("/")
    fragment_name = f"{folder}/_{base}" if folder else f"_{base}"
    template = env.get_template(f"{fragment_name if use_fragment else name}.html")
    html = template.render({**base_context(request), **(context or {})})
    return Response(html, media_type=MediaType.HTML, status_code=status_code)
