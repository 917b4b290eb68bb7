"""Closure through the meeting (issue 12), in both demo towns: 終結 needs a closure decision
(a meeting's, dated on a day that meeting was held, or a recorded exception with its reason),
a reason and a confirmation; 再開 after 終結 is a new support period, audited. The viewer sees
no write control on the case page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kasane.core.audit.models import AuditEvent
from kasane.core.cases.models import Case
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.integration.test_intake import _query
from tests.isolation.routes_cases import make_case, today

SLUGS = ["usuki", "marugame"]
NO_DECISION = "終結は会議の決定（または理由を記録した例外）によります"


def _post(client, url: str, **fields: object):  # type: ignore[no-untyped-def]
    return client.post(url, data={"_csrf_token": csrf_of(client.get("/").text), **fields})


@pytest.mark.parametrize("slug", SLUGS)
def test_closure_needs_a_decision_a_reason_and_a_confirmation_and_can_be_reopened(
    sqlite_env: Env, slug: str
) -> None:
    d = today()
    case_id = make_case(sqlite_env, slug, until="evaluation")
    url = f"/cases/{case_id}"
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        r = _post(
            cw,
            f"{url}/evaluation",
            **{
                "evaluation-evaluated_on": d.isoformat(),
                "evaluation-goal1": "met",
                "evaluation-summary": "目標を達成",
            },
        )
        assert r.status_code == 200
        # a bare click on 終結 is refused: there is no closure decision
        r = _post(cw, f"{url}/move", to="closed", **{"move-note": "達成", "move-confirm": "on"})
        assert r.status_code == 422 and NO_DECISION in r.text

        # a meeting's decision cannot be dated in the future, nor on a day without that meeting
        page = cw.get(url, params={"decision-kind": "closure"}).text
        select_html = page.split('id="decision-meeting"', 1)[1].split("</select>", 1)[0]
        meeting = re.findall(r'<option value="([^"]+)"', select_html)[0]
        closure = {
            "decision-kind": "closure",
            "decision-source": "meeting",
            "decision-meeting": meeting,
            "decision-note": "目標を達成したため",
            "decision-confirm": "on",
        }
        r = _post(
            cw, f"{url}/decisions", **closure, **{"decision-decided_on": str(d + timedelta(1))}
        )
        assert r.status_code == 422 and "未来の日付は指定できません" in r.text
        r = _post(cw, f"{url}/decisions", **closure, **{"decision-decided_on": "2020-01-01"})
        assert r.status_code == 422 and "会議の決定日は会議の開催日です" in r.text

        # an exception closes it, with its reason and the confirmation
        exception = {**closure, "decision-source": "exception", "decision-decided_on": str(d)}
        r = _post(cw, f"{url}/decisions", **{**exception, "decision-confirm": ""})
        assert r.status_code == 422 and 'id="decision-confirm-error"' in r.text
        r = _post(cw, f"{url}/decisions", **exception)
        assert r.status_code == 200 and "新たな支援期間として再開する" in r.text
        assert _query(sqlite_env, slug, select(Case.stage).where(Case.id == case_id)) == [
            ("closed",)
        ]

        # 再開 needs its reason, then opens a new support period, audited
        r = _post(cw, f"{url}/move", to="intake")
        assert r.status_code == 422 and "再開の理由を入力してください" in r.text
        r = _post(cw, f"{url}/move", to="intake", **{"move-note": "再び相談があった"})
        assert r.status_code == 200
    assert _query(sqlite_env, slug, select(Case.stage).where(Case.id == case_id)) == [("intake",)]
    reopened = _query(
        sqlite_env,
        slug,
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "case.reopen", AuditEvent.target == f"case:{case_id}"),
    )
    assert reopened == [(1,)]


@pytest.mark.parametrize("slug", SLUGS)
def test_the_viewer_sees_no_write_control_on_the_case_page(sqlite_env: Env, slug: str) -> None:
    case_id = make_case(sqlite_env, slug, until="support")
    with tenant_client(sqlite_env, slug) as viewer, tenant_client(sqlite_env, slug) as cw:
        login(viewer, "viewer")
        login(cw, "caseworker")
        seen = viewer.get(f"/cases/{case_id}")
        worked = cw.get(f"/cases/{case_id}")
    main = seen.text.split('<main id="main"', 1)[1]
    assert seen.status_code == 200
    assert "<form" not in main and "<button" not in main
    assert "/assessment/new" not in main and "/referrals/new" not in main
    # the caseworker of the same agency has them
    assert 'id="move-form"' in worked.text and "/referrals/new" in worked.text


@pytest.mark.parametrize("slug", SLUGS)
def test_a_decision_and_matching_are_offered_only_where_the_flow_expects_them(
    sqlite_env: Env, slug: str
) -> None:
    # given a case just taken in (the issue saw 「決定を記録」 and matching offered there), one
    # at アセスメント with its assessment, and one whose draft plan awaits the meeting
    early = make_case(sqlite_env, slug, until="intake")
    assessed = make_case(sqlite_env, slug, until="assessment", assessed=True)
    planned = make_case(sqlite_env, slug, until="plan_draft")
    with tenant_client(sqlite_env, slug) as cw:
        login(cw, "caseworker")
        at_intake = cw.get(f"/cases/{early}").text
        at_assessment = cw.get(f"/cases/{assessed}").text
        at_plan = cw.get(f"/cases/{planned}").text
    # then the new case offers neither; the assessed one matching only; the plan both
    assert 'id="decision"' not in at_intake and 'id="suggestions"' not in at_intake
    assert 'id="decision"' not in at_assessment and 'id="suggestions"' in at_assessment
    assert 'id="decision"' in at_plan and 'id="suggestions"' in at_plan
