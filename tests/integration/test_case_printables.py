"""The case's printable sheets (issue 12 item 7): プランシート with the 本人署名欄, 評価シート
per plan goal, 相談受付・申込票 with and without consent — real A4 PDFs with Japanese text,
for the agencies taking part only (anyone else: the 404 of a missing case), audited."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from kasane.core.audit.services import count_events
from kasane.core.auth.models import StaffAccount
from kasane.core.auth.services import do_create_account
from kasane.core.cases.services import active_agencies
from kasane.core.db import Database, uuid7
from kasane.tenants.demo import DEMO_PASSWORD
from tests.conftest import Env, login, tenant_client
from tests.isolation.routes_cases import (
    actor_of,
    evaluate,
    intake_case,
    tenant_setup,
    walk,
)

TOWNS = ("usuki", "marugame")
GOAL = "負担を減らす"  # the plan row routes_cases.walk writes
EVALUATION = "介護サービスの利用で負担が軽くなった。"
FINDING = "週二回の通所が定着した。"  # the goal's own finding
OUTSIDER = "printables-outsider"  # an agency that does not take part in the case


@dataclass(frozen=True)
class Printed:
    case_id: uuid.UUID
    case_no: int
    name: str


def make_evaluated_case(env: Env, slug: str) -> Printed:
    """A case through intake, assessment, plan (agreed), decision and support to
    evaluation, with one evaluation recorded; a fictitious person unique to the test."""
    name = f"印刷 試験{uuid7().hex[-5:]}"

    async def go(db: Database) -> Printed:
        tenant_id, config = await tenant_setup(db, slug)
        async with db.session(tenant_id) as s:
            actor = await actor_of(s, "caseworker")
            case = await intake_case(s, actor, config, name=name, kana="インサツ シケン")
            await walk(s, actor, config, case, "evaluation")
            await evaluate(s, actor, case, "partly", EVALUATION, finding=FINDING)
            agencies = {p.agency_key for p in await active_agencies(s, case.id)}
            outsider_agency = next(a.key for a in config.agencies if a.key not in agencies)
            found = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == OUTSIDER))
            ).scalar_one_or_none()
            if found is None:
                await do_create_account(
                    s,
                    username=OUTSIDER,
                    display_name="関わらない機関（テスト）",
                    password=DEMO_PASSWORD,
                    agency_key=outsider_agency,
                )
            elif found.agency_key in agencies:  # pragma: no cover - a fixed demo setup
                raise AssertionError("the outsider's agency takes part in the case")
            return Printed(case.id, case.case_no, name)

    return env.run(go)


@pytest.fixture(scope="module")
def printed(sqlite_env: Env) -> dict[str, Printed]:
    return {slug: make_evaluated_case(sqlite_env, slug) for slug in TOWNS}


def pdf_text(content: bytes) -> str:
    """The PDF's text without white space (line breaks fall anywhere in Japanese)."""
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    root = reader.trailer["/Root"]  # tagged for screen readers, in Japanese
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"] and root["/Lang"] == "ja"
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))


def same_page(html: str) -> str:
    """The page without the per-request values (request id, CSRF token)."""
    html = re.sub(r'"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"', '"ID"', html)
    return re.sub(r'"x-csrftoken": "[0-9a-f]+"', '"x-csrftoken": "T"', html)


def audits(env: Env, slug: str) -> int:
    tenant_id = env.tenant_id(slug)

    async def go(db: Database) -> int:
        async with db.session(tenant_id) as s:
            return await count_events(s, "case.print")

    return env.run(go)


@pytest.mark.parametrize("slug", TOWNS)
def test_the_sheets_are_a4_pdfs_with_the_case_in_japanese(
    sqlite_env: Env, printed: dict[str, Printed], slug: str
) -> None:
    # given a case at evaluation, and the caseworker of an agency taking part in it
    case = printed[slug]
    before = audits(sqlite_env, slug)
    with tenant_client(sqlite_env, slug) as client:
        assert login(client, "caseworker").status_code == 302
        # when they print each sheet
        plan = client.get(f"/cases/{case.case_id}/plan.pdf")
        evaluation = client.get(f"/cases/{case.case_id}/evaluation.pdf")
        consent = client.get(f"/cases/{case.case_id}/intake.pdf?version=consent")
        no_consent = client.get(f"/cases/{case.case_id}/intake.pdf?version=no-consent")
        page = client.get(f"/cases/{case.case_id}")
    # then each is a PDF named without personal data, kept out of every cache
    for r, kind in (
        (plan, "plan"),
        (evaluation, "evaluation"),
        (consent, "intake-consent"),
        (no_consent, "intake-no-consent"),
    ):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        expected = f'inline; filename="case-{case.case_no}-{kind}.pdf"'
        assert r.headers["content-disposition"] == expected
        assert r.headers["cache-control"] == "no-store"
    # … the プランシート names the person, shows the goal, the wishes and the 本人署名欄
    text = pdf_text(plan.content)
    flat_name = case.name.replace(" ", "")
    assert "プランシート" in text and flat_name in text and "本人署名欄" in text
    assert GOAL in text and "家で暮らし続けたい" in text and "令和" in text
    # … the 評価シート has a row per goal with the outcomes to tick, and the recorded one
    text = pdf_text(evaluation.content)
    assert "評価シート" in text and GOAL in text and flat_name in text
    assert "一部達成" in text and EVALUATION.replace("。", "") in text
    # … the goal judged in Kasane is ticked (■) on its row, with its finding
    assert text.count("■") == 1 and FINDING.replace("。", "") in text
    # … the 申込票 with consent has the name and the consent's signature lines …
    text = pdf_text(consent.content)
    assert "相談受付・申込票" in text and flat_name in text and "本人署名欄" in text
    # … and the one without consent neither the name nor the kana, only the coded facts
    text = pdf_text(no_consent.content)
    assert "相談受付・申込票" in text and "同意なし" in text
    assert flat_name not in text and "インサツ" not in text and "試験" not in text
    assert "70代" in text  # born 1948: the age band, not the date of birth
    assert "1948" not in text and "昭和23" not in text
    # … every print is in the audit log, and the case page links to the sheets
    assert audits(sqlite_env, slug) == before + 4
    for link in ("plan.pdf", "evaluation.pdf", "intake.pdf?version=consent"):
        assert f'href="/cases/{case.case_id}/{link}"' in page.text
    assert f'href="/cases/{case.case_id}/intake.pdf?version=no-consent"' in page.text
    assert "プランシート（PDF）" in page.text


@pytest.mark.parametrize("slug", TOWNS)
def test_another_agency_and_another_town_get_the_404_of_a_missing_case(
    sqlite_env: Env, printed: dict[str, Printed], slug: str
) -> None:
    # given a case of this town, one of the other town and an id that does not exist
    other = printed[next(t for t in TOWNS if t != slug)]
    own = printed[slug]
    paths = ("plan.pdf", "evaluation.pdf", "intake.pdf?version=consent")
    with tenant_client(sqlite_env, slug) as client:
        assert login(client, OUTSIDER).status_code == 302
        # when an agency that does not take part asks for the sheets
        theirs = [
            (client.get(f"/cases/{own.case_id}/{p}"), client.get(f"/cases/{uuid7()}/{p}"))
            for p in paths
        ]
    with tenant_client(sqlite_env, slug) as client:
        assert login(client, "caseworker").status_code == 302
        # … and the caseworker asks for the other town's case
        foreign = [
            (client.get(f"/cases/{other.case_id}/{p}"), client.get(f"/cases/{uuid7()}/{p}"))
            for p in paths
        ]
    # then all of them answer exactly like a missing case (the same page but for the
    # request's own id and CSRF token)
    for r, missing in (*theirs, *foreign):
        assert r.status_code == missing.status_code == 404
        assert same_page(r.text) == same_page(missing.text)
        assert own.name not in r.text and other.name not in r.text


def test_an_unknown_version_is_not_found_and_the_sheets_need_a_login(
    sqlite_env: Env, printed: dict[str, Printed]
) -> None:
    case = printed["usuki"]
    with tenant_client(sqlite_env, "usuki") as client:
        anonymous = client.get(f"/cases/{case.case_id}/plan.pdf", follow_redirects=False)
        assert login(client, "caseworker").status_code == 302
        odd = client.get(f"/cases/{case.case_id}/intake.pdf?version=everything")
    assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/login")
    assert odd.status_code == 404
