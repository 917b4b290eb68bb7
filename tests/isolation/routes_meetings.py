"""Meeting routes for the isolation matrix.

The matrix logs in as the ``caseworker`` (地域包括支援センター), which sits on usuki's
支援会議 and marugame's まるごと会議 — both 106条の6 meetings, so a case needs no consent to go
on their agenda. Each call of ``make_id`` makes a fresh meeting (POST routes change it).

Two routes need more than the meeting's id:
- the agenda route adds a case *by number*, so ``make_id`` for usuki (called first, for the
  tenant's own object) writes that case's number into the route's form;
- the per-item routes vary the *item* id, with the meeting of the usuki item fixed in
  ``params`` the same way: another tenant's item under it must be the plain 404 too.
"""

from __future__ import annotations

import uuid

from kasane.core.db import Database
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.meetings.services import do_add_case_to_agenda
from tests.conftest import Env
from tests.integration.test_meetings import (
    actor_of,
    new_case,
    new_meeting,
    tenant_setup,
    today,
)
from tests.isolation.routes import IdRoute

SUPPORT_MEETING = {"usuki": "shien_kaigi", "marugame": "marugoto"}  # hokatsu sits on both
OWN = "usuki"  # the tenant whose objects the matrix expects to work


async def _build(
    db: Database, slug: str, *, with_item: bool
) -> tuple[Meeting, int, AgendaItem | None]:
    tenant_id, config = await tenant_setup(db, slug)
    async with db.session(tenant_id) as s:
        actor = await actor_of(s, "caseworker")
        meeting, mt = await new_meeting(s, actor, config, SUPPORT_MEETING[slug])
        case = await new_case(s, actor, config)
        item = None
        if with_item:
            item = await do_add_case_to_agenda(s, actor, meeting, mt, case, "other", today=today())
        return meeting, case.case_no, item


def meeting_id(env: Env, slug: str) -> uuid.UUID:
    """A fresh 支援会議 of the tenant."""
    return env.run(_build, slug, with_item=False)[0].id


AGENDA_FORM: dict[str, str] = {"case-kind": "early_detection"}


def meeting_id_for_agenda(env: Env, slug: str) -> uuid.UUID:
    """A fresh 支援会議; for usuki the form names a new case the caseworker's agency leads."""
    meeting, case_no, _item = env.run(_build, slug, with_item=False)
    if slug == OWN:
        AGENDA_FORM["case-case_no"] = str(case_no)
    return meeting.id


DECISION_PARAMS: dict[str, str] = {}
DISCUSSION_PARAMS: dict[str, str] = {}


def _item_id(params: dict[str, str]):  # type: ignore[no-untyped-def]
    def make(env: Env, slug: str) -> uuid.UUID:
        """An agenda item (a case on a fresh 支援会議); usuki's meeting goes into the path."""
        meeting, _no, item = env.run(_build, slug, with_item=True)
        assert item is not None
        if slug == OWN:
            params["meeting"] = str(meeting.id)
        return item.id

    return make


ROUTES = [
    IdRoute("/meetings/{id}", meeting_id),
    IdRoute(
        "/meetings/{id}/reschedule",
        meeting_id,
        method="POST",
        form={"move-date": "2031-03-04", "move-time": "10:00", "move-place": "野津庁舎"},
    ),
    IdRoute("/meetings/{id}/cancel", meeting_id, method="POST", form={"cancel-reason": "台風"}),
    IdRoute("/meetings/{id}/agenda", meeting_id_for_agenda, method="POST", form=AGENDA_FORM),
    IdRoute(
        "/meetings/{id}/attendance", meeting_id, method="POST", form={"attend-present": "hokatsu"}
    ),
    IdRoute("/meetings/{id}/minutes", meeting_id, method="POST", form={"minutes-text": "確認"}),
    IdRoute(
        "/meetings/{meeting}/items/{id}/decision",
        _item_id(DECISION_PARAMS),
        method="POST",
        params=DECISION_PARAMS,
        form={"i0-kind": "information_sharing"},
    ),
    IdRoute(
        "/meetings/{meeting}/items/{id}/discussion",
        _item_id(DISCUSSION_PARAMS),
        method="POST",
        params=DISCUSSION_PARAMS,
        form={"i0-text": "見守りの状況を共有した"},
    ),
]
