"""Intake at any counter: choose the counter, fill in the town's intake form, check for
people already known, and act on the outcome (nothing, a referral, or a case)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromQuery
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.permissions import needs
from kasane.core.cases.services import CaseRuleError, access_case
from kasane.core.config_types import Choice, Counter, FormDefinition, FormField, TenantConfig
from kasane.core.errors import NotFound
from kasane.core.forms.form_raw import form_data
from kasane.core.forms.validation import check_form
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.intake.models import OUTCOMES, Consultation
from kasane.core.intake.services import IntakeResult, check_outcome, do_intake
from kasane.core.japan_time import today_jst
from kasane.core.people.access import Duplicates, find_duplicates, find_linkable_person
from kasane.core.people.matching import PersonKeys
from kasane.core.referrals.services import ReferralRuleError
from kasane.core.rules.apply import record_problems, record_snapshot
from kasane.core.rules.runner import Rules
from kasane.core.tenancy import TenantContext
from kasane.core.web.deps import Actor, DbSession, requires_login, requires_writable
from kasane.core.web.templating import render

RECENT_LIMIT = 20


def outcome_fields(config: TenantConfig) -> list[FormField]:
    """The outcome block under the intake form: what happens next, and to whom."""
    return [
        FormField(
            name="outcome",
            label=N_("What happens next"),
            type="radio",
            required=True,
            choices=[Choice(value=k, label=v) for k, v in OUTCOMES.items()],
        ),
        FormField(
            name="referred_to",
            label=N_("Referred to"),
            type="select",
            choices=[Choice(value=a.key, label=a.name) for a in config.agencies],
            help=N_("The agency the person is referred to (for a referral)."),
        ),
    ]


def anchor_of(f: FormField) -> str:
    """The id an error-summary link jumps to: the input, or a group's first choice."""
    return f"{f.name}-1" if f.type in ("radio", "checkboxes") else f.name


def error_summary(fields: list[FormField], errors: dict[str, str]) -> list[tuple[str, str]]:
    """(anchor, message) in the order the fields appear on the page."""
    return [(anchor_of(f), errors[f.name]) for f in fields if f.name in errors]


def _config(request: Request[Any, Any, Any]) -> TenantConfig:
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant.config


def _counter(config: TenantConfig, key: str | None) -> Counter:
    counter = config.counter(key or "")
    if counter is None:
        raise NotFound("counter")
    return counter


def _agency_of(config: TenantConfig, counter: Counter) -> str:
    return counter.agency or config.coordinating_agency().key


def _person_keys(multi: Any) -> PersonKeys:
    try:
        birth = date.fromisoformat((multi.get("birth_date") or "").strip())
    except ValueError:
        birth = None
    return PersonKeys(
        name=(multi.get("name") or "").strip(),
        kana=(multi.get("kana") or "").strip(),
        birth_date=birth,
        phones=tuple(
            (multi.get(k) or "").strip() for k in ("phone_home", "phone_mobile") if multi.get(k)
        ),
    )


async def _candidates(
    session: AsyncSession, actor: ActorInfo, multi: Any
) -> tuple[Duplicates, bool]:
    """Possible duplicates of what was typed (within the actor's need-to-know), and whether
    there was anything to search."""
    keys = _person_keys(multi)
    if not (keys.name or keys.kana or keys.birth_date or keys.phones):
        return Duplicates(), False
    return await find_duplicates(session, actor, keys), True


def _form_page(
    request: Request[Any, Any, Any],
    config: TenantConfig,
    counter: Counter,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    duplicates: Duplicates,
    chosen: str = "",
    searched: bool = False,
    status_code: int = 200,
) -> Response[str]:
    form: FormDefinition = config.forms["intake"]
    extra = outcome_fields(config)
    return render(
        request,
        "intake/new",
        {
            "form": form,
            "counter": counter,
            "values": values,
            "errors": errors,
            "outcome_fields": extra,
            "summary": error_summary([*form.all_fields(), *extra], errors)
            + ([("duplicates", errors["person_id"])] if "person_id" in errors else []),
            "candidates": duplicates.candidates,
            "elsewhere": duplicates.elsewhere,
            "chosen": chosen,
            "searched": searched,
        },
        status_code=status_code,
    )


async def _linked_person(
    session: AsyncSession, actor: ActorInfo, chosen: str
) -> tuple[uuid.UUID | None, str]:
    """The known person staff chose (the record it was merged into, if it was), or why it
    cannot be linked."""
    linked = await find_linkable_person(session, actor, chosen, "intake")
    if linked is None:
        return None, _(
            "Choose one of the people listed, or a new person. A record kept by another "
            "agency can only be linked through the coordinating agency."
        )
    return linked.merged_into_id or linked.id, ""


async def _after_intake(session: AsyncSession, actor: ActorInfo, result: IntakeResult) -> Redirect:
    """Where a recorded intake goes next: its case, the person's page, or a new intake."""
    if result.case is not None:
        try:
            await access_case(session, actor, result.case.id)
        except NotFound:
            # recorded at a counter another agency leads: the case is theirs,
            # the recorder keeps what they recorded, on the person's page (0004)
            return Redirect(f"/people/{result.person.id}?recorded=1#my-intakes", status_code=303)
        return Redirect(f"/cases/{result.case.id}", status_code=303)
    return Redirect("/intake?done=1", status_code=303)


class IntakeController(Controller):
    """Intake pages. Every one needs a login on this tenant."""

    path = "/intake"
    opt = needs("intake:consultations:write")
    dependencies = {"actor": Provide(requires_login)}

    @get("/", name="intake_index")
    async def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: Actor,
        done: FromQuery[int | None] = None,
    ) -> Response[str]:
        """The counters to take a consultation at, and my agency's recent consultations."""
        config = _config(request)
        mine = [c.key for c in config.counters if _agency_of(config, c) == actor.agency_key]
        recent = list(
            (
                await db_session.execute(
                    select(Consultation)
                    .where(Consultation.counter_key.in_(mine))
                    .order_by(Consultation.received_on.desc(), Consultation.created_at.desc())
                    .limit(RECENT_LIMIT)
                )
            ).scalars()
        )
        return render(
            request,
            "intake/index",
            {"my_counters": mine, "recent": recent, "outcomes": OUTCOMES, "done": bool(done)},
        )

    @get("/new", name="intake_new")
    async def new(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        counter: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """The tenant's intake form for one counter; the date defaults to today (JST)."""
        if not counter:
            return Redirect("/intake", status_code=303)
        config = _config(request)
        return _form_page(
            request,
            config,
            _counter(config, counter),
            values={"received_on": today_jst().isoformat()},
            errors={},
            duplicates=Duplicates(),
        )

    @post("/", name="intake_submit", status_code=200)
    async def submit(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[Any]:
        """Validate and record; a refused submit comes back (422) with everything typed."""
        requires_writable(request)
        config = _config(request)
        multi = await request.form()
        counter = _counter(config, multi.get("counter"))
        form = config.forms["intake"]
        sub = check_form(form, form_data(form, multi))
        outcome = (multi.get("outcome") or "").strip()
        referred_to = (multi.get("referred_to") or "").strip() or None
        errors = dict(sub.errors)
        errors.update({k: _(v) for k, v in check_outcome(outcome, referred_to, config).items()})
        chosen = (multi.get("person_id") or "").strip()
        person_id: uuid.UUID | None = None
        if chosen:
            person_id, refused = await _linked_person(db_session, actor, chosen)
            if refused:
                errors["person_id"], chosen = refused, ""
        rules = Rules.of(request.scope["state"]["tenant"])
        if not errors:  # the town's own checks, after the core's (kasane_validate_record)
            record = record_snapshot("intake", sub.values, today_jst(), counter.key)
            errors.update(await record_problems(rules, record))
        if not errors:
            try:
                result = await do_intake(
                    db_session,
                    actor,
                    config,
                    counter_key=counter.key,
                    submission=sub,
                    outcome=outcome,
                    referred_to=referred_to,
                    person_id=person_id,
                    today=today_jst(),
                    rules=rules,
                )
            except (CaseRuleError, ReferralRuleError) as exc:
                # Nothing of the refused intake may be committed with the page that says so.
                await db_session.rollback()
                field = "referred_to" if isinstance(exc, ReferralRuleError) else "outcome"
                errors[field] = _(str(exc))
            else:
                return await _after_intake(db_session, actor, result)
        values = {**sub.raw, "outcome": outcome, "referred_to": referred_to}
        duplicates, searched = await _candidates(db_session, actor, multi)
        return _form_page(
            request,
            config,
            counter,
            values=values,
            errors=errors,
            duplicates=duplicates,
            chosen=chosen,
            searched=searched,
            status_code=422,
        )

    @post("/duplicates", name="intake_duplicates", status_code=200)
    async def duplicates(
        self, request: Request[Any, Any, Any], db_session: DbSession, actor: Actor
    ) -> Response[str]:
        """htmx: people already known who may be the one being typed in."""
        multi = await request.form()
        duplicates, searched = await _candidates(db_session, actor, multi)
        return render(
            request,
            "intake/duplicates",
            {
                "candidates": duplicates.candidates,
                "elsewhere": duplicates.elsewhere,
                "chosen": (multi.get("person_id") or "").strip(),
                "searched": searched,
            },
            fragment=True,
        )


ROUTES: list[Any] = [IntakeController]  # route handlers and controllers this package serves
