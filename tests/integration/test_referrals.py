"""Referrals (つなぎ): the closed loop in the services on both backends, and as staff see it.

Demo accounts: ``caseworker`` works at the 地域包括支援センター (``hokatsu``), ``kodomo`` at
the children's agency, ``supervisor`` at the agency that runs 多機関協働 — neither the
sender nor the receiver of the referrals here.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core import plugins
from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import fold_reads
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import CaseAgency
from kasane.core.consent.models import Disclosure
from kasane.core.consent.services import do_record_consent
from kasane.core.db import Database
from kasane.core.errors import NotFound
from kasane.core.forms.validation import check_form
from kasane.core.intake.services import do_intake
from kasane.core.japan_time import today_jst
from kasane.core.people.services import do_create_person
from kasane.core.protection.mynumber import is_valid_mynumber
from kasane.core.protection.sealing import unseal
from kasane.core.referrals.controllers import is_overdue
from kasane.core.referrals.models import Referral
from kasane.core.referrals.services import (
    ReferralRuleError,
    access_referral,
    answer_texts,
    do_answer_referral,
    do_send_referral,
    inbox,
    sent_by_agency,
)
from kasane.tenants.services import find_tenant_by_slug, tenant_info
from tests.conftest import Env, csrf_of, login, tenant_client

TODAY = today_jst()


def a_mynumber() -> str:
    """Twelve digits with a valid check digit."""
    body = "12345678901"
    return next(body + d for d in "0123456789" if is_valid_mynumber(body + d))


async def actor_of(s: AsyncSession, username: str) -> ActorInfo:
    account = (
        await s.execute(select(StaffAccount).where(StaffAccount.username == username))
    ).scalar_one()
    return ActorInfo.of(account)


async def new_person(s: AsyncSession, actor: ActorInfo, name: str) -> uuid.UUID:
    person = await do_create_person(
        s, actor, name=name, kana="つなぎ", phone_home="", phone_mobile=""
    )
    return person.id


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


# ------------------------------------------------------------------ services, both backends


def test_a_referral_goes_from_sent_to_its_outcome(any_env: Env) -> None:
    tenant_id = any_env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            sender, receiver = await actor_of(s, "caseworker"), await actor_of(s, "kodomo")
            person_id = await new_person(s, sender, unique("循環 一郎"))
            # given a referral from the 地域包括 to the children's agency
            referral = await do_send_referral(
                s,
                sender,
                person_id=person_id,
                case_id=None,
                consultation_id=None,
                from_agency="hokatsu",
                to_agency="kodomo",
                reason="孫の養育について相談したい",
                today=TODAY,
            )
            # then it waits in the receiver's inbox, due in three days
            assert referral.status == "sent"
            assert referral.ack_due_on == TODAY + timedelta(days=3)
            assert referral.id in {r.id for r in await inbox(s, receiver)}
            # when the receiver acknowledges, accepts and records the outcome
            for step in ("acknowledged", "accepted"):
                await do_answer_referral(s, receiver, referral, step=step, today=TODAY)
                assert referral.status == step
            await do_answer_referral(
                s, receiver, referral, step="completed", outcome="継続支援へ", today=TODAY
            )
            referral_id = referral.id
        async with db.session(tenant_id) as s:
            sender = await actor_of(s, "caseworker")
            stored = next(r for r in await sent_by_agency(s, sender) if r.id == referral_id)
            # then the sender sees the whole loop closed
            assert stored.status == "completed"
            assert (await answer_texts(s, stored))["outcome"] == "継続支援へ"
            assert stored.acknowledged_at and stored.responded_at and stored.outcome_on == TODAY
            # … it left the receiver's inbox, and the reason is stored sealed
            receiver = await actor_of(s, "kodomo")
            assert referral_id not in {r.id for r in await inbox(s, receiver)}
            assert "孫の養育" not in stored.reason_sealed
            opened = await unseal(s, "referrals", stored.id, "reason", stored.reason_sealed)
            assert opened == "孫の養育について相談したい"

    any_env.run(go)


def test_declining_needs_a_reason(any_env: Env) -> None:
    tenant_id = any_env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            sender, receiver = await actor_of(s, "caseworker"), await actor_of(s, "kodomo")
            referral = await do_send_referral(
                s,
                sender,
                person_id=await new_person(s, sender, unique("辞退 二郎")),
                case_id=None,
                consultation_id=None,
                from_agency="hokatsu",
                to_agency="kodomo",
                reason="",
                today=TODAY,
            )
            await do_answer_referral(s, receiver, referral, step="acknowledged", today=TODAY)
            # when the receiver declines without a reason, then it is refused
            for blank in ("", "   "):
                with pytest.raises(ReferralRuleError, match="Say why"):
                    await do_answer_referral(
                        s, receiver, referral, step="declined", reason=blank, today=TODAY
                    )
            assert referral.status == "acknowledged"
            # when a reason is given, then the referral is declined with it
            await do_answer_referral(
                s, receiver, referral, step="declined", reason="対象年齢外のため", today=TODAY
            )
            assert referral.status == "declined"
            assert (await answer_texts(s, referral))["decline_reason"] == "対象年齢外のため"
            # … and nothing follows a decline
            with pytest.raises(ReferralRuleError):
                await do_answer_referral(
                    s, receiver, referral, step="completed", outcome="x", today=TODAY
                )

    any_env.run(go)


def test_only_the_receiving_agency_answers_and_only_the_two_agencies_see_it(
    any_env: Env,
) -> None:
    tenant_id = any_env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            sender, receiver = await actor_of(s, "caseworker"), await actor_of(s, "kodomo")
            outsider = await actor_of(s, "supervisor")
            referral = await do_send_referral(
                s,
                sender,
                person_id=await new_person(s, sender, unique("受領 三郎")),
                case_id=None,
                consultation_id=None,
                from_agency="hokatsu",
                to_agency="kodomo",
                reason="",
                today=TODAY,
            )
            # when the sender tries to acknowledge its own referral, then it is refused
            with pytest.raises(ReferralRuleError, match="receiving agency"):
                await do_answer_referral(s, sender, referral, step="acknowledged", today=TODAY)
            assert referral.status == "sent"
            # an agency that is neither sender nor receiver does not find it at all
            with pytest.raises(NotFound):
                await access_referral(s, outsider, referral.id)
            assert await access_referral(s, receiver, referral.id) is referral
            # the receiver can acknowledge
            await do_answer_referral(s, receiver, referral, step="acknowledged", today=TODAY)
            assert referral.status == "acknowledged"

    any_env.run(go)


def test_an_unacknowledged_referral_past_its_due_day_is_overdue(any_env: Env) -> None:
    tenant_id = any_env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            sender, receiver = await actor_of(s, "caseworker"), await actor_of(s, "kodomo")
            common = {
                "case_id": None,
                "consultation_id": None,
                "from_agency": "hokatsu",
                "to_agency": "kodomo",
                "reason": "",
            }
            # given one referral sent ten days ago and one sent today
            old = await do_send_referral(
                s,
                sender,
                person_id=await new_person(s, sender, unique("期限 四郎")),
                today=TODAY - timedelta(days=10),
                **common,
            )
            fresh = await do_send_referral(
                s,
                sender,
                person_id=await new_person(s, sender, unique("期限 五郎")),
                today=TODAY,
                **common,
            )
            # then only the old one is overdue, and it comes first in the inbox
            assert is_overdue(old, TODAY) and not is_overdue(fresh, TODAY)
            ids = [r.id for r in await inbox(s, receiver)]
            assert ids.index(old.id) < ids.index(fresh.id)
            # once acknowledged it is no longer overdue
            await do_answer_referral(s, receiver, old, step="acknowledged", today=TODAY)
            assert not is_overdue(old, TODAY)

    any_env.run(go)


# ------------------------------------------------------------------ as staff see it (SQLite)


def intake_referral(env: Env, name: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The usuki caseworker takes a consultation at the 地域包括 counter and refers the
    person to the children's agency. Returns (referral id, person id)."""
    return _intake(env, name, outcome="referral", referred_to="kodomo")


def intake_case(env: Env, name: str) -> uuid.UUID:
    """A consultation at the 地域包括 counter that continues there as a case; the person id."""
    return _intake(env, name, outcome="continued")[1]


def _intake(env: Env, name: str, **outcome: str) -> tuple[uuid.UUID, uuid.UUID]:
    async def go(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
        async with db.session() as s:
            tenant = await find_tenant_by_slug(s, "usuki")
            assert tenant is not None
        config = plugins.build_config(plugins.load_plugin(tenant.plugin), tenant_info(tenant))
        async with db.session(tenant.id) as s:
            actor = await actor_of(s, "caseworker")
            submission = check_form(
                config.forms["intake"],
                {
                    "received_on": TODAY.isoformat(),
                    "channel": "visit_counter",
                    "kana": "つなぎ たろう",
                    "name": name,
                    "categories": ["care"],
                    "main_category": "care",
                },
            )
            assert submission.ok, submission.errors
            result = await do_intake(
                s,
                actor,
                config,
                counter_key="hokatsu",
                submission=submission,
                today=TODAY,
                **outcome,  # type: ignore[arg-type]
            )
            await s.flush()
            referral_id = (
                await s.execute(select(Referral.id).where(Referral.person_id == result.person.id))
            ).scalar()
            return referral_id, result.person.id

    return env.run(go)


def referrals_of(env: Env, person_id: uuid.UUID) -> list[Referral]:
    tenant_id = env.tenant_id("usuki")

    async def go(db: Database) -> list[Referral]:
        async with db.session(tenant_id) as s:
            rows = await s.execute(select(Referral).where(Referral.person_id == person_id))
            return list(rows.scalars())

    return env.run(go)


def staff(env: Env, username: str) -> TestClient:
    client = tenant_client(env, "usuki")
    client.__enter__()
    client.cookies.set("kasane_lang", "en")  # messages are asserted in English
    assert login(client, username).status_code == 302
    return client


def answer(client: TestClient, referral_id: uuid.UUID, **form: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/referrals/{referral_id}")
    return client.post(
        f"/referrals/{referral_id}/answer",
        data={**form, "_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def row_of(html: str, text: str) -> str:
    return next(row for row in html.split("<tr") if text in row)


def test_an_intake_referral_is_acknowledged_and_declined_and_the_sender_sees_it(
    sqlite_env: Env,
) -> None:
    # given a referral made at intake by the 地域包括's caseworker to the children's agency
    name = unique("紹介 春子")
    referral_id, _person = intake_referral(sqlite_env, name)
    kodomo, caseworker = staff(sqlite_env, "kodomo"), staff(sqlite_env, "caseworker")
    try:
        # then it is in the kodomo user's inbox, waiting
        page = kodomo.get("/referrals")
        assert page.status_code == 200
        assert f"/referrals/{referral_id}" in page.text and "Sent" in row_of(page.text, name)
        detail = kodomo.get(f"/referrals/{referral_id}")
        assert detail.status_code == 200 and name in detail.text
        assert "Acknowledge receipt" in detail.text
        # when kodomo acknowledges
        r = answer(kodomo, referral_id, step="acknowledged")
        assert r.status_code == 303 and r.headers["location"] == f"/referrals/{referral_id}"
        assert 'name="step" value="accepted"' in kodomo.get(f"/referrals/{referral_id}").text
        # … and declines without a reason, then the field is named and nothing changes
        r = answer(kodomo, referral_id, step="declined", reason="")
        assert r.status_code == 422 and "Reason for declining is required" in r.text
        assert referrals_of(sqlite_env, _person)[0].status == "acknowledged"
        # … and declines with a reason
        r = answer(kodomo, referral_id, step="declined", reason="対象となる子どもがいないため")
        assert r.status_code == 303
        # then the caseworker sees the status of what their agency sent, and why
        sent = caseworker.get("/referrals")
        assert "Declined" in row_of(sent.text, name)
        assert "対象となる子どもがいないため" in caseworker.get(f"/referrals/{referral_id}").text
        # … and the referral left the kodomo inbox
        assert f"/referrals/{referral_id}" not in kodomo.get("/referrals").text
    finally:
        kodomo.__exit__(None, None, None)
        caseworker.__exit__(None, None, None)


def test_an_agency_that_neither_sent_nor_received_gets_404(sqlite_env: Env) -> None:
    referral_id, _person = intake_referral(sqlite_env, unique("無関係 夏子"))
    supervisor = staff(sqlite_env, "supervisor")
    try:
        r = supervisor.get(f"/referrals/{referral_id}")
        missing = supervisor.get(f"/referrals/{uuid.uuid4()}")
        assert r.status_code == missing.status_code == 404
        assert r.text == missing.text
        assert supervisor.get(f"/referrals/{referral_id}/answer").status_code == 404
    finally:
        supervisor.__exit__(None, None, None)


def test_reading_a_referral_is_audited(sqlite_env: Env) -> None:
    referral_id, person_id = intake_referral(sqlite_env, unique("監査 秋子"))
    kodomo = staff(sqlite_env, "kodomo")
    try:
        assert kodomo.get(f"/referrals/{referral_id}").status_code == 200
    finally:
        kodomo.__exit__(None, None, None)
    tenant_id = sqlite_env.tenant_id("usuki")

    async def go(db: Database) -> list[str]:
        async with db.session(tenant_id) as s:
            await fold_reads(s)  # reads reach the hash chain by the fold
            rows = await s.execute(
                select(AuditEvent.detail).where(
                    AuditEvent.action == "referral.read",
                    AuditEvent.target == f"referral:{referral_id}",
                )
            )
            return list(rows.scalars())

    details = sqlite_env.run(go)
    assert details and str(person_id) in details[0]


def test_a_my_number_in_a_reason_is_refused_and_nothing_is_saved(sqlite_env: Env) -> None:
    name = unique("番号 冬子")
    referral_id, person_id = intake_referral(sqlite_env, name)
    kodomo = staff(sqlite_env, "kodomo")
    secret = a_mynumber()
    try:
        assert answer(kodomo, referral_id, step="acknowledged").status_code == 303
        # when the decline reason holds a My Number
        r = answer(kodomo, referral_id, step="declined", reason=f"個人番号 {secret} の方")
        # then it is refused, naming the field, and the referral is unchanged
        assert r.status_code == 422
        assert "Reason for declining: this looks like an Individual Number" in r.text
        assert 'aria-invalid="true"' in r.text and secret in r.text  # what was typed is kept
        (stored,) = referrals_of(sqlite_env, person_id)
        assert stored.status == "acknowledged" and stored.decline_reason_sealed == ""
        # when kodomo refers the person onward with a My Number in the reason
        form = kodomo.get(f"/referrals/new?person={person_id}")
        assert form.status_code == 200 and name in form.text
        r = kodomo.post(
            "/referrals",
            data={
                "person": str(person_id),
                "to_agency": "shakyo",
                "reason": f"番号は{secret}",
                "_csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        # then it is refused, naming the field, and no referral is made
        assert r.status_code == 422
        assert "Reason for the referral: this looks like an Individual Number" in r.text
        assert len(referrals_of(sqlite_env, person_id)) == 1
        # with a clean reason the referral is sent
        r = kodomo.post(
            "/referrals",
            data={
                "person": str(person_id),
                "to_agency": "shakyo",
                "reason": "家計の相談",
                "_csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        onward = [x for x in referrals_of(sqlite_env, person_id) if x.to_agency_key == "shakyo"]
        assert len(onward) == 1 and onward[0].from_agency_key == "kodomo"
        assert r.headers["location"] == f"/referrals/{onward[0].id}"
    finally:
        kodomo.__exit__(None, None, None)


def test_only_agencies_that_know_the_person_may_refer_them(sqlite_env: Env) -> None:
    # given a person in a case of the 地域包括 only
    person_id = intake_case(sqlite_env, unique("症例 一子"))
    caseworker, kodomo = staff(sqlite_env, "caseworker"), staff(sqlite_env, "kodomo")
    try:
        # then the 地域包括 may refer them, the children's agency gets 404
        assert caseworker.get(f"/referrals/new?person={person_id}").status_code == 200
        assert kodomo.get(f"/referrals/new?person={person_id}").status_code == 404
        page = kodomo.get("/referrals")
        r = kodomo.post(
            "/referrals",
            data={
                "person": str(person_id),
                "to_agency": "shakyo",
                "reason": "x",
                "_csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 404 and referrals_of(sqlite_env, person_id) == []
    finally:
        caseworker.__exit__(None, None, None)
        kodomo.__exit__(None, None, None)


def case_agencies(env: Env, person_id: uuid.UUID) -> tuple[set[str], int]:
    """Active agencies of the person's case, and the number of disclosures recorded."""
    from kasane.core.cases.models import Case

    tenant_id = env.tenant_id("usuki")

    async def go(db: Database) -> tuple[set[str], int]:
        async with db.session(tenant_id) as s:
            case_ids = select(Case.id).where(Case.person_id == person_id)
            agencies = await s.execute(
                select(CaseAgency.agency_key).where(
                    CaseAgency.case_id.in_(case_ids), CaseAgency.ended_on.is_(None)
                )
            )
            shared = await s.execute(select(func.count()).where(Disclosure.person_id == person_id))
            return set(agencies.scalars()), shared.scalar_one()

    return env.run(go)


def test_accepting_a_referral_within_a_case_joins_the_case_only_with_consent(
    any_env: Env,
) -> None:
    # on both backends: a refused accept is rolled back after the step was already flushed
    # given a case of the 地域包括 and a referral sent from it to the children's agency
    person_id = intake_case(any_env, unique("合流 二子"))
    caseworker, kodomo = staff(any_env, "caseworker"), staff(any_env, "kodomo")
    try:
        form = caseworker.get(f"/referrals/new?person={person_id}")
        case_option = re.search(r'<option value="([0-9a-f-]{36})" selected>', form.text)
        assert case_option, "the person's only case is preselected"
        r = caseworker.post(
            "/referrals",
            data={
                "person": str(person_id),
                "to_agency": "kodomo",
                "case_id": case_option.group(1),
                "reason": "孫の不登校",
                "_csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        (referral,) = referrals_of(any_env, person_id)
        assert str(referral.case_id) == case_option.group(1)
        assert answer(kodomo, referral.id, step="acknowledged").status_code == 303
        # when kodomo accepts while no consent covers sharing with it
        r = answer(kodomo, referral.id, step="accepted")
        # then the accept is refused with the sharing message; nothing changed
        assert r.status_code == 422 and "There is no valid consent covering this sharing" in r.text
        assert referrals_of(any_env, person_id)[0].status == "acknowledged"
        assert case_agencies(any_env, person_id) == ({"hokatsu"}, 0)
        # when the person's consent is recorded, then accepting joins kodomo to the case
        record_consent(any_env, person_id, ["kodomo"])
        assert answer(kodomo, referral.id, step="accepted").status_code == 303
        assert referrals_of(any_env, person_id)[0].status == "accepted"
        assert case_agencies(any_env, person_id) == ({"hokatsu", "kodomo"}, 1)
        assert f"/cases/{referral.case_id}" in kodomo.get(f"/referrals/{referral.id}").text
    finally:
        caseworker.__exit__(None, None, None)
        kodomo.__exit__(None, None, None)


def record_consent(env: Env, person_id: uuid.UUID, agencies: list[str]) -> None:
    tenant_id = env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            await do_record_consent(
                s,
                actor,
                person_id,
                agencies=agencies,
                meeting_types=[],
                purposes=["referral"],
                obtained_on=TODAY,
                method="written",
            )

    env.run(go)


def test_the_inbox_flags_an_overdue_referral(sqlite_env: Env) -> None:
    tenant_id = sqlite_env.tenant_id("usuki")
    late, on_time = unique("遅延 三子"), unique("期限内 四子")

    async def go(db: Database) -> None:
        async with db.session(tenant_id) as s:
            sender = await actor_of(s, "caseworker")
            for name, sent_on in ((late, TODAY - timedelta(days=5)), (on_time, TODAY)):
                await do_send_referral(
                    s,
                    sender,
                    person_id=await new_person(s, sender, name),
                    case_id=None,
                    consultation_id=None,
                    from_agency="hokatsu",
                    to_agency="kodomo",
                    reason="",
                    today=sent_on,
                )

    sqlite_env.run(go)
    kodomo = staff(sqlite_env, "kodomo")
    try:
        page = kodomo.get("/referrals").text
    finally:
        kodomo.__exit__(None, None, None)
    assert "Overdue" in row_of(page, late)
    assert "Overdue" not in row_of(page, on_time)
