"""Referral and outreach routes for the isolation matrix.

The matrix logs in as each tenant's ``caseworker`` (the 地域包括支援センター, agency
``hokatsu``), so every id here is a referral sent FROM hokatsu or an outreach record hokatsu
follows, made through the services in the given tenant.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.db import Database
from kasane.core.outreach.services import do_start_outreach
from kasane.core.people.services import do_create_person
from kasane.core.referrals.services import do_answer_referral, do_send_referral
from tests.conftest import Env
from tests.isolation.routes import IdRoute

LAST_WEEK = (date.today() - timedelta(days=7)).isoformat()


async def _actor(s: AsyncSession, username: str) -> ActorInfo:
    account = (
        await s.execute(select(StaffAccount).where(StaffAccount.username == username))
    ).scalar_one()
    return ActorInfo.of(account)


def _referral(env: Env, slug: str, *, accepted: bool = False) -> uuid.UUID:
    """A referral from the caseworker's agency to the children's agency (``kodomo`` user)."""
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            sender, receiver = await _actor(s, "caseworker"), await _actor(s, "kodomo")
            person = await do_create_person(
                s,
                sender,
                name="行列 花子",
                kana="ぎょうれつ はなこ",
                phone_home="",
                phone_mobile="",
            )
            referral = await do_send_referral(
                s,
                sender,
                person_id=person.id,
                case_id=None,
                consultation_id=None,
                from_agency=sender.agency_key or "",
                to_agency=receiver.agency_key or "",
                reason="見守りの相談",
                today=date.today(),
            )
            if accepted:
                for step in ("acknowledged", "accepted"):
                    await do_answer_referral(s, receiver, referral, step=step, today=date.today())
            return referral.id

    return env.run(go)


def referral_from_hokatsu(env: Env, slug: str) -> uuid.UUID:
    return _referral(env, slug)


def accepted_referral_from_hokatsu(env: Env, slug: str) -> uuid.UUID:
    return _referral(env, slug, accepted=True)


def outreach_of_hokatsu(env: Env, slug: str) -> uuid.UUID:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> uuid.UUID:
        async with db.session(tenant_id) as s:
            actor = await _actor(s, "caseworker")
            record = await do_start_outreach(
                s,
                actor,
                title="港の近くで一人暮らしの高齢男性",
                description="新聞がたまっていると配達員から連絡",
                place="港町",
                noticed_by="business",
                area_key=None,
                today=date.today(),
            )
            return record.id

    return env.run(go)


ROUTES: list[IdRoute] = [
    IdRoute("/referrals/{id}", referral_from_hokatsu),
    IdRoute("/referrals/{id}/answer", referral_from_hokatsu),
    # the sender may record the outcome of an accepted referral
    IdRoute(
        "/referrals/{id}/answer",
        accepted_referral_from_hokatsu,
        method="POST",
        form={"step": "completed", "outcome": "こども家庭センターで継続支援"},
    ),
    IdRoute("/outreach/{id}", outreach_of_hokatsu),
    IdRoute("/outreach/{id}/contacts", outreach_of_hokatsu),
    IdRoute(
        "/outreach/{id}/contacts",
        outreach_of_hokatsu,
        method="POST",
        form={"kind": "visit", "occurred_on": LAST_WEEK, "note": "不在。手紙を置いた"},
    ),
    IdRoute("/outreach/{id}/link", outreach_of_hokatsu),
    # a search changes nothing and answers 200 for the tenant's own record
    IdRoute(
        "/outreach/{id}/link",
        outreach_of_hokatsu,
        method="POST",
        form={"action": "search", "search_kana": "ぎょうれつ はなこ"},
    ),
]
