"""``/admin/look`` (the admin's theme, colours, logo text and words) and ``/look.css``.

``/look.css`` is the tenant's colours as CSS custom properties: a stylesheet rather than
inline style, so a strict Content-Security-Policy keeps working. It holds no personal data,
so it needs no login and may be cached; pages link it with the colours as a version, so a
change shows at once. With ``primary`` / ``accent`` in the query it gives those colours
instead (the admin page's preview); it only ever echoes ``#rrggbb`` values.
``/admin/look`` needs ``tenant:look:manage``, checked with every route's permission by
``requires_login`` (``kasane.core.auth.permissions``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromQuery
from litestar.response import Redirect

from kasane.core.auth.permissions import needs
from kasane.core.defaults import TERMS
from kasane.core.look.contrast import HEX_COLOUR, theme_tokens
from kasane.core.look.models import LOGO_TEXT_MAX, TERM_MAX
from kasane.core.look.services import (
    COLOUR_FIELDS,
    TERM_FIELD,
    LookInput,
    check_look,
    do_save_look,
    find_look,
    input_of,
    look_css,
    read_look_form,
    theme_problem,
)
from kasane.core.tenancy import TenantContext
from kasane.core.themes import available_themes
from kasane.core.web.deps import (
    Actor,
    DbSession,
    FormBody,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import render

CSS_MAX_AGE = 24 * 60 * 60  # the URL changes with the colours; this only bounds a code change


def _fallback_theme(tenant: TenantContext) -> str:
    """The theme when the admin picks none: the operator's override or the plugin's."""
    return tenant.theme_override or tenant.plugin_config.theme


def offered_themes(tenant: TenantContext, chosen: str | None = None) -> list[str]:
    """The themes this town may choose: every installed one in a demo town; else the
    default, its own (named after it), the operator's and the plugin's — never another
    town's."""
    installed = available_themes()
    if tenant.demo:
        return sorted(installed)
    own = {"default", tenant.slug, tenant.theme_override, tenant.plugin_config.theme, chosen}
    return sorted(t for t in own if t and t in installed)


def _page(
    request: Request[Any, Any, Any],
    look: LookInput,
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    preview: bool = False,
    status: int = 200,
) -> Response[str]:
    tenant = requires_tenant(request)
    errors = errors or {}
    fallback = _fallback_theme(tenant)
    shown_theme = look.theme if look.theme in available_themes() else fallback
    tokens = theme_tokens(shown_theme)
    plugin_terms = tenant.plugin_config.terminology
    context: dict[str, Any] = {
        "values": look.form_values(),
        "errors": errors,
        "saved": saved,
        "previewing": preview,
        "themes": offered_themes(tenant, look.theme if look.theme in available_themes() else None),
        "fallback_theme": fallback,
        "theme_colours": {
            "primary_color": tokens["--color-primary"].value,
            "accent_color": tokens["--color-focus"].value,
        },
        "terms": [(key, TERMS[key], plugin_terms.get(key, TERMS[key])) for key in TERMS],
        "term_field": TERM_FIELD,
        "logo_text_max": LOGO_TEXT_MAX,
        "term_max": TERM_MAX,
    }
    if preview:
        # The whole page shows the proposal: the chosen theme's tokens and the colours that
        # passed their checks (a refused one is not shown off).
        colours = {
            key: getattr(look, name)[1:]
            for name, key in COLOUR_FIELDS.items()
            if name not in errors and HEX_COLOUR.match(getattr(look, name))
        }
        context["theme"] = shown_theme
        context["preview_css"] = "/look.css?" + urlencode(colours) if colours else ""
    return render(request, "admin/look", context, status_code=status)


@get(
    "/admin/look",
    name="admin_look",
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:look:manage"),
)
async def admin_look(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
) -> Response[str]:
    """The look form with what is saved, and a preview of it."""
    saved = request.query_params.get("saved") == "1"
    return _page(request, input_of(await find_look(db_session)), saved=saved)


@post(
    "/admin/look",
    name="admin_look_save",
    status_code=200,
    dependencies={"actor": Provide(requires_login)},
    opt=needs("tenant:look:manage"),
)
async def admin_look_save(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, data: FormBody
) -> Response[Any]:
    """Preview (``action=preview``) or save the look; a refused form comes back as typed."""
    requires_writable(request)
    tenant = requires_tenant(request)
    look = read_look_form(data)
    errors = check_look(look, _fallback_theme(tenant))
    if look.theme and look.theme not in offered_themes(tenant) and "theme" not in errors:
        errors["theme"] = theme_problem(look.theme)
    if errors or data.get("action") == "preview":
        return _page(request, look, errors=errors, preview=True, status=422 if errors else 200)
    await do_save_look(db_session, look, actor.ref)
    # Committed before the resolver forgets the tenant, so its next load sees the change.
    await db_session.commit()
    request.app.state.resolver.forget(tenant.slug)
    return Redirect("/admin/look?saved=1", status_code=303)


@get(
    "/look.css",
    name="look_css",
    opt={"exclude_from_csrf": True},  # no cookie on a cacheable stylesheet
)
async def look_stylesheet(
    request: Request[Any, Any, Any], primary: FromQuery[str] = "", accent: FromQuery[str] = ""
) -> Response[str]:
    """The tenant's colours as CSS custom properties (or the preview's, from the query)."""
    tenant = requires_tenant(request)
    if primary or accent:
        colours = {"primary": f"#{primary.lower()}", "accent": f"#{accent.lower()}"}
    else:
        colours = dict(tenant.local.look)
    return Response(
        look_css(colours),
        media_type="text/css",  # Litestar adds the charset
        headers={"Cache-Control": f"public, max-age={CSS_MAX_AGE}"},
    )


ROUTES = [admin_look, admin_look_save, look_stylesheet]
