"""Staff pages for outreach (アウトリーチ): records, contacts, and linking a person later.

An outreach record starts before anyone is named (its title must not name anyone) and is
followed by one agency; others get the 404 of a missing id. Contacts are logged as they
happen; once the person is identified the record is linked to an existing person (a
duplicate-style search, never a browse of everyone) or to a new one, and consent is then
recorded on the person's page.

Searching for a person sends names and birth dates, so it is a POST (no personal data in
URLs). Each sub-path that takes a POST also answers GET (the whole page, or the panel for
htmx), so the isolation matrix can send it another tenant's id.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit_read
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.i18n import gettext as _
from kasane.core.japan_time import today_jst
from kasane.core.outreach.models import CONTACT_KINDS, OutreachRecord
from kasane.core.outreach.outreach_forms import (
    CONTACT_FIELDS,
    NEW,
    NEW_PERSON_FIELDS,
    NOTICED_BY,
    PERSON_FIELDS,
    SEARCH,
    check_fields,
    record_fields,
)
from kasane.core.outreach.services import (
    OutreachRuleError,
    access_outreach,
    contacts_of,
    do_link_person,
    do_log_contact,
    do_start_outreach,
    list_outreach,
)
from kasane.core.people.access import Duplicates, find_duplicates, find_linkable_person
from kasane.core.people.matching import PersonKeys
from kasane.core.people.services import do_create_person, get_person
from kasane.core.protection.sealing import unseal
from kasane.core.web.deps import (
    Actor,
    DbSession,
    FormBody,
    requires_login,
    requires_tenant,
    requires_writable,
)
from kasane.core.web.templating import is_htmx, render


async def _context(
    session: AsyncSession, actor: ActorInfo, record: OutreachRecord, **extra: Any
) -> dict[str, Any]:
    """Everything the record page and its panels show (an audited read)."""
    description = await unseal(
        session, "outreach_records", record.id, "description", record.description_sealed
    )
    contacts = await contacts_of(session, record)
    notes = {
        c.id: await unseal(session, "outreach_contacts", c.id, "note", c.note_sealed)
        for c in contacts
    }
    person = await get_person(session, record.person_id) if record.person_id else None
    linked = {"person": str(record.person_id)} if record.person_id else {}
    do_audit_read(session, actor.ref, "outreach.read", f"outreach:{record.id}", **linked)
    return {
        "record": record,
        "description": description,
        "contacts": contacts,
        "notes": notes,
        "person": person,
        "kinds": CONTACT_KINDS,
        "noticed_by": NOTICED_BY,
        "contact_fields": CONTACT_FIELDS,
        "person_fields": PERSON_FIELDS,
        "new_person_fields": NEW_PERSON_FIELDS,
        "search_prefix": SEARCH,
        "new_prefix": NEW,
        "candidates": None,  # None: no search yet; []: searched, nobody found
        "elsewhere": False,  # a match exists beyond the actor's need-to-know
        "confirm_new": False,
        "errors": {},
        "notice": "",
        **extra,
        "values": {"occurred_on": today_jst().isoformat(), **extra.get("values", {})},
    }


def _panel_response(
    request: Request[Any, Any, Any], name: str, ctx: dict[str, Any], failed: bool
) -> Response[str]:
    # htmx swaps only 2xx answers, so a panel with its messages comes back as 200.
    status = 422 if failed and not is_htmx(request) else 200
    return render(request, f"outreach/{name}", ctx, status_code=status)


async def _search(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    actor: ActorInfo,
    record: OutreachRecord,
    data: dict[str, str],
) -> Response[str]:
    typed, parsed, errors = check_fields(PERSON_FIELDS, data, SEARCH)
    if not errors and not any(parsed.values()):
        errors["form"] = _("Enter a name, a reading or a date of birth to search.")
    found: Duplicates | None = None
    if not errors:
        keys = PersonKeys(
            name=parsed["name"] or "",
            kana=parsed["kana"] or "",
            birth_date=parsed["birth_date"],
        )
        found = await find_duplicates(db_session, actor, keys)
    ctx = await _context(
        db_session,
        actor,
        record,
        values=typed,
        errors=errors,
        candidates=found.candidates if found else None,
        elsewhere=bool(found and found.elsewhere),
    )
    return _panel_response(request, "link", ctx, failed=bool(errors))


async def _offer(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    actor: ActorInfo,
    record: OutreachRecord,
    typed: dict[str, str],
    found: Duplicates,
) -> Response[str]:
    ctx = await _context(
        db_session,
        actor,
        record,
        values=typed,
        candidates=found.candidates,
        elsewhere=found.elsewhere,
        confirm_new=True,
    )
    return render(request, "outreach/link", ctx)


class OutreachController(Controller):
    """Outreach records of the actor's agency."""

    path = "/outreach"
    opt = needs("outreach:records")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="outreach_list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        records = await list_outreach(db_session, actor)
        return render(request, "outreach/list", {"records": records})

    @get("/new", name="outreach_new", opt=needs("outreach:records:write"))
    async def new_page(self, request: Request[Any, Any, Any], actor: Actor) -> Response[str]:
        fields = record_fields(requires_tenant(request).config)
        return render(request, "outreach/new", {"fields": fields, "values": {}, "errors": {}})

    @post("/", name="outreach_start", status_code=200)
    async def start(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        data: FormBody,
    ) -> Response[Any]:
        requires_writable(request)
        fields = record_fields(requires_tenant(request).config)
        typed, parsed, errors = check_fields(fields, data)
        if errors:
            ctx = {"fields": fields, "values": typed, "errors": errors}
            return render(request, "outreach/new", ctx, status_code=422)
        record = await do_start_outreach(
            db_session,
            actor,
            title=parsed["title"],
            description=parsed["description"] or "",
            place=parsed["place"] or "",
            noticed_by=parsed["noticed_by"] or "",
            area_key=parsed["area_key"],
            today=today_jst(),
        )
        return Redirect(f"/outreach/{record.id}", status_code=303)

    @get("/{outreach_id:uuid}", name="outreach_detail")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        outreach_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        record = await access_outreach(db_session, actor, outreach_id)
        return render(request, "outreach/detail", await _context(db_session, actor, record))

    @get("/{outreach_id:uuid}/contacts", name="outreach_contacts")
    async def contacts_panel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        outreach_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The contacts panel for htmx; the whole record page otherwise."""
        record = await access_outreach(db_session, actor, outreach_id)
        return render(request, "outreach/contacts", await _context(db_session, actor, record))

    @post("/{outreach_id:uuid}/contacts", name="outreach_log_contact", status_code=200)
    async def log_contact(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        outreach_id: FromPath[uuid.UUID],
        data: FormBody,
    ) -> Response[Any]:
        requires_writable(request)
        record = await access_outreach(db_session, actor, outreach_id)
        typed, parsed, errors = check_fields(CONTACT_FIELDS, data)
        if not errors and parsed["occurred_on"] > today_jst():
            errors["occurred_on"] = _(
                "%(label)s: a contact cannot be in the future", label=_("Date")
            )
        if not errors:
            try:
                await do_log_contact(
                    db_session,
                    actor,
                    record,
                    kind=parsed["kind"],
                    occurred_on=parsed["occurred_on"],
                    note=parsed["note"] or "",
                )
            except OutreachRuleError as exc:
                errors["kind"] = _(str(exc))
        if not errors:
            if not is_htmx(request):
                return Redirect(f"/outreach/{record.id}", status_code=303)
            ctx = await _context(db_session, actor, record, notice=_("Contact logged."))
            return render(request, "outreach/contacts", ctx)
        ctx = await _context(db_session, actor, record, values=typed, errors=errors)
        return _panel_response(request, "contacts", ctx, failed=True)

    @get(
        "/{outreach_id:uuid}/link", name="outreach_link_panel", opt=needs("outreach:records:write")
    )
    async def link_panel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        outreach_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The link-a-person panel for htmx; the whole record page otherwise."""
        record = await access_outreach(db_session, actor, outreach_id)
        return render(request, "outreach/link", await _context(db_session, actor, record))

    @post("/{outreach_id:uuid}/link", name="outreach_link", status_code=200)
    async def link(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        outreach_id: FromPath[uuid.UUID],
        data: FormBody,
    ) -> Response[Any]:
        """``action``: ``search`` (candidates), ``link`` (``person_id``) or ``create``."""
        requires_writable(request)
        record = await access_outreach(db_session, actor, outreach_id)
        action = data.get("action") or ""
        today = today_jst()
        if action == "search":
            return await _search(request, db_session, actor, record, data)
        errors: dict[str, str] = {}
        typed: dict[str, str] = {}
        if action == "link":
            raw = (data.get("person_id") or "").strip()
            person = await find_linkable_person(db_session, actor, raw, "outreach") if raw else None
            if person is None:
                errors["form"] = _("Choose the person to link.")
            else:
                try:
                    await do_link_person(db_session, actor, record, person.id, today)
                except OutreachRuleError as exc:
                    errors["form"] = _(str(exc))
        elif action == "create":
            typed, parsed, errors = check_fields(NEW_PERSON_FIELDS, data, NEW)
            if not errors and record.person_id is not None:
                errors["form"] = _("This outreach record is already linked to a person.")
            if not errors and data.get("confirm") != "yes":
                keys = PersonKeys(
                    name=parsed["name"], kana=parsed["kana"] or "", birth_date=parsed["birth_date"]
                )
                found = await find_duplicates(db_session, actor, keys)
                # maybe already known: let staff pick one or confirm a new person
                if found.candidates or found.elsewhere:
                    return await _offer(request, db_session, actor, record, typed, found)
            if not errors:
                person = await do_create_person(
                    db_session,
                    actor,
                    name=parsed["name"],
                    kana=parsed["kana"] or "",
                    birth_date=parsed["birth_date"],
                    area_key=record.area_key,
                )
                await do_link_person(db_session, actor, record, person.id, today)
        else:
            errors["form"] = _("Choose what to do.")
        if not errors:
            if not is_htmx(request):
                return Redirect(f"/outreach/{record.id}", status_code=303)
            ctx = await _context(db_session, actor, record, notice=_("The person is linked."))
            return render(request, "outreach/link", ctx)
        ctx = await _context(db_session, actor, record, values=typed, errors=errors)
        return _panel_response(request, "link", ctx, failed=True)


ROUTES: list[Any] = [OutreachController]  # route handlers and controllers this package serves
