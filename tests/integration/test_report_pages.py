"""/reports through the real app: the hand-worked figures on the page, in the .xlsx (read
back with openpyxl) and in the CSV, in both towns, on SQLite and PostgreSQL; who may read,
download and set targets; every view audited."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kasane.core.audit.models import AuditEvent
from kasane.core.audit.services import fold_reads
from kasane.core.db import Database
from tests.conftest import Env, login, tenant_client
from tests.integration.test_report_counts import FY2025
from tests.reports_fixture import Town, fixture_town

TOWNS = ("usuki", "marugame")
FY = "/reports?view=fy&fy=2025"
TOTAL = re.compile(r'<tr data-key="([a-z_.-]+)">.*?data-total="(\d+)"', re.S)


def _client(env: Env, town: Town, username: str):  # type: ignore[no-untyped-def]
    client = tenant_client(env, town.slug)
    client.__enter__()
    assert login(client, username).status_code == 302
    return client


def _events(env: Env, town: Town, action: str) -> list[dict[str, Any]]:
    async def go(db: Database) -> list[dict[str, Any]]:
        async with db.session(town.tenant_id) as s:
            await fold_reads(s)  # reads reach the hash chain by the fold
            rows = await s.execute(
                select(AuditEvent.target, AuditEvent.detail).where(AuditEvent.action == action)
            )
            return [{"target": t, **json.loads(d)} for t, d in rows.all()]

    return env.run(go)  # type: ignore[no-any-return]


@pytest.mark.parametrize("plugin", TOWNS)
def test_the_page_and_both_downloads_give_the_hand_counted_figures(
    any_env: Env, plugin: str
) -> None:
    town = fixture_town(any_env, plugin)
    client = _client(any_env, town, "supervisor")
    try:
        # when the supervisor opens 令和7年度
        page = client.get(FY)
        assert page.status_code == 200, page.text[:2000]
        assert "令和7年度（2025年度）" in page.text
        shown = {k: int(v) for k, v in TOTAL.findall(page.text)}
        # then the summary shows every hand-worked figure
        assert {k: shown[k] for k in FY2025} == FY2025
        # and the chart is an SVG with its table beside it
        main = page.text.split("<main", 1)[1]
        assert '<svg class="chart-svg columns' in main and 'class="bar-row"' in main
        assert 'class="breakdown-table"' in main
        assert "<script" not in main and 'style="' not in main and " on" + "click" not in main
        # when both files are downloaded
        xlsx = client.get(f"{FY}&format=xlsx".replace("/reports?", "/reports/export?"))
        text = client.get(f"{FY}&format=csv".replace("/reports?", "/reports/export?"))
    finally:
        client.__exit__(None, None, None)
    assert xlsx.status_code == 200 and "kasane-rpt-" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[0] == "概要" and book.sheetnames[-1] == "定義"
    summary = {row[1]: row[3] for row in book["概要"].iter_rows(min_row=5, values_only=True)}
    names = {k: _name(k) for k in FY2025}
    assert {k: summary[names[k]] for k in FY2025} == FY2025
    assert all(isinstance(summary[names[k]], int) for k in FY2025)  # numbers as numbers
    sheet = list(book["相談受付"].iter_rows(values_only=True))
    header = next(r for r in sheet if r and r[0] == "内訳の種類")
    assert header[2] == "令和7年4月" and header[-1] == "期間計"
    total_row = next(r for r in sheet if r and r[0] == "合計")
    assert total_row[2] == 2 and total_row[-1] == 7  # April: A and B (A in March: FY2024)
    definitions = list(book["定義"].iter_rows(min_row=4, values_only=True))
    assert any("公開資料では確認できていません" in (r[8] or "") for r in definitions)
    # the CSV: UTF-8 with a BOM, the same totals
    assert text.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["区分", "指標キー", "指標名"]
    totals = {r[1]: int(r[7]) for r in rows[1:] if r[5] == "合計"}
    assert {k: totals[k] for k in FY2025} == FY2025
    # no name anywhere in either file
    assert "試験 エー" not in text.content.decode("utf-8-sig")
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and "試験 " in v for v in row)
    # every view and download is audited
    assert {e["target"] for e in _events(any_env, town, "report.view")} >= {"report:fy2025"}
    assert {e["format"] for e in _events(any_env, town, "report.export")} >= {"xlsx", "csv"}


def _name(key: str) -> str:
    from kasane.core.reports.catalogue import CATALOGUE

    return CATALOGUE[key].name[0]


def test_the_month_view_switches_period_and_shows_the_year_to_date(sqlite_env: Env) -> None:
    town = fixture_town(sqlite_env, "usuki")
    client = _client(sqlite_env, town, "viewer")
    try:
        page = client.get("/reports?view=month&month=2025-05")
        assert page.status_code == 200
        shown = {k: int(v) for k, v in TOTAL.findall(page.text)}
        assert shown["consultations.new"] == 1 and shown["consultations.continued"] == 1
        assert "令和7年5月" in page.text
        # the first quarter of 令和7年度 (April–June 2025): A's two visits, B, C's two, D
        quarter = client.get("/reports?view=quarter&fy=2025&q=1")
        assert quarter.status_code == 200
        assert "令和7年度 第1四半期（2025年4月〜2025年6月）" in quarter.text
        shown = {k: int(v) for k, v in TOTAL.findall(quarter.text)}
        assert shown["consultations.total"] == 6 and shown["consultations.new"] == 4
        # any range, new and continued still by the fiscal year: from 2025-05-10 A's second
        # visit and C's return are continued, D and E new (C's first, 05-08, is before it)
        ranged = client.get("/reports?view=range&from=2025-05-10&to=2026-02-28")
        assert ranged.status_code == 200
        assert "令和7年5月10日〜令和8年2月28日（2025-05-10〜2026-02-28）" in ranged.text
        shown = {k: int(v) for k, v in TOTAL.findall(ranged.text)}
        assert shown["consultations.new"] == 2 and shown["consultations.continued"] == 2
        # a bad month is refused, naming the field; the page still answers
        bad = client.get("/reports?view=range&from=2025-05-01&to=soon")
        assert bad.status_code == 422 and "期間の終了日を入力してください" in bad.text
        # the viewer reads but may not download or set targets
        assert client.get("/reports/export?view=fy&fy=2025&format=csv").status_code == 403
        assert client.get("/reports/targets?fy=2025").status_code == 403
        assert 'id="export-xlsx"' not in page.text
        # in English, the same figures with the catalogue's English names
        client.get("/lang/en")
        english = client.get("/reports?view=fy&fy=2025&section=community")
        assert english.status_code == 200 and "FY2025" in english.text
        assert "People who consulted" in english.text and "Places active" in english.text
        assert {k: int(v) for k, v in TOTAL.findall(english.text)}["consultations.total"] == 7
    finally:
        client.__exit__(None, None, None)
