"""The person page: the person, their household and patterns, consents, cases, possible
duplicates, and the consent and household-member forms (again with what was typed after a
refusal). Every showing is an audited read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit_read
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.intake_view import intakes_of
from kasane.core.cases.models import Case
from kasane.core.cases.services import visible_to
from kasane.core.config_types import (
    FormDefinition,
    TenantConfig,
)
from kasane.core.consent.models import CONSENT_METHODS, PURPOSES
from kasane.core.consent.services import consents_of
from kasane.core.intake.controllers import error_summary
from kasane.core.japan_time import today_jst
from kasane.core.people.access import find_duplicates, is_record_keeper
from kasane.core.people.matching import PersonKeys
from kasane.core.people.models import RELATIONS, SEXES, Person
from kasane.core.people.patterns import PATTERN_LABELS, age_on
from kasane.core.people.schemas import (
    CONSENT_PREFIX,
    MEMBER_FORM,
    MEMBER_PREFIX,
    consent_form,
)
from kasane.core.people.services import (
    household_of,
    household_view,
)
from kasane.core.tenancy import TenantContext
from kasane.core.web.templating import render


def prefixed_summary(
    form: FormDefinition, errors: dict[str, str], prefix: str
) -> list[tuple[str, str]]:
    return [(prefix + anchor, msg) for anchor, msg in error_summary(form.all_fields(), errors)]


def tenant_config(request: Request[Any, Any, Any]) -> TenantConfig:
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant.config


async def person_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: ActorInfo,
    person: Person,
    *,
    status_code: int = 200,
    **state: Any,
) -> Response[str]:
    """Render the person page; ``state`` carries a refused form's values and errors."""
    config, today = tenant_config(request), today_jst()
    household = await household_of(session, person.id)
    members, patterns = (
        await household_view(session, household.id, today) if household else ([], [])
    )
    duplicates = await _possible_duplicates(session, actor, person)
    cases = list(
        (
            await session.execute(
                select(Case)
                .where(Case.person_id == person.id, visible_to(actor))
                .order_by(Case.opened_on.desc())
            )
        ).scalars()
    )
    do_audit_read(session, actor.ref, "person.read", f"person:{person.id}")
    return render(
        request,
        "people/detail",
        {
            "person": person,
            "age": age_on(person.birth_date, today),
            "sexes": SEXES,
            "household": household,
            "members": members,
            "patterns": patterns,
            "pattern_labels": PATTERN_LABELS,
            "relations": RELATIONS,
            "consents": await consents_of(session, person.id),
            "purposes": PURPOSES,
            "methods": CONSENT_METHODS,
            "cases": cases,
            "duplicates": duplicates,
            "record_keeper": is_record_keeper(actor),
            **_form_state(config, today, state),
            "today": today,
            # what the actor recorded at intake stays theirs to read (decision 0004)
            "my_intakes": await intakes_of(
                session, config, person_id=person.id, recorded_by=actor.id
            ),
            "recorded": request.query_params.get("recorded") == "1",
        },
        status_code=status_code,
    )


async def _possible_duplicates(
    session: AsyncSession, actor: ActorInfo, person: Person
) -> list[Any]:
    """Other records that may be the same person — for the municipal section only."""
    if not is_record_keeper(actor):
        return []
    keys = PersonKeys(
        name=person.name,
        kana=person.kana,
        birth_date=person.birth_date,
        phones=(person.phone_home, person.phone_mobile),
    )
    return list((await find_duplicates(session, actor, keys, exclude=person.id)).candidates)


def _form_state(config: TenantConfig, today: date, state: dict[str, Any]) -> dict[str, Any]:
    """The page's forms with what a refused post sent back (values, errors, summaries)."""
    cform = consent_form(config)
    consent_errors = state.get("consent_errors", {})
    member_errors = state.get("member_errors", {})
    return {
        "consent_form": cform,
        "consent_values": state.get("consent_values", {"obtained_on": today.isoformat()}),
        "consent_errors": consent_errors,
        "consent_summary": prefixed_summary(cform, consent_errors, CONSENT_PREFIX),
        "member_form": MEMBER_FORM,
        "member_values": state.get("member_values", {}),
        "member_errors": member_errors,
        "member_summary": prefixed_summary(MEMBER_FORM, member_errors, MEMBER_PREFIX),
        "withdraw_errors": state.get("withdraw_errors", {}),
        "withdraw_values": state.get("withdraw_values", {}),
        "merge_error": state.get("merge_error", ""),
    }
