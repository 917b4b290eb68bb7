"""``/admin/town/{counters|areas|meetings}``: the town's own settings over its plugin.

Each page lists the effective items with where every value comes from (national default,
plugin, the town), and lets the admin add, edit, order, retire and restore them, and reset
a plugin item to the plugin's values. Needs ``tenant:config:manage``. A refused change
shows the plugin check's message beside the field and keeps what was typed.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.agencies import FIELDS
from kasane.core.auth.permissions import needs
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.plugin_answers import Problem
from kasane.core.tenancy import TenantContext
from kasane.core.town.effective import LOCAL_FORMS, as_data, base_items, effective_items
from kasane.core.town.forms import (
    DECISIONS,
    FIELD_TYPES,
    FREQUENCIES,
    LEGAL_BASES,
    MENU_CATEGORIES,
    NTHS,
    check_new_key,
    field_of,
    parse_item,
)
from kasane.core.town.services import (
    TownSettingRefused,
    do_move,
    do_reset_item,
    do_save_item,
    do_set_retired,
)
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_writable
from kasane.core.web.templating import WEEKDAYS, render

LOGIN = {"actor": Provide(requires_login)}
PAGES = {
    "counters": "counter",
    "areas": "area",
    "meetings": "meeting",
    "menus": "menu",
    "fields": "field",
}
TITLES = {
    "counter": N_("Counters"),
    "area": N_("Areas"),
    "meeting": N_("Meetings"),
    "menu": N_("Participation menus"),
    "field": N_("Local form fields"),
}
SOURCES = {"core": N_("National default"), "plugin": N_("Plugin"), "town": N_("Set by the town")}
DONE: dict[str, str] = {
    "added": N_("Added."),
    "saved": N_("Saved."),
    "reset": N_("Reset to the plugin's values."),
    "retired": N_("Retired: it is offered nowhere; records that name it keep its name."),
    "restored": N_("Restored."),
    "moved": N_("The order was saved."),
}


def _tenant(request: Request[Any, Any, Any]) -> TenantContext:
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant


def _kind(page: str) -> str:
    if page not in PAGES:
        raise NotFound("town_setting")
    return PAGES[page]


def problem_text(p: Problem) -> str:
    """The plugin check's message in the page's language."""
    return _(p.msgid, **p.params) if p.params else _(p.msgid)


async def _page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    page: str,
    *,
    status: int = 200,
    **state: Any,
) -> Response[str]:
    tenant = _tenant(request)
    kind = _kind(page)
    base = tenant.admin_config
    items = effective_items(
        kind, base_items(base, kind), base.sources.get(kind, "plugin"), tenant.local.town
    )
    return render(
        request,
        "admin/town",
        {
            "kind": kind,
            "page": page,
            "title": TITLES[kind],
            "items": items,
            "active": [e for e in items if not e.retired],
            "retired": [e for e in items if e.retired],
            "source_labels": SOURCES,
            "fields": FIELDS,
            "legal_bases": LEGAL_BASES,
            "frequencies": FREQUENCIES,
            "nths": NTHS,
            "menu_categories": MENU_CATEGORIES,
            "field_types": FIELD_TYPES,
            "local_forms": {k: base.forms[k].title for k in LOCAL_FORMS if k in base.forms},
            "base_source": base.sources.get(kind, "plugin"),
            "done": state.get("done"),
            "done_messages": DONE,
            "edit_key": state.get("edit_key"),
            "edit": state.get("edit") or {},
            "errors": state.get("errors") or {},
            "other_problems": state.get("other_problems") or [],
            "back": _back(request),
            "weekdays": WEEKDAYS,
            "as_data": as_data,
        },
        status_code=status,
        fragment=False,
    )


def _back(request: Request[Any, Any, Any]) -> str | None:
    """A return address inside the first-run setup (never another site)."""
    value = request.query_params.get("back") or ""
    return value if value.startswith("/admin/setup") else None


def _changed(request: Request[Any, Any, Any], page: str, done: str, key: str = "") -> Response[Any]:
    request.app.state.resolver.forget(_tenant(request).slug)
    back = _back(request)
    if back:
        return Redirect(f"{back}?done={done}", status_code=303)
    anchor = f"#item-{key}" if key else ""
    return Redirect(f"/admin/town/{page}?done={done}{anchor}", status_code=303)


def _refused(exc: TownSettingRefused, key: str) -> tuple[dict[str, str], list[str]]:
    """Problems on the edited item go beside its fields; the rest above the form."""
    errors: dict[str, str] = {}
    others: list[str] = []
    for p in exc.problems:
        in_form = re.search(rf"\.{re.escape(key)}(?:\.(\w+))?$", p.field)
        if p.hook == "kasane_form_definitions" and in_form:
            # a local field: its name clashes (the key) or its choices are missing
            errors.setdefault(in_form.group(1) or "key", problem_text(p))
        elif p.item_key == key or (p.item_key is None and p.field.endswith(".key")):
            errors.setdefault(field_of(p.attribute), problem_text(p))
        else:
            others.append(f"{p.hook}{p.field}: {problem_text(p)}")
    return errors, others


async def _form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The posted form; ``members`` (checkboxes) as a list."""
    requires_writable(request)
    multi = await request.form()
    data: dict[str, Any] = {k: multi.get(k) for k in multi.keys()}
    data["members"] = list(multi.getall("members", []))
    return data


@get(
    "/admin/town/{page:str}",
    name="admin_town",
    dependencies=LOGIN,
    opt=needs("tenant:config:manage"),
)
async def admin_town(
    request: Request[Any, Any, Any], db_session: DbSession, actor: Actor, page: FromPath[str]
) -> Response[str]:
    done = request.query_params.get("done")
    return await _page(request, db_session, page, done=done if done in DONE else None)


def _free_key(kind: str, taken: set[str]) -> str:
    """A key for an item the admin left without one: ``town-counter-1`` …"""
    n = 1
    while f"town-{kind}-{n}" in taken:
        n += 1
    return f"town-{kind}-{n}"


async def _save(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    page: str,
    key: str,
    data: dict[str, Any],
    *,
    new: bool,
) -> Response[Any]:
    tenant = _tenant(request)
    kind = _kind(page)
    base = tenant.admin_config
    values, problems = parse_item(kind, data)
    edit = {**values, "key": key}
    known = {e.key for e in effective_items(kind, base_items(base, kind), "", tenant.local.town)}
    if new:
        key = key or _free_key(kind, known)
        edit["key"] = key
        wrong = check_new_key(key, known)
        if wrong:
            problems["key"] = wrong
        if kind == "meeting":
            values["decisions"] = DECISIONS.get(values.get("legal_basis", ""), [])
    elif key not in known:
        raise NotFound("town_setting")
    errors = {k: _(v) for k, v in problems.items()}
    if not errors:
        try:
            await do_save_item(session, base, kind, key, values, actor=actor.ref)
            return _changed(request, page, "added" if new else "saved", key)
        except TownSettingRefused as exc:
            errors, others = _refused(exc, key)
            return await _page(
                request,
                session,
                page,
                status=422,
                edit_key="" if new else key,
                edit=edit,
                errors=errors,
                other_problems=others,
            )
    return await _page(
        request, session, page, status=422, edit_key="" if new else key, edit=edit, errors=errors
    )


@post(
    "/admin/town/{page:str}",
    name="admin_town_add",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:config:manage"),
)
async def admin_town_add(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    page: FromPath[str],
) -> Response[Any]:
    data = await _form(request)
    key = str(data.get("key") or "").strip().lower()
    return await _save(request, db_session, actor, page, key, data, new=True)


@post(
    "/admin/town/{page:str}/{key:str}",
    name="admin_town_save",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:config:manage"),
)
async def admin_town_save(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    page: FromPath[str],
    key: FromPath[str],
) -> Response[Any]:
    return await _save(request, db_session, actor, page, key, await _form(request), new=False)


@post(
    "/admin/town/{page:str}/{key:str}/{action:str}",
    name="admin_town_action",
    status_code=200,
    dependencies=LOGIN,
    opt=needs("tenant:config:manage"),
)
async def admin_town_action(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    actor: Actor,
    page: FromPath[str],
    key: FromPath[str],
    action: FromPath[str],
) -> Response[Any]:
    """Reset to the plugin's values, retire, restore, or move up / down."""
    requires_writable(request)
    tenant = _tenant(request)
    kind = _kind(page)
    base = tenant.admin_config
    try:
        if action == "reset":
            await do_reset_item(db_session, base, kind, key, actor=actor.ref)
        elif action in ("retire", "restore"):
            await do_set_retired(db_session, base, kind, key, action == "retire", actor=actor.ref)
        elif action in ("up", "down"):
            await do_move(
                db_session,
                base,
                tenant.config,
                kind,
                key,
                -1 if action == "up" else 1,
                actor=actor.ref,
            )
        else:
            raise NotFound("town_setting")
    except TownSettingRefused as exc:
        return await _page(
            request,
            db_session,
            page,
            status=422,
            other_problems=[f"{p.hook}{p.field}: {problem_text(p)}" for p in exc.problems],
        )
    done = {"reset": "reset", "retire": "retired", "restore": "restored"}.get(action, "moved")
    return _changed(request, page, done, key)


ROUTES: list[Any] = [admin_town, admin_town_add, admin_town_save, admin_town_action]
