"""The central site's budget page names a release refused for a town (issue 11: "refused for
that town, named in the job's output and on the central site"), on a demo database of its
own (the budgets spent here touch no other test) and whatever day the suite runs on."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from kasane.central.release import do_release
from kasane.core.db import Database
from kasane.core.reports.periods import Period
from kasane.tenants.comparison import opted_in_towns
from tests.conftest import Env, _make_sqlite_env, login
from tests.integration.test_central_site import TAG, central_client

FY = 2020  # long over, and never released by the demo (it releases the last year or so)
AFTER = date(2021, 5, 10)  # the day the releases run: every month of FY is over
MARUGAME = "372021"
ROW = re.compile(r"<tr( class=\"refused\")?><th scope=\"row\">(.*?)</tr>", re.S)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return _make_sqlite_env(tmp_path_factory.mktemp("central-budget"))


def spend_the_year_then_refuse_a_ninth_table(env: Env) -> list[str]:
    """丸亀市 (opted in by the demo): eight one-table releases of FY (ε 8, the cap), then
    a ninth table; returns the job's lines for the ninth."""

    async def go(db: Database) -> list[str]:
        [marugame] = [t for t in await opted_in_towns(db) if t.code == MARUGAME]
        for month in range(4, 12):
            period = Period.month(FY, month)
            await do_release(db, [marugame], period, today=AFTER, tables=["consultations"])
        ninth = await do_release(
            db, [marugame], Period.month(FY, 10), today=AFTER, tables=["participation"]
        )
        assert [r.town.code for r in ninth.of("refused")] == [MARUGAME]
        return ninth.lines()

    return env.run(go)  # type: ignore[no-any-return]


def budget_rows(page: str) -> list[tuple[bool, list[list[str]]]]:
    """(marked refused?, each cell's words) for each row of the budget table."""
    body = page.split('id="budget-table"', 1)[1].split("</table>", 1)[0]
    return [
        (
            bool(refused),
            [html.unescape(TAG.sub(" ", c)).split() for c in re.split(r"</t[hd]>", row)][:-1],
        )
        for refused, row in ROW.findall(body)
    ]


def test_a_refused_release_is_named_on_the_budget_page(env: Env) -> None:
    # given 丸亀市 refused a ninth table in FY2020 (named in the job's output)
    lines = spend_the_year_then_refuse_a_ninth_table(env)
    assert any(line.startswith("refused: 丸亀市 (372021, 香川県)") for line in lines)
    with central_client(env.settings) as client:
        for username in ("analyst", "kagawa"):  # the operator's and 香川県's analyst
            client.cookies.clear()
            assert login(client, username).status_code == 302
            # when the analyst opens the budget of that fiscal year
            page = client.get(f"/budget?fy={FY}")
            assert page.status_code == 200
            # then 丸亀市 comes first, marked refused, with what it spent and what was refused
            rows = budget_rows(page.text)
            assert rows, page.text[-2000:]
            refused, (town, prefecture, tables, spent, left, refusals) = rows[0]
            assert refused and town[:2] == ["丸亀市", "(372021)"], town
            assert prefecture == ["香川県"] and tables == ["8"]
            assert spent == ["8.0"] and left == ["0.0"]
            # 「見送り」 2020-10: the participation table (ε 1.0)
            assert " ".join(refusals) == (
                "見送り 2020-10: 参加支援のマッチングと定着（月） (ε 1.0)"
            ), refusals
            assert len(rows) == 1  # nothing else was released in FY2020
