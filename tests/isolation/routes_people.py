"""People routes for the isolation matrix: each id is a real person of the given tenant,
taken in at the 地域包括支援センター (where the demo ``caseworker`` works) so that
need-to-know lets the caseworker see them."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from kasane.core import plugins
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.consent.services import do_record_consent
from kasane.core.db import Database
from kasane.core.forms.validation import check_form
from kasane.core.intake.services import do_intake
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from tests.conftest import Env
from tests.isolation.routes import IdRoute

COUNTER = "hokatsu"  # the 地域包括支援センター's counter in both demo tenants


def person_with_case(env: Env, slug: str, *, with_consent: bool = False) -> dict[str, uuid.UUID]:
    """A person taken in at the hokatsu counter with outcome "continued" (a case led by
    hokatsu): ``{"person": id}``, plus ``"consent"`` (all agencies) when asked."""

    async def go(db: Database) -> dict[str, uuid.UUID]:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, slug)
            assert tenant is not None
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        async with db.session(tenant.id) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            actor = ActorInfo.of(account)
            today = date.today()
            submission = check_form(
                config.forms["intake"],
                {
                    "received_on": today.isoformat(),
                    "channel": "visit_counter",
                    "kana": "まとりくす たろう",
                    "name": f"行列 太郎 {uuid.uuid4().hex[:8]}",
                    "categories": ["care"],
                    "main_category": "care",
                },
            )
            assert submission.ok, submission.errors
            result = await do_intake(
                s,
                actor,
                config,
                counter_key=COUNTER,
                submission=submission,
                outcome="continued",
                today=today,
            )
            ids = {"person": result.person.id}
            if with_consent:
                consent = await do_record_consent(
                    s,
                    actor,
                    result.person.id,
                    agencies=["*"],
                    meeting_types=[],
                    purposes=["support"],
                    obtained_on=today,
                    method="written",
                )
                ids["consent"] = consent.id
            return ids

    return env.run(go)


def person_id(env: Env, slug: str) -> uuid.UUID:
    return person_with_case(env, slug)["person"]


def consent_id(env: Env, slug: str) -> uuid.UUID:
    return person_with_case(env, slug, with_consent=True)["consent"]


MEMBER = {"member-name": "行列 花子", "member-relation": "child"}
CONSENT = {
    "consent-agencies": "*",
    "consent-purposes": "support",
    "consent-obtained_on": "2026-04-01",
    "consent-method": "written",
}


ROUTES = [
    IdRoute("/people/{id}", person_id),
    # 開示請求 is answered by the municipal section (supervisor / admin) only
    IdRoute("/people/{id}/export.json", person_id, username="supervisor"),
    IdRoute("/people/{id}/export", person_id, username="supervisor"),
    IdRoute("/people/{id}/consents", person_id, method="POST", form=CONSENT),
    IdRoute("/people/{id}/household/members", person_id, method="POST", form=MEMBER),
    IdRoute("/people/consents/{id}/withdraw", consent_id, method="POST"),
    # a merge names a second person, which no fixed form can: checked up to validation
    IdRoute("/people/{id}/merge", person_id, method="POST", username="supervisor", ok_status=422),
]
