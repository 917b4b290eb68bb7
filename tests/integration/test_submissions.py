"""A form sent twice is saved once: the one-time submission key (issue 22).

The retry a person makes when a save's answer was lost carries the same ``_submission``
value as the first send (the page's script put it in the form): it gets the first result,
and neither a second note nor a second audit event is written.
"""

from __future__ import annotations

import secrets
import uuid

from litestar.testing import TestClient
from sqlalchemy import func, select

from kasane.core.audit.models import AuditEvent
from kasane.core.cases.models import ProgressNote
from kasane.core.db import Database
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.isolation.routes_cases import make_case


def _counts(env: Env, slug: str, case: uuid.UUID) -> tuple[int, int]:
    tenant = env.tenant_id(slug)

    async def go(db: Database) -> tuple[int, int]:
        async with db.session(tenant) as s:
            notes = await s.scalar(
                select(func.count()).select_from(ProgressNote).where(ProgressNote.case_id == case)
            )
            events = await s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "note.add", AuditEvent.target == f"case:{case}")
            )
        return int(notes or 0), int(events or 0)

    return env.run(go)


def _send(client: TestClient, case: uuid.UUID, key: str, body: str, **headers: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/cases/{case}").text)
    return client.post(
        f"/cases/{case}/notes",
        data={
            "_csrf_token": token,
            "_submission": key,
            "note-kind": "phone",
            "note-occurred_on": "2026-12-01",
            "note-body": body,
        },
        headers=headers,
        follow_redirects=False,
    )


def test_a_note_sent_twice_with_one_key_is_saved_and_audited_once(any_env: Env) -> None:
    case = make_case(any_env, "usuki")
    key = secrets.token_hex(16)
    with tenant_client(any_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        first = _send(client, case, key, "長男から電話。来週訪問の約束。")
        # when the answer was lost and the person sends the same form again
        again = _send(client, case, key, "長男から電話。来週訪問の約束。")
        # then the retry gets the first result, and one note and one audit event exist
        assert first.status_code == again.status_code == 303
        assert again.headers["location"] == first.headers["location"]
        assert _counts(any_env, "usuki", case) == (1, 1)
        # a new form (a new key) is a new note
        assert _send(client, case, secrets.token_hex(16), "二件目").status_code == 303
        assert _counts(any_env, "usuki", case) == (2, 2)


def test_an_htmx_retry_refreshes_the_page_instead_of_saving_again(any_env: Env) -> None:
    case = make_case(any_env, "usuki")
    key = secrets.token_hex(16)
    with tenant_client(any_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        first = _send(client, case, key, "htmxで保存", **{"HX-Request": "true"})
        assert first.status_code == 200 and "htmxで保存" in first.text
        again = _send(client, case, key, "htmxで保存", **{"HX-Request": "true"})
        assert again.status_code == 200 and again.headers.get("hx-refresh") == "true"
        assert "htmxで保存" not in again.text
        assert _counts(any_env, "usuki", case) == (1, 1)


def test_a_refused_form_can_be_sent_again_with_the_same_key(any_env: Env) -> None:
    case = make_case(any_env, "usuki")
    key = secrets.token_hex(16)
    with tenant_client(any_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        refused = _send(client, case, key, "")  # the note's text is required
        assert refused.status_code == 422
        assert _counts(any_env, "usuki", case) == (0, 0)
        # corrected and sent with the same key (the form was not replaced): it is saved
        assert _send(client, case, key, "本文を入れて再送").status_code == 303
        assert _counts(any_env, "usuki", case) == (1, 1)


def test_keys_belong_to_one_town_and_one_session(any_env: Env) -> None:
    usuki_case, marugame_case = make_case(any_env, "usuki"), make_case(any_env, "marugame")
    key = secrets.token_hex(16)
    with tenant_client(any_env, "usuki") as usuki, tenant_client(any_env, "marugame") as other:
        assert login(usuki, "caseworker").status_code == 302
        assert login(other, "caseworker").status_code == 302
        assert _send(usuki, usuki_case, key, "臼杵のメモ").status_code == 303
        # the same key in another town is another submission: saved there
        assert _send(other, marugame_case, key, "丸亀のメモ").status_code == 303
        assert _counts(any_env, "marugame", marugame_case) == (1, 1)
        # and in another session of the same town too (a key is never shared across people)
        with tenant_client(any_env, "usuki") as second:
            assert login(second, "caseworker").status_code == 302
            assert _send(second, usuki_case, key, "別のセッション").status_code == 303
        assert _counts(any_env, "usuki", usuki_case) == (2, 2)
