"""The case side of the flow as staff use it in the browser (SQLite, real forms with CSRF).

Messages are compared in the language the page is shown in (Japanese by default), through
the same catalog the app uses, so the tests hold before and after translation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from litestar.testing import TestClient
from markupsafe import escape
from sqlalchemy import func, select

from kasane.core import i18n
from kasane.core.audit.services import fold_reads
from kasane.core.cases.models import Case, ProgressNote
from kasane.core.cases.queries import PAGE_SIZE
from kasane.core.cases.records import do_record_monitoring
from kasane.core.cases.services import do_move
from kasane.core.db import Database, uuid7
from kasane.core.protection.mynumber import is_valid_mynumber
from kasane.core.referrals.services import do_send_referral
from kasane_plugins.usuki.assumptions import STAGE_LABELS
from tests.conftest import Env, csrf_of, login, tenant_client
from tests.isolation.routes_cases import (
    actor_of,
    intake_case,
    make_case,
    tenant_setup,
    today,
    walk,
)

CASE_ROW = re.compile(
    r'<tr>\s*<td><a href="/cases/([0-9a-f-]{36})">.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', re.S
)


def ja(message: str, **variables: object) -> str:
    """``message`` as a Japanese page shows it (translated, HTML-escaped)."""
    token = i18n.current_locale.set("ja")
    try:
        return str(escape(i18n.gettext(message, **variables)))
    finally:
        i18n.current_locale.reset(token)


def stage_label(stage: str) -> str:
    from kasane.core.defaults import STAGE_LABELS as CORE_LABELS

    return STAGE_LABELS.get(stage) or ja(CORE_LABELS[stage])


def a_mynumber() -> str:
    """Twelve digits with a valid check digit (never a real person's: a test value)."""
    body = "12345678901"
    return next(body + d for d in "0123456789" if is_valid_mynumber(body + d))


@pytest.fixture
def caseworker(sqlite_env: Env) -> Iterator[TestClient]:
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        yield client


def meeting_day(env: Env, slug: str, type_key: str, before: date) -> date:
    """The JST day of the latest meeting of ``type_key`` held on or before ``before``."""
    from kasane.core.japan_time import JST
    from kasane.core.meetings.models import Meeting

    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> date:
        async with db.session(tenant_id) as s:
            starts = (
                await s.execute(
                    select(Meeting.starts_at)
                    .where(Meeting.meeting_type_key == type_key, Meeting.status != "cancelled")
                    .order_by(Meeting.starts_at.desc())
                )
            ).scalars()
            return next(
                x.astimezone(JST).date() for x in starts if x.astimezone(JST).date() <= before
            )

    return env.run(go)


def post(client: TestClient, url: str, **fields: object):  # type: ignore[no-untyped-def]
    """Submit a form of the page at ``url``'s case, with the page's CSRF token."""
    token = csrf_of(client.get("/").text)
    return client.post(url, data={"_csrf_token": token, **fields})


def test_the_caseworker_walks_a_case_through_the_forms(
    sqlite_env: Env, caseworker: TestClient
) -> None:
    d = today()
    # given a multi-agency case opened at the 地域包括 counter
    case = make_case(sqlite_env, "usuki")
    held = meeting_day(sqlite_env, "usuki", "jusoteki", d)  # the last 重層的支援会議
    url = f"/cases/{case}"
    page = caseworker.get(url)
    assert page.status_code == 200 and stage_label("intake") in page.text
    assert "臼杵市地域包括支援センター" in page.text and "地域力創生課" in page.text

    # when a stage is skipped, then the page comes back with the rule's message
    r = post(caseworker, f"{url}/move", to="plan_draft")
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert ja("This case cannot move from its current stage to the one chosen.") in r.text
    r = post(caseworker, f"{url}/move", to="assessment")
    assert r.status_code == 200 and str(r.url).endswith(url)
    r = post(caseworker, f"{url}/move", to="plan_draft")
    assert r.status_code == 422
    assert ja("A plan needs an assessment first: record the assessment.") in r.text

    # the assessment: a required field left empty is named, then a version is saved
    assert caseworker.get(f"{url}/assessment/new").status_code == 200
    r = post(caseworker, f"{url}/assessment", wishes="家で暮らし続けたい")
    assert r.status_code == 422 and 'id="issues-error"' in r.text
    assert "家で暮らし続けたい" in r.text  # what was typed is kept
    r = post(
        caseworker,
        f"{url}/assessment",
        issues=["care_burden", "isolation"],
        wishes="家で暮らし続けたい",
    )
    assert r.status_code == 200 and str(r.url).endswith(f"{url}/assessment/1")
    assert "家で暮らし続けたい" in r.text and "national-2021.1" not in r.text  # no internal ids
    assert f"{url}#stage" in r.text  # the page offers the next step

    # usuki's own word for the draft plan
    r = post(caseworker, f"{url}/move", to="plan_draft")
    assert r.status_code == 200 and STAGE_LABELS["plan_draft"] in r.text

    # the plan editor starts from the wishes the assessment heard
    editor = caseworker.get(f"{url}/plan/new")
    assert editor.status_code == 200 and "家で暮らし続けたい" in editor.text
    # a row with some parts empty is named; the typed text stays
    r = post(caseworker, f"{url}/plan", **{"rows-0-issue": "介護負担", "rows-0-agency": "hokatsu"})
    assert r.status_code == 422
    assert ja("Row %(n)s: %(problem)s", n=1, problem=i18n_required("Goal")) in r.text
    assert 'id="rows-0-goal-error"' in r.text and "介護負担" in r.text
    # without JavaScript, "add a row" posts back with one more (empty) row and saves nothing
    r = post(caseworker, f"{url}/plan", add_row="1", **{"rows-0-issue": "介護負担"})
    assert r.status_code == 200 and 'id="rows-1-issue"' in r.text
    # with htmx, one row comes back with the button for the row after it
    r = caseworker.get(f"{url}/plan/row?index=2", headers={"HX-Request": "true"})
    assert 'id="rows-2-issue"' in r.text and "plan/row?index=3" in r.text and "<html" not in r.text
    plan = {
        "wishes": "家で暮らし続けたい",
        "rows-0-issue": "介護負担",
        "rows-0-goal": "介護者が休める",
        "rows-0-action": "ショートステイの調整",
        "rows-0-agency": "hokatsu",
        "rows-0-period": "3か月",
        "rows-1-issue": "",  # a row left wholly empty is ignored
        "rows-1-goal": "",
        "rows-1-action": "",
        "rows-1-agency": "",
        "agreed_on": d.isoformat(),
        "agreement_method": "written",
        "next_monitoring_on": (d + timedelta(days=30)).isoformat(),
    }
    r = post(caseworker, f"{url}/plan", **plan)
    assert r.status_code == 200 and str(r.url).endswith(f"{url}/plan/1")
    assert "ショートステイの調整" in r.text and r.text.count("<tr>") == 2  # head + one row

    # the case page at 計画作成 offers the decision, dated on the last 重層的支援会議 held
    form = caseworker.get(url).text.split('id="decision-box"', 1)[1]
    proposed = re.search(r'id="decision-decided_on"[^>]*value="([^"]+)"', form)
    assert proposed and proposed.group(1) == held.isoformat()
    # a meeting that may not decide support is refused at its field; so is a bare exception
    decision = {"decision-kind": "support_decision", "decision-decided_on": d.isoformat()}
    r = post(
        caseworker,
        f"{url}/decisions",
        **decision,
        **{"decision-source": "meeting", "decision-meeting": "shien_kaigi"},
    )
    assert r.status_code == 422 and 'id="decision-meeting-error"' in r.text
    assert ja("This meeting may not take that decision.") in r.text
    r = post(caseworker, f"{url}/decisions", **decision, **{"decision-source": "exception"})
    assert r.status_code == 422 and ja("An exception needs its reason recorded.") in r.text
    # a meeting's decision is dated on a day that meeting was held, never in the future
    at_meeting = {"decision-source": "meeting", "decision-meeting": "jusoteki"}
    tomorrow = {"decision-decided_on": (d + timedelta(days=1)).isoformat()}
    r = post(caseworker, f"{url}/decisions", **{**decision, **tomorrow}, **at_meeting)
    assert r.status_code == 422 and 'id="decision-decided_on-error"' in r.text
    r = post(caseworker, f"{url}/decisions", **decision, **at_meeting)
    if r.status_code == 422:  # no 重層的支援会議 today
        assert (
            ja(
                "No meeting of that kind was held on that date: a meeting's decision is dated on "
                "the meeting's day."
            )
            in r.text
        )
        r = post(
            caseworker,
            f"{url}/decisions",
            **{**decision, "decision-decided_on": held.isoformat()},
            **at_meeting,
        )
    assert r.status_code == 200 and STAGE_LABELS["decision"] in r.text
    # the stage move the decision made reads as the decision, not as its key
    timeline = r.text.split('id="timeline"', 1)[1]
    assert "support_decision" not in timeline and ja("Support decision") in timeline

    # support starts (the person agreed in the plan), then monitoring
    r = post(caseworker, f"{url}/move", to="support")
    assert r.status_code == 200 and 'id="monitoring-form"' in r.text
    r = post(
        caseworker,
        f"{url}/monitoring",
        **{
            "monitoring-done_on": d.isoformat(),
            "monitoring-summary": "介護者の睡眠が改善",
            "monitoring-next_on": d.isoformat(),  # not after this one
        },
    )
    assert r.status_code == 422 and 'id="monitoring-next_on-error"' in r.text
    r = post(
        caseworker,
        f"{url}/monitoring",
        **{
            "monitoring-done_on": d.isoformat(),
            "monitoring-summary": "介護者の睡眠が改善",
            "monitoring-next_on": (d + timedelta(days=60)).isoformat(),
        },
    )
    assert r.status_code == 200 and stage_label("monitoring") in r.text
    assert "介護者の睡眠が改善" in r.text  # the timeline shows the opened summary

    # evaluation, then closure
    r = post(caseworker, f"{url}/move", to="closed")
    assert r.status_code == 422
    assert post(caseworker, f"{url}/move", to="evaluation").status_code == 200
    r = post(caseworker, f"{url}/move", to="closed")
    assert ja("A case can only be closed after its evaluation is recorded.") in r.text
    # 評価 is per goal of the plan: the form asks for each goal by its words …
    page = caseworker.get(url).text
    assert 'id="evaluation-goal1"' in page and "目標1：介護者が休める" in page
    evaluation = {
        "evaluation-evaluated_on": d.isoformat(),
        "evaluation-summary": "在宅生活を継続",
    }
    r = post(caseworker, f"{url}/evaluation", **evaluation)  # … and refuses a goal left out
    assert r.status_code == 422 and 'id="evaluation-goal1-error"' in r.text
    assert "在宅生活を継続" in r.text  # what was typed stays
    r = post(
        caseworker,
        f"{url}/evaluation",
        **evaluation,
        **{"evaluation-goal1": "partly", "evaluation-goal1_finding": "月2回のショートステイ"},
    )
    assert r.status_code == 200
    # the timeline shows the evaluation, its overall outcome and each goal with its finding
    timeline = r.text.split('id="timeline"', 1)[1]
    assert "評価：一部達成" in timeline and "目標1：介護者が休める" in timeline
    assert "月2回のショートステイ" in timeline
    # closing is not a bare click: it needs the closure decision (meeting or exception) …
    assert 'value="closed"' not in r.text
    r = post(
        caseworker, f"{url}/move", to="closed", **{"move-note": "目標達成", "move-confirm": "on"}
    )
    assert (
        r.status_code == 422
        and ja(
            "A case is closed by the meeting's decision, or by a recorded exception with its "
            "reason: record the closure decision first."
        )
        in r.text
    )
    closure = {
        "decision-kind": "closure",
        "decision-source": "exception",
        "decision-decided_on": d.isoformat(),
    }
    # … with its reason …
    r = post(caseworker, f"{url}/decisions", **closure)
    assert r.status_code == 422 and 'id="decision-note-error"' in r.text
    # … and a confirmation
    r = post(caseworker, f"{url}/decisions", **closure, **{"decision-note": "転居のため"})
    assert r.status_code == 422 and 'id="decision-confirm-error"' in r.text
    r = post(
        caseworker,
        f"{url}/decisions",
        **closure,
        **{"decision-note": "転居のため", "decision-confirm": "on"},
    )
    # then the case is closed: the lead agency keeps the record; the only move is 再開
    assert r.status_code == 200 and str(r.url).endswith(url)
    assert STAGE_LABELS["closed"] in r.text and 'value="support"' not in r.text
    assert 'value="intake"' in r.text and "転居のため" in r.text

    usuki = sqlite_env.tenant_id("usuki")

    async def stage(db: Database) -> str:
        async with db.session(usuki) as s:
            return (await s.execute(select(Case.stage).where(Case.id == case))).scalar_one()

    assert sqlite_env.run(stage) == "closed"


def i18n_required(label: str) -> str:
    token = i18n.current_locale.set("ja")
    try:
        return i18n.gettext("%(label)s is required", label=i18n.gettext(label))
    finally:
        i18n.current_locale.reset(token)


def test_bringing_in_an_agency_needs_consent_or_a_named_law(
    sqlite_env: Env, caseworker: TestClient
) -> None:
    url = f"/cases/{make_case(sqlite_env, 'usuki')}"
    # given no consent recorded, when an agency is brought in by consent, then it is refused
    r = post(caseworker, f"{url}/agencies", **{"agency-agency": "kikan", "agency-basis": "consent"})
    assert r.status_code == 422 and 'id="agency-alert"' in r.text
    assert (
        ja(
            "There is no valid consent covering this sharing. Record the person's consent "
            "first, or name the law that allows it."
        )
        in r.text
    )
    # another law must be named
    fields = {"agency-agency": "kikan", "agency-basis": "other_law"}
    r = post(caseworker, f"{url}/agencies", **fields)
    assert r.status_code == 422 and 'id="agency-law-error"' in r.text
    r = post(caseworker, f"{url}/agencies", **fields, **{"agency-law": "障害者総合支援法"})
    assert r.status_code == 200 and "/agencies/kikan/end" in r.text
    # the lead cannot leave, another agency can
    assert post(caseworker, f"{url}/agencies/hokatsu/end").status_code == 422
    r = post(caseworker, f"{url}/agencies/kikan/end")
    assert r.status_code == 200 and "/agencies/kikan/end" not in r.text


def test_the_case_list_filters_by_stage_and_pages(sqlite_env: Env) -> None:
    # given more cases than one page at the children's centre, all at the assessment
    async def seed(db: Database) -> set[str]:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "kodomo")
            ids = set()
            for n in range(PAGE_SIZE + 2):
                case = await intake_case(
                    s, actor, config, counter="kodomo", outcome="continued", name=f"頁 太郎{n}"
                )
                await do_move(s, actor, case, "assessment", today=today())
                ids.add(str(case.id))
            return ids

    mine = sqlite_env.run(seed)
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, "kodomo").status_code == 302
        # when the list is filtered by stage, then every row is at that stage
        seen: list[str] = []
        url = "/cases?stage=assessment"
        while url:
            r = client.get(url)
            assert r.status_code == 200
            rows = CASE_ROW.findall(r.text)
            assert rows and all(label == stage_label("assessment") for _id, label in rows)
            seen += [case_id for case_id, _label in rows]
            nxt = re.search(r'href="(/cases\?[^"]*)" rel="next"', r.text)
            url = nxt.group(1).replace("&amp;", "&") if nxt else ""
            # and the pager keeps the filter
            assert not url or "stage=assessment" in url
        # and the pages together list each case once
        assert len(seen) == len(set(seen)) and mine <= set(seen)
        assert len(seen) > PAGE_SIZE
        # another stage lists none of them
        other = CASE_ROW.findall(client.get("/cases?stage=intake").text)
        assert not mine & {case_id for case_id, _label in other}
        # htmx asks for the table only
        r = client.get(
            "/cases?stage=assessment",
            headers={"HX-Request": "true", "HX-Target": "case-table"},
        )
        assert r.text.lstrip().startswith('<div id="case-table">') and "<html" not in r.text


def test_another_agency_gets_the_same_404_as_for_a_missing_case(sqlite_env: Env) -> None:
    # given a case of the 地域包括 (the children's centre takes no part in it)
    case = make_case(sqlite_env, "usuki")
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, "kodomo").status_code == 302
        # when the children's centre asks for it, or for an id that does not exist
        theirs, missing = client.get(f"/cases/{case}"), client.get(f"/cases/{uuid7()}")
        # then both answers are the same 404
        assert theirs.status_code == missing.status_code == 404
        assert theirs.text == missing.text
        # and writing to it is the same 404 too
        r = post(client, f"/cases/{case}/notes", **{"note-body": "x"})
        assert r.status_code == 404 and r.text == missing.text


def _notes(env: Env, case: uuid.UUID) -> list[str]:
    usuki = env.tenant_id("usuki")

    async def go(db: Database) -> list[str]:
        async with db.session(usuki) as s:
            stmt = select(ProgressNote.body_sealed).where(ProgressNote.case_id == case)
            return list((await s.execute(stmt)).scalars())

    return env.run(go)


def test_a_note_with_a_my_number_is_refused_and_a_note_is_stored_sealed(
    sqlite_env: Env, caseworker: TestClient
) -> None:
    case = make_case(sqlite_env, "usuki")
    url = f"/cases/{case}"
    number = a_mynumber()
    note = {"note-kind": "phone", "note-occurred_on": today().isoformat()}
    # given a note that carries a My Number, then it is refused by name and nothing is saved
    r = post(caseworker, f"{url}/notes", **note, **{"note-body": f"個人番号 {number} を聞き取り"})
    assert r.status_code == 422 and 'id="note-body-error"' in r.text
    assert (
        ja(
            "%(label)s: this looks like an Individual Number (My Number). "
            "Kasane never stores it: remove it.",
            label=i18n.gettext("Progress note"),
        )
        in r.text
    )
    assert _notes(sqlite_env, case) == []
    # with htmx the timeline fragment comes back with the message, status 422
    r = caseworker.post(
        f"{url}/notes",
        data={
            **note,
            "note-body": f"番号 {number}",
            "_csrf_token": csrf_of(caseworker.get(url).text),
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422 and r.text.lstrip().startswith(
        '<section class="card" id="timeline"'
    )
    assert _notes(sqlite_env, case) == []

    # when a plain note is saved through htmx, then the refreshed timeline shows it …
    body = "長女から電話。本人は最近眠れていないとのこと。"
    r = caseworker.post(
        f"{url}/notes",
        data={**note, "note-body": body, "_csrf_token": csrf_of(caseworker.get(url).text)},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and body in r.text and "<html" not in r.text
    assert 'id="note-body"' in r.text and body not in r.text.split("</form>")[0]  # form emptied
    # … and what is stored is sealed, not the text
    stored = _notes(sqlite_env, case)
    assert len(stored) == 1 and stored[0].startswith("v1:")
    assert body not in stored[0] and "長女" not in stored[0]


def test_my_tasks_list_monitoring_due_and_referrals_waiting(sqlite_env: Env) -> None:
    d = today()

    async def seed(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
        tenant_id, config = await tenant_setup(db, "usuki")
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, config)
            await walk(s, actor, config, case, "support")
            await do_record_monitoring(
                s,
                actor,
                case,
                done_on=d,
                summary="",
                plan_review_needed=False,
                next_on=d + timedelta(days=3),
            )
            sender = await actor_of(s, "supervisor")
            referral = await do_send_referral(
                s,
                sender,
                person_id=case.person_id,
                case_id=None,
                consultation_id=None,
                from_agency="chiikiryoku",
                to_agency="hokatsu",
                reason="",
                today=d - timedelta(days=30),
            )
            return case.id, referral.id

    case, referral = sqlite_env.run(seed)
    with tenant_client(sqlite_env, "usuki") as client:
        assert login(client, "caseworker").status_code == 302
        r = client.get("/tasks")
    assert r.status_code == 200
    assert f'href="/cases/{case}"' in r.text
    item = r.text.split(f'href="/referrals/{referral}"')[1].split("</li>")[0]
    assert ja("Overdue") in item


def test_case_pages_need_a_login(sqlite_env: Env) -> None:
    with tenant_client(sqlite_env, "usuki") as client:
        for path in ("/cases", "/tasks", f"/cases/{uuid7()}"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 302 and r.headers["location"].startswith("/login")


def test_the_case_read_is_audited(sqlite_env: Env, caseworker: TestClient) -> None:
    from kasane.core.audit.models import AuditEvent

    case, usuki = make_case(sqlite_env, "usuki"), sqlite_env.tenant_id("usuki")

    async def reads(db: Database) -> int:
        async with db.session(usuki) as s:
            await fold_reads(s)  # reads reach the hash chain by the fold
            stmt = select(func.count()).where(
                AuditEvent.action == "case.read", AuditEvent.target == f"case:{case}"
            )
            return int((await s.execute(stmt)).scalar_one())

    before = sqlite_env.run(reads)
    assert caseworker.get(f"/cases/{case}").status_code == 200
    assert caseworker.get(f"/cases/{case}/assessment/new").status_code == 200
    assert sqlite_env.run(reads) == before + 2
