"""The person page (identity, household and its patterns, consent ledger, duplicates) and
the per-person export for 開示請求. Need-to-know: :func:`access_person`."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.cases.page_forms import DECISION_LABELS, SOURCES
from kasane.core.cases.records import EVALUATION_OUTCOMES, GOAL_OUTCOMES, NOTE_KINDS
from kasane.core.consent.models import BASES, CONSENT_METHODS, PURPOSES, Consent
from kasane.core.consent.services import do_record_consent, do_withdraw_consent
from kasane.core.errors import NotFound
from kasane.core.forms.form_raw import form_data
from kasane.core.forms.validation import check_form, check_text
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.intake.models import OUTCOMES
from kasane.core.japan_time import today_jst
from kasane.core.people.access import access_person, is_record_keeper
from kasane.core.people.export import person_record
from kasane.core.people.models import RELATIONS, SEXES, Person
from kasane.core.people.person_page import person_page, tenant_config
from kasane.core.people.schemas import (
    CONSENT_PREFIX,
    MEMBER_FORM,
    MEMBER_PREFIX,
    PrefixedForm,
    consent_form,
)
from kasane.core.people.search_pages import search_page
from kasane.core.people.services import (
    do_add_member,
    do_create_household,
    do_create_person,
    do_merge_people,
    get_person,
    household_of,
)
from kasane.core.referrals.models import STATUSES
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import Actor, DbSession, Form, requires_login, requires_writable
from kasane.core.web.templating import render


async def _person_to_change(
    request: Request[Any, Any, Any], session: AsyncSession, actor: ActorInfo, person_id: uuid.UUID
) -> Person:
    requires_writable(request)
    person = await access_person(session, actor, person_id)
    if person.merged_into_id is not None:  # changes go to the survivor, never the old row
        raise NotFound("person")
    return person


def _back(person_id: uuid.UUID, anchor: str) -> Response[Any]:
    return Redirect(f"/people/{person_id}#{anchor}", status_code=303)


class WithdrawForm(msgspec.Struct):
    note: str = ""


class MergeForm(msgspec.Struct):
    duplicate_id: str = ""


class PeopleController(Controller):
    """Person pages. Every one needs a login and need-to-know for the person."""

    path = "/people"
    opt = needs("person:records")
    dependencies = {"actor": Provide(requires_login)}

    @get("/{person_id:uuid}", name="person_detail")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        person_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Identity, household with patterns, consents, cases and possible duplicates."""
        person = await access_person(db_session, actor, person_id)
        if person.merged_into_id is not None:
            return Redirect(f"/people/{person.merged_into_id}", status_code=303)
        return await person_page(request, db_session, actor, person)

    @post("/{person_id:uuid}/consents", name="person_consent_record", status_code=200)
    async def record_consent(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        person_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Add an entry to the consent ledger."""
        person = await _person_to_change(request, db_session, actor, person_id)
        form = consent_form(tenant_config(request))
        multi = await request.form()
        sub = check_form(form, form_data(form, PrefixedForm(multi, CONSENT_PREFIX)))
        v = sub.values
        if not sub.errors and v.get("expires_on") and v["expires_on"] < v["obtained_on"]:
            sub.errors["expires_on"] = _(
                "%(label)s: must be on or after the date obtained", label=_("Expires on")
            )
        if sub.errors:
            return await person_page(
                request,
                db_session,
                actor,
                person,
                status_code=422,
                consent_values=sub.raw,
                consent_errors=sub.errors,
            )
        agencies = list(v["agencies"])
        await do_record_consent(
            db_session,
            actor,
            person.id,
            agencies=["*"] if "*" in agencies else agencies,
            meeting_types=list(v.get("meeting_types") or []),
            purposes=list(v["purposes"]),
            obtained_on=v["obtained_on"],
            method=v["method"],
            expires_on=v.get("expires_on"),
        )
        return _back(person.id, "consents")

    @post("/consents/{consent_id:uuid}/withdraw", name="consent_withdraw", status_code=200)
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        consent_id: FromPath[uuid.UUID],
        data: Form[WithdrawForm],
    ) -> Response[Any]:
        """Withdraw a consent: future sharing on it stops; the entry stays in the ledger.

        The consent is addressed by its own id (one object, one id); need-to-know is that
        of its person."""
        consent = await db_session.get(Consent, (db_session.info["tenant_id"], consent_id))
        if consent is None:
            raise NotFound("consent")
        person = await _person_to_change(request, db_session, actor, consent.person_id)
        note = data.note.strip()
        problem = check_text(N_("Reason or note"), note, max_length=1000)
        if consent.withdrawn_on is not None:
            problem = _("This consent has already been withdrawn.")
        if problem:
            return await person_page(
                request,
                db_session,
                actor,
                person,
                status_code=422,
                withdraw_errors={str(consent.id): problem},
                withdraw_values={str(consent.id): note},
            )
        await do_withdraw_consent(db_session, actor, consent.id, today_jst(), note)
        return _back(person.id, "consents")

    @post(
        "/{person_id:uuid}/merge",
        name="person_merge",
        status_code=200,
        opt=needs("person:records:merge"),
    )
    async def merge(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        person_id: FromPath[uuid.UUID],
        data: Form[MergeForm],
    ) -> Response[Any]:
        """Merge a duplicate into this person (supervisors and administrators only)."""
        if not is_record_keeper(actor):
            raise NotFound("person")
        person = await _person_to_change(request, db_session, actor, person_id)
        raw = data.duplicate_id.strip()
        duplicate = None
        try:
            duplicate = await get_person(db_session, uuid.UUID(raw))
        except (ValueError, NotFound):
            pass
        if duplicate is None or duplicate.id == person.id or duplicate.merged_into_id:
            return await person_page(
                request,
                db_session,
                actor,
                person,
                status_code=422,
                merge_error=_("Choose a person listed as a possible duplicate."),
            )
        await do_merge_people(db_session, actor, person, duplicate)
        return _back(person.id, "duplicates")

    @post("/{person_id:uuid}/household/members", name="person_member_add", status_code=200)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        person_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Add someone to this person's household (a new person record), with 続柄."""
        person = await _person_to_change(request, db_session, actor, person_id)
        multi = await request.form()
        sub = check_form(MEMBER_FORM, form_data(MEMBER_FORM, PrefixedForm(multi, MEMBER_PREFIX)))
        if sub.errors:
            return await person_page(
                request,
                db_session,
                actor,
                person,
                status_code=422,
                member_values=sub.raw,
                member_errors=sub.errors,
            )
        v = sub.values
        household = await household_of(db_session, person.id) or await do_create_household(
            db_session, actor, person
        )
        member = await do_create_person(
            db_session,
            actor,
            name=v["name"],
            kana=v.get("kana") or "",
            birth_date=v.get("birth_date"),
            address=household.address,
            area_key=household.area_key,
        )
        await do_add_member(
            db_session,
            actor,
            household,
            member,
            v["relation"],
            is_carer=v["is_carer"],
            needs_care=v["needs_care"],
            withdrawn=v["withdrawn"],
        )
        return _back(person.id, "household")

    @get(
        "/{person_id:uuid}/export.json",
        name="person_export_json",
        opt=needs("person:records:export"),
    )
    async def export_json(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        person_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """開示請求: everything recorded about the person, narratives opened, as JSON."""
        record = await _export(request, db_session, actor, person_id, "json")
        return Response(
            record,
            media_type=MediaType.JSON,
            headers={
                "content-disposition": f'attachment; filename="person-{person_id}.json"',
                "cache-control": "no-store",
            },
        )

    @get("/{person_id:uuid}/export", name="person_export", opt=needs("person:records:export"))
    async def export_page(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        person_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        """The same record as a printable A4 page."""
        record = await _export(request, db_session, actor, person_id, "page")
        config = tenant_config(request)
        fields = [f for form in config.forms.values() for f in form.all_fields()]
        labels = {f.name: f.label for f in fields}
        choices = {f.name: {c.value: c.label for c in f.choices} for f in fields if f.choices}
        return render(
            request,
            "people/export",
            {
                "record": record,
                "labels": labels,
                "choices": choices,
                # the record's dates are ISO text (it is the JSON download's): these fields
                # are read as days by the date policy
                "date_fields": {f.name for f in fields if f.type == "date"},
                "decision_kinds": DECISION_LABELS,
                "decision_sources": SOURCES,
                "note_kinds": NOTE_KINDS,
                "evaluation_outcomes": EVALUATION_OUTCOMES,
                "goal_outcomes": GOAL_OUTCOMES,
                "outcomes": OUTCOMES,
                "relations": RELATIONS,
                "purposes": PURPOSES,
                "methods": CONSENT_METHODS,
                "bases": BASES,
                "statuses": STATUSES,
                "sexes": SEXES,
            },
        )


# ------------------------------------------------------------------ export (開示請求)


async def _export(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: ActorInfo,
    person_id: uuid.UUID,
    form: str,
) -> dict[str, Any]:
    if not is_record_keeper(actor):  # the municipal section answers 開示請求, no one else
        raise NotFound("person")
    person = await access_person(session, actor, person_id)
    record = await person_record(session, person)
    tenant: TenantContext = request.scope["state"]["tenant"]
    record["municipality"] = tenant.name
    await do_audit(session, actor.ref, "person.export", f"person:{person.id}", form=form)
    return record


ROUTES: list[Any] = [
    PeopleController,
    search_page,
]  # route handlers and controllers this package serves
