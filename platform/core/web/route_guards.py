"""Every route is either behind a login or named here as public, with the reason.

A staff route is guarded by depending on the logged-in actor (``requires_login``: the
login, then the permission the route declares with ``opt=needs(...)`` on itself or its
controller, deny by default); a central route by ``requires_central_login``. A handler that
forgets that dependency would silently be public, and one that declares no permission would
answer 403 to everyone — so the apps refuse to start with a route that is neither guarded
nor listed below, or a staff route that declares no permission (:func:`refuse_unguarded`),
whatever the handler's signature; ``tests/integration/test_route_guards.py`` shows both
with throwaway routes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

from litestar import Litestar
from litestar.handlers import BaseRouteHandler

# What a route declares it needs, per method (None: nothing): ``permission_for`` on a town's
# host. The central app's guard checks its own roles and passes none. (Passed in, not
# imported: the central site must not load the tenant side's modules.)
PermissionOf = Callable[[BaseRouteHandler, str], str | None]

# Public on a town's host and the operator site, by handler name → why.
PUBLIC_ROUTES: dict[str, str] = {
    "login": "the login page",
    "login_submit": "the login itself",
    "login_totp": "the login's second step (a pending login, no session yet)",
    "sso_login": "sign-in with the town's identity provider starts here",
    "sso_callback": "the identity provider sends the browser back here",
    "sso_jwks": "the provider reads Kasane's public keys (private_key_jwt)",
    "invitation": "an invited staff member has no account yet (the token is the key)",
    "invitation_accept": "accepting the invitation creates the account",
    "set_language": "the language switch works before login",
    "look_css": "the town's colours, also on the login page",
    "calendar_ics": "a personal calendar feed: the secret token in its name is the key",
    "registry_confirm": "a provider confirms its own entry by a one-time token",
    "registry_confirm_submit": "… and submits the confirmation",
    # the anonymous open-data API: public records only (decision 0014)
    "hsds_api_root": "open data",
    "hsds_organizations": "open data",
    "hsds_organization": "open data",
    "hsds_services": "open data",
    "hsds_service": "open data",
    "hsds_service_at_locations": "open data",
    "hsds_taxonomies": "open data",
    "hsds_taxonomy": "open data",
    "hsds_taxonomy_terms": "open data",
    "hsds_taxonomy_term": "open data",
    "hsds_profile": "describes the open data's Japanese profile (decision 0026)",
    # the operator site (no tenant): the landing page, signup, payment
    "operator_home": "the operator's landing page",
    "signup": "a town signs up",
    "signup_submit": "a town signs up",
    "signup_checkout": "a town signs up",
    "signup_lookup": "the municipality code lookup at signup",
    "quote_page": "a town asks for a quotation before it signs up (見積書)",
    "quote_pdf": "… and downloads it (numbered; no personal data)",
    "signup_result": "the page after payment (a signed cookie names the signup)",
    "stripe_webhook": "the payment provider's signed webhook",
    "local_checkout": "the local payment stand-in (no Stripe configured)",
    "local_checkout_pay": "the local payment stand-in",
    "local_portal": "the local billing portal stand-in (a signed link)",
    "local_portal_action": "the local billing portal stand-in",
}
# Public by path: static files and the API's schema (its documentation is public too).
PUBLIC_PREFIXES: tuple[str, ...] = ("/static/", "/schema")

# The central site: its login, the language switch and the health check only.
CENTRAL_PUBLIC_ROUTES: dict[str, str] = {
    "central_login": "the central login page",
    "central_login_submit": "the central login itself",
    "central_login_totp": "the login's second step",
    "central_sso_login": "sign-in with the central OpenID provider starts here",
    "central_sso_callback": "the provider sends the browser back here",
    "central_healthz": "the load balancer's health check (no data)",
    "set_language": "the language switch works before login",
}


def _guarded(handler: BaseRouteHandler, logins: tuple[Callable[..., Any], ...]) -> bool:
    """Does answering ``handler`` need a login: a guard, or a login dependency anywhere
    in what it depends on (a dependency of a dependency counts)?"""
    if handler.resolve_guards():
        return True
    providers = handler.resolve_dependencies()
    todo = list(handler.parsed_fn_signature.parameters)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        provider = providers.get(name)
        if provider is None or name in seen:
            continue
        seen.add(name)
        if provider.dependency in logins:
            return True
        signature = getattr(provider, "parsed_fn_signature", None)
        if signature is not None:  # what the dependency itself takes
            todo.extend(signature.parameters)
    return False


def _handlers(app: Litestar) -> Iterator[tuple[str, set[str], BaseRouteHandler]]:
    """(path, methods, handler) for every route of ``app`` outside the public prefixes;
    Litestar's automatic OPTIONS answers are left out."""
    for route in app.routes:
        if route.path.startswith(PUBLIC_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            methods = set(getattr(handler, "http_methods", ()) or ()) - {"OPTIONS"}
            if not methods and getattr(handler, "http_methods", None):
                continue  # the automatic OPTIONS handler
            yield route.path, methods, handler


def _named(path: str, methods: set[str], handler: BaseRouteHandler) -> str:
    return f"{'/'.join(sorted(methods)) or 'WS'} {path} ({handler.name})"


def unguarded_routes(
    app: Litestar, logins: Iterable[Callable[..., Any]], public: Mapping[str, str]
) -> list[str]:
    """``METHOD path (handler)`` for every route of ``app`` that answers without a login
    and is not listed as public."""
    logins = tuple(logins)
    return [
        _named(path, methods, handler)
        for path, methods, handler in _handlers(app)
        if handler.name not in public and not _guarded(handler, logins)
    ]


def undeclared_permissions(
    app: Litestar,
    logins: Iterable[Callable[..., Any]],
    public: Mapping[str, str],
    permission_of: PermissionOf,
    catalog: Collection[str],
) -> list[str]:
    """``METHOD path (handler)`` for every route behind a login that declares no permission
    of the ``catalog``, for one of its methods."""
    logins = tuple(logins)
    return [
        _named(path, methods, handler)
        for path, methods, handler in _handlers(app)
        if handler.name not in public
        and _guarded(handler, logins)
        and any(permission_of(handler, m) not in catalog for m in methods)
    ]


def refuse_unguarded(
    app: Litestar,
    logins: Iterable[Callable[..., Any]],
    public: Mapping[str, str],
    permissions: tuple[PermissionOf, Collection[str]] | None = None,
) -> None:
    """Stop the app from starting with a route that is neither guarded nor public, or —
    given ``permissions`` (how a route's permission is read, and the catalog) — a guarded
    route that declares no permission."""
    logins = tuple(logins)
    found = unguarded_routes(app, logins, public)
    if found:
        raise RuntimeError(
            "routes with neither a login nor a place in the public list "
            "(kasane.core.web.route_guards): " + "; ".join(found)
        )
    undeclared = undeclared_permissions(app, logins, public, *permissions) if permissions else []
    if undeclared:
        raise RuntimeError(
            "staff routes that declare no permission (opt=needs(...) on the route or its "
            "controller, kasane.core.auth.permissions): " + "; ".join(undeclared)
        )
