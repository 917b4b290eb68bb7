"""The case list past a thousand cases (issue 16): the total stops at 「1,000件以上」 instead
of counting every case on every request, and Next/Previous follow the page's edge row
(keyset) — the same rows, in the same order, as numbered pages."""

from __future__ import annotations

import random
import re
import uuid
from datetime import date

from sqlalchemy import func, select

from kasane.core import plugins
from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.auth.models import StaffAccount
from kasane.core.cases.models import Case, CaseAgency
from kasane.core.cases.queries import CaseFilters, list_cases
from kasane.core.db import Database
from kasane.tenants.models import Tenant
from kasane.tenants.services import tenant_info
from tests.bench.seed import bulk_seed
from tests.conftest import _make_sqlite_env, login, tenant_client

ROW = re.compile(r'<td><a href="/cases/([0-9a-f-]{36})">')


def _seed(env, n: int) -> None:  # type: ignore[no-untyped-def]
    usuki = env.tenant_id("usuki")

    async def go(db: Database) -> None:
        async with db.session() as s:
            tenant = await s.get(Tenant, usuki)
        config = plugins.build_config(plugins.load_plugin("usuki"), tenant_info(tenant))  # type: ignore[arg-type]
        async with db.session(usuki) as s:
            caseworker = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            agency = caseworker.memberships[0].agency_key
            first = 1 + int((await s.execute(select(func.max(Case.case_no)))).scalar() or 0)
            await bulk_seed(
                s,
                config,
                n,
                caseworker_agency=agency,
                staff_id=caseworker.id,
                rng=random.Random("paging"),
                first_no=first,
                records=False,
            )

    env.run(go)


def _next(html: str, rel: str) -> str:
    found = re.search(rf'href="(/cases\?[^"]*)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else ""


def test_past_a_thousand_the_total_is_bounded_and_pages_follow_the_cursor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = _make_sqlite_env(tmp_path)
    _seed(env, 5_000)  # about a fifth take the caseworker's agency in: over a thousand
    with tenant_client(env, "usuki") as c:
        login(c, "caseworker")
        first = c.get("/cases")
        assert first.status_code == 200
        # the total is not counted past the cap
        assert "1,000件以上" in first.text and "1ページ目" in first.text

        # Next four times: each link carries the last row of its page
        pages, url = [ROW.findall(first.text)], _next(first.text, "next")
        for n in range(2, 6):
            assert f"page={n}" in url and "after=" in url
            r = c.get(url)
            assert r.status_code == 200 and f"{n}ページ目" in r.text
            pages.append(ROW.findall(r.text))
            url = _next(r.text, "next")
        seen = [row for page in pages for row in page]
        assert len(seen) == len(set(seen)) == 5 * 25

        # the same rows, in the same order, as the numbered pages (OFFSET)
        for n in (3, 5):
            assert ROW.findall(c.get(f"/cases?page={n}").text) == pages[n - 1]

        # Previous from page 5 (before its first row) is page 4 again
        fifth = c.get(_next(c.get("/cases?page=4").text, "next"))
        back = _next(fifth.text, "prev")
        assert "page=4" in back and "before=" in back
        assert ROW.findall(c.get(back).text) == pages[3]

        # a filter under the cap is counted exactly
        r = c.get("/cases?stage=reception")
        shown = re.search(r"(\d[\d,]*)件", r.text)
        assert shown is not None and "件以上" not in r.text

        # a forged cursor is ignored, not an error
        assert c.get("/cases?page=2&after=nonsense").status_code == 200


def test_under_the_cap_the_total_is_the_cases_the_agency_takes_part_in_now(any_env) -> None:  # type: ignore[no-untyped-def]
    """The unfiltered total is read from the agency's current participations: it counts
    each case once, leaves out a participation that ended and every other agency's case,
    and in another town it is that town's own."""
    env = any_env
    towns = {slug: env.tenant_id(slug) for slug in ("usuki", "marugame")}

    async def expected(db: Database, slug: str, agency: str) -> int:
        async with db.session(towns[slug]) as s:
            return int(
                (
                    await s.execute(
                        select(func.count(func.distinct(CaseAgency.case_id))).where(
                            CaseAgency.agency_key == agency, CaseAgency.ended_on.is_(None)
                        )
                    )
                ).scalar_one()
            )

    async def agency_of(db: Database, slug: str, username: str) -> str:
        async with db.session(towns[slug]) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == username))
            ).scalar_one()
            return str(account.memberships[0].agency_key)

    async def set_ended(db: Database, part_id: uuid.UUID | None, ended: date | None) -> tuple:  # type: ignore[type-arg]
        """End one current participation of a case the agency does not lead (the first,
        when no id is given), or undo that — audited, as the services do (the environment is
        shared with the other tests). Returns the participation's id and its case's stage."""
        async with db.session(towns["usuki"]) as s:
            found = select(CaseAgency, Case.stage).join(Case, Case.id == CaseAgency.case_id)
            found = found.where(
                CaseAgency.id == part_id
                if part_id
                else (CaseAgency.agency_key == agency)
                & CaseAgency.ended_on.is_(None)
                & (Case.lead_agency_key != agency)
            )
            part, stage = (await s.execute(found.limit(1))).one()
            part.ended_on = ended
            await do_audit(s, "test", "case.agency_end", f"case:{part.case_id}", agency=agency)
            return part.id, stage

    def shown(c, url: str = "/cases") -> int:  # type: ignore[no-untyped-def]
        text = c.get(url).text
        found = re.search(r"(\d[\d,]*)件", text)
        assert found is not None and "件以上" not in text
        return int(found.group(1).replace(",", ""))

    with tenant_client(env, "usuki") as c:
        login(c, "caseworker")
        agency = env.run(agency_of, "usuki", "caseworker")
        before = env.run(expected, "usuki", agency)
        assert 0 < before <= 1_000 and shown(c) == before
        ended, stage = env.run(set_ended, None, date(2026, 1, 1))
        # the totals are kept until the next audited change: this one counts anew
        filtered = f"/cases?stage={stage}"
        try:
            assert shown(c) == env.run(expected, "usuki", agency) == before - 1
            in_stage = shown(c, filtered)
        finally:
            env.run(set_ended, ended, None)
        assert shown(c) == before and shown(c, filtered) == in_stage + 1
    with tenant_client(env, "usuki") as c:  # another agency counts its own cases
        login(c, "kodomo")
        kodomo = env.run(agency_of, "usuki", "kodomo")
        assert kodomo != agency and shown(c) == env.run(expected, "usuki", kodomo)
    with tenant_client(env, "marugame") as c:  # another town: its own cases only
        login(c, "caseworker")
        theirs = env.run(expected, "marugame", env.run(agency_of, "marugame", "caseworker"))
        assert shown(c) == theirs


def test_a_total_counted_inside_an_uncommitted_change_is_not_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A transaction that has audited a change sees it under the next version number before
    anyone else does. Were its count kept and the change rolled back, the next real change
    (the same version number) would find that count: the list would show a wrong total."""
    env = _make_sqlite_env(tmp_path)
    _seed(env, 300)  # more than a page for the caseworker's agency: the total is counted
    usuki = env.tenant_id("usuki")

    def shown(c) -> int:  # type: ignore[no-untyped-def]
        found = re.search(r"(\d[\d,]*)件", c.get("/cases").text)
        assert found is not None
        return int(found.group(1).replace(",", ""))

    async def count_in_a_change_then_roll_back(db: Database) -> int:
        async with db.session(usuki) as s:
            account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "caseworker"))
            ).scalar_one()
            agency = account.memberships[0].agency_key
            actor = ActorInfo(
                account.id, usuki, "caseworker", "", frozenset({"caseworker"}), agency
            )
            part = (
                await s.execute(
                    select(CaseAgency)
                    .join(Case, Case.id == CaseAgency.case_id)
                    .where(
                        CaseAgency.agency_key == agency,
                        CaseAgency.ended_on.is_(None),
                        Case.lead_agency_key != agency,
                    )
                    .limit(1)
                )
            ).scalar_one()
            part.ended_on = date(2026, 1, 1)
            await do_audit(s, "test", "case.agency_end", f"case:{part.case_id}", agency=agency)
            page = await list_cases(s, actor, CaseFilters(), date(2026, 12, 1))
            await s.rollback()
            return page.total

    async def an_unrelated_change(db: Database) -> None:
        async with db.session(usuki) as s:
            await do_audit(s, "test", "test.unrelated", "")

    with tenant_client(env, "usuki") as c:
        login(c, "caseworker")
        before = shown(c)
        assert 25 < before < 1_000
        # inside the change the list counts one case fewer; then the change is undone
        assert env.run(count_in_a_change_then_roll_back) == before - 1
        # the next change that lands takes the version number the undone one had
        env.run(an_unrelated_change)
        assert shown(c) == before
