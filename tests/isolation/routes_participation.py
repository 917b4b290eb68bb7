"""Participation routes for the isolation matrix: the case's page, the case page's
suggestions and the match actions."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kasane.core.cases.models import Case
from kasane.core.db import Database
from kasane.core.participation.services import do_propose_match, do_start_match
from tests.conftest import Env
from tests.isolation.routes import IdRoute
from tests.isolation.routes_cases import actor_of, case_id, intake_case, tenant_setup, today


def _match_id(env: Env, slug: str, *, start: bool) -> uuid.UUID:
    """A proposed (or started) match on the town-wide menu of a new case of ``slug``."""

    async def go(db: Database) -> uuid.UUID:
        tenant_id, config = await tenant_setup(db, slug)
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, config)
            case = (await s.execute(select(Case).where(Case.id == case.id))).scalar_one()
            menu = next(m for m in config.participation_menus if m.area is None)
            match = await do_propose_match(
                s, actor, config, case, kind="menu", ref=menu.key, today=today()
            )
            if start:
                await do_start_match(s, actor, config, match, on=today())
            return match.id

    return env.run(go)


def proposed_match_id(env: Env, slug: str) -> uuid.UUID:
    return _match_id(env, slug, start=False)


def started_match_id(env: Env, slug: str) -> uuid.UUID:
    return _match_id(env, slug, start=True)


ON = {"on": "2026-04-01"}

ROUTES = [
    IdRoute("/cases/{id}/participation", case_id),
    IdRoute("/cases/{id}/participation/suggestions", case_id),
    IdRoute(
        "/cases/{id}/participation/propose", case_id, "POST", form={"kind": "menu", "ref": "salon"}
    ),
    IdRoute("/participation/matches/{id}/start", proposed_match_id, "POST", form=ON),
    IdRoute(
        "/participation/matches/{id}/retention",
        started_match_id,
        "POST",
        form={"occurred_on": "2026-04-01", "note": "電話で様子を確認"},
    ),
    IdRoute(
        "/participation/matches/{id}/end",
        proposed_match_id,
        "POST",
        form={**ON, "reason": "person_withdrew"},
    ),
]
