"""A referral's answer — the reason for declining, the outcome — is sealed at rest (0005):
the two agencies read it on the referral page, the 開示請求 export opens it, the database
holds no plaintext of it, and another town can neither reach nor open it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from kasane.core.db import Database
from kasane.core.protection.crypto import SealedDataError, cipher_for
from kasane.core.referrals.models import Referral
from tests.conftest import Env, login, tenant_client
from tests.integration.test_referrals import answer, intake_referral, staff, unique


def raw_row(env: Env, referral_id: uuid.UUID) -> dict[str, object]:
    """Every column of the referral's row as stored (no unsealing)."""
    tenant_id = env.tenant_id("usuki")
    table = Referral.__table__

    async def go(db: Database) -> dict[str, object]:
        async with db.session(tenant_id) as s:
            row = (await s.execute(select(table).where(table.c.id == referral_id))).one()
            return dict(row._mapping)

    return env.run(go)


def opened_by_marugame(env: Env, referral_id: uuid.UUID, field: str, token: str) -> str:
    marugame = env.tenant_id("marugame")

    async def go(db: Database) -> str:
        async with db.session(marugame) as s:
            return (await cipher_for(s)).open("referrals", referral_id, field, token)

    return env.run(go)


def test_a_declined_and_a_completed_answer_are_read_by_the_two_agencies_and_sealed_at_rest(
    any_env: Env,
) -> None:
    declined_name, completed_name = unique("封緘 辞退"), unique("封緘 結果")
    why = f"本人が入院したため、退院後に改めて相談 {uuid.uuid4().hex[:6]}"
    what = f"家計改善支援につながり、滞納が解消 {uuid.uuid4().hex[:6]}"
    declined_id, declined_person = intake_referral(any_env, declined_name)
    completed_id, completed_person = intake_referral(any_env, completed_name)
    kodomo, caseworker = staff(any_env, "kodomo"), staff(any_env, "caseworker")
    supervisor = staff(any_env, "supervisor")
    try:
        # given the children's agency declines one referral and accepts the other,
        for step, form in (("acknowledged", {}), ("declined", {"reason": why})):
            assert answer(kodomo, declined_id, step=step, **form).status_code == 303
        for step in ("acknowledged", "accepted"):
            assert answer(kodomo, completed_id, step=step).status_code == 303
        # and the sending agency records the outcome of the accepted one
        r = answer(caseworker, completed_id, step="completed", outcome=what)
        assert r.status_code == 303
        # then both agencies read the reason and the outcome on the referral pages
        for client in (kodomo, caseworker):
            assert why in client.get(f"/referrals/{declined_id}").text
            assert what in client.get(f"/referrals/{completed_id}").text
        # … an agency that neither sent nor received them does not reach them
        assert supervisor.get(f"/referrals/{declined_id}").status_code == 404
        # … and the 開示請求 export (the municipal section) shows both, opened
        for person, text in ((declined_person, why), (completed_person, what)):
            record = supervisor.get(f"/people/{person}/export.json").json()
            assert [x["decline_reason"] or x["outcome"] for x in record["referrals"]] == [text]
            assert text in supervisor.get(f"/people/{person}/export").text
    finally:
        for c in (kodomo, caseworker, supervisor):
            c.__exit__(None, None, None)
    # then the database holds no plaintext of them, only sealed tokens
    declined, completed = raw_row(any_env, declined_id), raw_row(any_env, completed_id)
    for row, text in ((declined, why), (completed, what)):
        assert not any(text[:8] in str(value) for value in row.values())
    assert str(declined["decline_reason_sealed"]).startswith("v1:")
    assert completed["decline_reason_sealed"] == "" and declined["outcome_sealed"] == ""
    assert str(completed["outcome_sealed"]).startswith("v1:")
    # and the other town neither reaches the referral nor opens its sealed text
    with tenant_client(any_env, "marugame") as marugame:
        login(marugame, "caseworker")
        page = marugame.get(f"/referrals/{completed_id}")
        assert page.status_code == 404 and what not in page.text
    with pytest.raises(SealedDataError):
        opened_by_marugame(any_env, completed_id, "outcome", str(completed["outcome_sealed"]))
